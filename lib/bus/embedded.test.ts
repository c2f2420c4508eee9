import { afterAll, describe, expect, test } from "bun:test";
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { testNamespace, waitFor } from "../../test/support/namespace.ts";
import { AdapterError, ValidationError } from "../errors.ts";
import { busContract } from "./bus.contract.ts";
import { createEmbeddedBus } from "./embedded.ts";
import type { Bus, BusMessage } from "./port.ts";

busContract("Bus contract: embedded", async () => {
	const ns = testNamespace("embedded-contract");
	return {
		open: () => createEmbeddedBus({ dir: ns.dir, onHandlerError: () => {} }),
		cleanup: async () => ns.cleanup(),
	};
});

const decoder = new TextDecoder();
const values = (messages: BusMessage[]) => messages.map((m) => decoder.decode(m.value));

/** Reads a topic from the beginning with a fresh group until `count` messages arrived. */
async function readAll(bus: Bus, topic: string, count: number): Promise<BusMessage[]> {
	const messages: BusMessage[] = [];
	const sub = bus.subscribe({ groupId: `reader-${Math.random()}`, topics: [topic] }, async (batch) => {
		messages.push(...batch.messages);
	});
	await waitFor(() => messages.length >= count, { what: `${count} messages of ${topic}` });
	await sub.stop();
	return messages;
}

describe("embedded bus", () => {
	const ns = testNamespace("embedded");
	let n = 0;
	const freshDir = () => join(ns.dir, `bus-${n++}`);
	afterAll(() => ns.cleanup());

	test("a restart keeps the log and continues its offsets", async () => {
		const dir = freshDir();
		let bus = await createEmbeddedBus({ dir });
		await bus.ensureTopics([{ name: "t", partitions: 1 }]);
		await bus.produce(
			"t",
			["a", "b", "c"].map((value) => ({ key: null, value })),
		);
		await bus.close();
		bus = await createEmbeddedBus({ dir });
		const [produced] = await bus.produce("t", [{ key: null, value: "d" }]);
		expect(produced?.offset).toBe("3");
		expect(values(await readAll(bus, "t", 4))).toEqual(["a", "b", "c", "d"]);
		await bus.close();
	});

	test("a torn or corrupt tail is cut on open; everything before it stays", async () => {
		for (const damage of ["torn", "corrupt"] as const) {
			const dir = freshDir();
			let bus = await createEmbeddedBus({ dir, fsync: true });
			await bus.ensureTopics([{ name: "t", partitions: 1 }]);
			await bus.produce(
				"t",
				["one", "two", "three"].map((value) => ({ key: "k", value })),
			);
			await bus.close();
			const file = join(dir, "topics", "t", "0.log");
			const whole = statSync(file).size;
			if (damage === "torn") {
				// A record header promising 100 bytes, then the crash after 10 of them.
				const torn = Buffer.alloc(18);
				torn.writeUInt32LE(100, 0);
				appendFileSync(file, torn);
			} else {
				const bytes = readFileSync(file);
				bytes[bytes.length - 2] = (bytes[bytes.length - 2] ?? 0) ^ 0xff;
				writeFileSync(file, bytes);
			}
			bus = await createEmbeddedBus({ dir });
			const kept = damage === "torn" ? ["one", "two", "three"] : ["one", "two"];
			if (damage === "torn") expect(statSync(file).size).toBe(whole);
			else expect(statSync(file).size).toBeLessThan(whole);
			const [lag] = await bus.lag("nobody", "t");
			expect(lag?.highWatermark).toBe(String(kept.length));
			const [produced] = await bus.produce("t", [{ key: "k", value: "after" }]);
			expect(produced?.offset).toBe(String(kept.length));
			expect(values(await readAll(bus, "t", kept.length + 1))).toEqual([...kept, "after"]);
			await bus.close();
		}
	});

	test("segments roll at segmentBytes; a restart reads across them and continues their offsets", async () => {
		const dir = freshDir();
		let bus = await createEmbeddedBus({ dir, segmentBytes: 200 });
		await bus.ensureTopics([{ name: "t", partitions: 1 }]);
		const produced = Array.from({ length: 20 }, (_, i) => `message-${String(i).padStart(2, "0")}-${"x".repeat(40)}`);
		for (const value of produced) await bus.produce("t", [{ key: null, value }]);
		await bus.close();
		const segments = readdirSync(join(dir, "topics", "t")).filter((name) => name.endsWith(".log"));
		expect(segments.length).toBeGreaterThan(3);
		expect(segments).toContain("0.log");
		bus = await createEmbeddedBus({ dir, segmentBytes: 200 });
		const [next] = await bus.produce("t", [{ key: null, value: "last" }]);
		expect(next?.offset).toBe("20");
		const read = await readAll(bus, "t", 21);
		expect(values(read)).toEqual([...produced, "last"]);
		expect(read.map((m) => m.offset)).toEqual(Array.from({ length: 21 }, (_, i) => String(i)));
		await bus.close();
	});

	test("retention removes old segments every group has read, never the active one; readers start at the log's start", async () => {
		const dir = freshDir();
		let clock = Date.parse("2026-01-01T00:00:00Z");
		// Retention runs when a bus opens (and every retentionCheckIntervalMs, here never within the test).
		const open = () =>
			createEmbeddedBus({ dir, segmentBytes: 150, retentionMs: 3600_000, now: () => clock, onHandlerError: () => {} });
		const files = () =>
			readdirSync(join(dir, "topics", "t"))
				.filter((name) => name.endsWith(".log"))
				.sort();
		let bus = await open();
		await bus.ensureTopics([{ name: "t", partitions: 1 }]);
		for (let i = 0; i < 10; i++) await bus.produce("t", [{ key: null, value: `old-${i}-${"x".repeat(60)}` }]);
		expect(files().length).toBe(5); // two records a segment
		// A group that has read only its first batch (then fails) holds the log: a batch ends at its segment's end.
		let batches = 0;
		const slow = bus.subscribe({ groupId: "slow", topics: ["t"], maxBatchSize: 3 }, async () => {
			if (batches++ > 0) throw new Error("stuck");
		});
		await waitFor(async () => (await bus.lag("slow", "t"))[0]?.committedOffset === "2", { what: "slow at 2" });
		await slow.stop();
		clock += 2 * 3600_000;
		await bus.produce("t", [{ key: null, value: "new" }]);
		await readAll(bus, "t", 11);
		await bus.close();

		bus = await open();
		expect(files()).not.toContain("0.log"); // offsets 0-1: old and read by every group
		expect(files()).toContain("0-2.log"); // offsets 2-3: the slow group has not read them
		expect(files().length).toBe(5);
		expect((await bus.lag("slow", "t"))[0]?.lag).toBe(11 - 2);

		const caught = bus.subscribe({ groupId: "slow", topics: ["t"] }, async () => {});
		await waitFor(async () => (await bus.lag("slow", "t"))[0]?.lag === 0, { what: "slow caught up" });
		await caught.stop();
		await bus.close();

		bus = await open();
		expect(files()).toEqual(["0-10.log"]); // only the active segment, holding "new"
		const [lag] = await bus.lag("newcomer", "t");
		expect(lag?.lag).toBe(1);
		const messages = await readAll(bus, "t", 1);
		expect(messages.map((m) => [m.offset, decoder.decode(m.value)])).toEqual([["10", "new"]]);
		const [next] = await bus.produce("t", [{ key: null, value: "after" }]);
		expect(next?.offset).toBe("11");
		await bus.close();
	});

	test("a topic no group reads keeps its records for the retention only; a group silent longer holds nothing", async () => {
		const dir = freshDir();
		// Group activity is the offsets file's modification time, so this clock starts at the real one.
		let clock = Date.now();
		const open = () =>
			createEmbeddedBus({ dir, segmentBytes: 50, retentionMs: 60_000, now: () => clock, onHandlerError: () => {} });
		const count = (topic: string) =>
			readdirSync(join(dir, "topics", topic)).filter((name) => name.endsWith(".log")).length;
		let bus = await open();
		await bus.ensureTopics([
			{ name: "dlq", partitions: 1 },
			{ name: "read", partitions: 1 },
		]);
		for (let i = 0; i < 5; i++) {
			await bus.produce("dlq", [{ key: null, value: `dead-${i}-${"x".repeat(60)}` }]);
			await bus.produce("read", [{ key: null, value: `live-${i}-${"x".repeat(60)}` }]);
		}
		// A group reads the first record of "read" (a segment), then commits nothing more.
		let batches = 0;
		const once = bus.subscribe({ groupId: "gone", topics: ["read"] }, async () => {
			if (batches++ > 0) throw new Error("stop here");
		});
		await waitFor(async () => (await bus.lag("gone", "read"))[0]?.committedOffset === "1", { what: "gone at 1" });
		await once.stop();
		await bus.close();
		expect([count("dlq"), count("read")]).toEqual([5, 5]);

		clock += 30_000;
		bus = await open();
		await bus.close();
		expect([count("dlq"), count("read")]).toEqual([5, 5]); // nothing is older than the retention yet (and "gone" holds "read")

		clock += 60_000; // every record is old, and the group has been silent for longer than the retention
		bus = await open();
		await bus.close();
		expect([count("dlq"), count("read")]).toEqual([1, 1]);
	});

	test("only one owner: a second bus on the directory is refused, a dead owner's lock is taken over", async () => {
		const dir = freshDir();
		const bus = await createEmbeddedBus({ dir });
		await expect(createEmbeddedBus({ dir })).rejects.toThrow(/already open in this process/);
		await bus.close();
		expect(existsSync(join(dir, "LOCK"))).toBe(false);

		// A live process of someone else: refused, naming it.
		const other = Bun.spawn(["sleep", "30"]);
		try {
			writeFileSync(join(dir, "LOCK"), `${other.pid}\n`);
			const refused = await createEmbeddedBus({ dir }).catch((error: unknown) => error);
			expect(refused).toBeInstanceOf(AdapterError);
			expect(String(refused)).toContain(`locked by running process ${other.pid}`);
		} finally {
			other.kill();
			await other.exited;
		}
		// The same pid, now dead: its lock is stale and taken over.
		const taken = await createEmbeddedBus({ dir });
		expect(readFileSync(join(dir, "LOCK"), "utf8").trim()).toBe(String(process.pid));
		await taken.close();
	});

	test("unknown topics and illegal names are ValidationErrors naming the topic", async () => {
		const bus = await createEmbeddedBus({ dir: freshDir() });
		await expect(bus.produce("never.ensured", [{ key: null, value: "x" }])).rejects.toThrow(
			/topic "never.ensured" does not exist/,
		);
		await expect(bus.produce("never.ensured", [])).rejects.toBeInstanceOf(ValidationError);
		expect(() => bus.subscribe({ groupId: "g", topics: ["never.ensured"] }, async () => {})).toThrow(ValidationError);
		await expect(bus.lag("g", "never.ensured")).rejects.toBeInstanceOf(ValidationError);
		await expect(bus.ensureTopics([{ name: "bad/name", partitions: 1 }])).rejects.toBeInstanceOf(ValidationError);
		await expect(bus.ensureTopics([{ name: "ok", partitions: 0 }])).rejects.toBeInstanceOf(ValidationError);
		await bus.ensureTopics([{ name: "defaulted", partitions: -1 }]);
		expect((await bus.lag("g", "defaulted")).length).toBe(3);
		await bus.close();
		await expect(bus.produce("defaulted", [])).rejects.toBeInstanceOf(AdapterError);
	});

	test("maxBatchBytes bounds a batch's bytes; a message bigger than the bound still comes, alone", async () => {
		const dir = freshDir();
		const bus = await createEmbeddedBus({ dir });
		await bus.ensureTopics([{ name: "t", partitions: 1 }]);
		const kb = "x".repeat(1000);
		await bus.produce("t", [
			...Array.from({ length: 10 }, (_, i) => ({ key: null, value: `${i}${kb}` })),
			{ key: null, value: `big${kb.repeat(5)}` },
		]);
		const batches: number[] = [];
		const sub = bus.subscribe({ groupId: "g", topics: ["t"], maxBatchBytes: 3500 }, async (batch) => {
			batches.push(batch.messages.length);
		});
		await waitFor(() => batches.reduce((a, b) => a + b, 0) >= 11, { what: "all 11 messages" });
		await sub.stop();
		expect(batches.every((n) => n >= 1 && n <= 3)).toBe(true);
		expect(batches.at(-1)).toBe(1);
		expect(() => bus.subscribe({ groupId: "h", topics: ["t"], maxBatchBytes: 0 }, async () => {})).toThrow(
			ValidationError,
		);
		await bus.close();
	});

	test("consumers are woken by produce, not by polling", async () => {
		const bus = await createEmbeddedBus({ dir: freshDir(), pollIntervalMs: 600_000 });
		await bus.ensureTopics([{ name: "t", partitions: 2 }]);
		const got: BusMessage[] = [];
		const sub = bus.subscribe({ groupId: "g", topics: ["t"] }, async (batch) => {
			got.push(...batch.messages);
		});
		await sub.ready;
		await bus.produce("t", [{ key: "a", value: "1" }]);
		// The safety-net poll is 10 minutes away, so arriving within the wait means produce woke it.
		await waitFor(() => got.length === 1, { timeoutMs: 10_000, what: "the woken consumer" });
		await bus.close();
	});

	test("fromBeginning: false starts at the end; a stopped member's partitions go to the others", async () => {
		const bus = await createEmbeddedBus({ dir: freshDir(), fsync: true });
		await bus.ensureTopics([{ name: "t", partitions: 4 }]);
		await bus.produce("t", [{ key: "old", value: "old" }]);
		const seen = { a: [] as string[], b: [] as string[] };
		const a = bus.subscribe({ groupId: "g", topics: ["t"], fromBeginning: false }, async (batch) => {
			seen.a.push(...values([...batch.messages]));
		});
		const b = bus.subscribe({ groupId: "g", topics: ["t"], fromBeginning: false }, async (batch) => {
			seen.b.push(...values([...batch.messages]));
		});
		await Promise.all([a.ready, b.ready]);
		await b.stop();
		const fresh = Array.from({ length: 20 }, (_, i) => `new-${i}`);
		await bus.produce(
			"t",
			fresh.map((value) => ({ key: value, value })),
		);
		await waitFor(() => seen.a.length === 20, { what: "all new messages at the remaining member" });
		expect(seen.a.sort()).toEqual([...fresh].sort());
		expect(seen.b).toEqual([]);
		await bus.close();
	});

	test("a partition whose handler keeps failing does not hold up the others", async () => {
		const bus = await createEmbeddedBus({ dir: freshDir(), onHandlerError: () => {}, retryBackoffMs: 5 });
		await bus.ensureTopics([{ name: "t", partitions: 3 }]);
		const poisoned = 0;
		const good: string[] = [];
		let failures = 0;
		const sub = bus.subscribe({ groupId: "g", topics: ["t"] }, async (batch) => {
			if (batch.partition === poisoned) {
				failures++;
				throw new Error("poison");
			}
			good.push(...values([...batch.messages]));
		});
		const produced = await bus.produce(
			"t",
			Array.from({ length: 30 }, (_, i) => ({ key: `org-${i}`, value: `m-${i}` })),
		);
		const expected = produced.filter((p) => p.partition !== poisoned).length;
		await waitFor(() => good.length === expected && failures >= 3, { what: "the healthy partitions" });
		const lag = await bus.lag("g", "t");
		expect(lag.find((p) => p.partition === poisoned)?.committedOffset).toBe("-1");
		await sub.stop();
		await bus.close();
	});
});
