/**
 * The Bus contract: the behaviour every adapter (embedded, Kafka) must show,
 * run by each adapter's test file through busContract(). Longer than our
 * usual file because it is one suite that must register as one describe.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { testNamespace, waitFor } from "../../test/support/namespace.ts";
import { PoisonMessageError } from "../errors.ts";
import { deadLetter, decodeDeadLetter, originalValue } from "./dlq.ts";
import { partitionForKey } from "./partitioner.ts";
import type {
	Batch,
	BatchContext,
	Bus,
	BusMessage,
	ProducedRecord,
	ProduceRecord,
	SubscribeOptions,
	Subscription,
} from "./port.ts";
import { dlqTopic } from "./topics.ts";

/** What an adapter's test file hands to busContract. */
export interface BusHarness {
	/**
	 * A new Bus over the same log or cluster and namespace, as a restarted
	 * process would get. The suite closes the previous Bus before calling it
	 * again (an embedded log has one owner at a time).
	 */
	open(): Promise<Bus>;
	/** Removes what setup created (temp dirs, servers). */
	cleanup(): Promise<void>;
}

/** Kafka group joins and rebalances take seconds; waits are for conditions, bounded generously. */
const TEST_TIMEOUT_MS = 120_000;
const WAIT = { timeoutMs: 60_000, intervalMs: 25 };
const decoder = new TextDecoder();
const text = (message: BusMessage) => decoder.decode(message.value);
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

interface Consumer {
	readonly messages: BusMessage[];
	readonly batches: Batch[];
	readonly sub: Subscription;
}

/** Subscribes and records every delivered batch; `onBatch` runs before recording and may throw. */
function consume(
	bus: Bus,
	options: SubscribeOptions,
	onBatch?: (batch: Batch, context: BatchContext) => Promise<void>,
): Consumer {
	const messages: BusMessage[] = [];
	const batches: Batch[] = [];
	const sub = bus.subscribe(options, async (batch, context) => {
		if (onBatch) await onBatch(batch, context);
		batches.push(batch);
		messages.push(...batch.messages);
	});
	return { messages, batches, sub };
}

function abortedOf(signal: AbortSignal): Promise<void> {
	return new Promise((resolve) => {
		if (signal.aborted) resolve();
		else signal.addEventListener("abort", () => resolve(), { once: true });
	});
}

async function totalLag(bus: Bus, groupId: string, topic: string): Promise<number> {
	return sum((await bus.lag(groupId, topic)).map((p) => p.lag));
}

/** The tests every Bus adapter must pass. `setup` runs once; every topic and group name is unique to the run. */
export function busContract(name: string, setup: () => Promise<BusHarness>): void {
	describe(name, () => {
		const ns = testNamespace("bus");
		let harness: BusHarness | undefined;
		let bus: Bus;
		const subscriptions: Subscription[] = [];
		const topicName = (label: string) => `${ns.id}.${label}`;
		const groupName = (label: string) => `${ns.id}.${label}.${Math.random().toString(36).slice(2, 8)}`;
		const track = (consumer: Consumer) => {
			subscriptions.push(consumer.sub);
			return consumer;
		};

		beforeAll(async () => {
			harness = await setup();
			bus = await harness.open();
		}, TEST_TIMEOUT_MS);

		afterAll(async () => {
			await Promise.allSettled(subscriptions.map((sub) => sub.stop()));
			await bus?.close();
			await harness?.cleanup();
			ns.cleanup();
		}, TEST_TIMEOUT_MS);

		test(
			"ensureTopics creates missing topics and leaves existing ones as they are",
			async () => {
				const first = topicName("ensure_a");
				const second = topicName("ensure_b");
				await bus.ensureTopics([{ name: first, partitions: 3 }]);
				await bus.ensureTopics([{ name: first, partitions: 3 }]);
				await bus.ensureTopics([
					{ name: first, partitions: 5 },
					{ name: second, partitions: 2 },
				]);
				expect((await bus.lag(groupName("ensure"), first)).map((p) => p.partition)).toEqual([0, 1, 2]);
				expect((await bus.lag(groupName("ensure"), second)).map((p) => p.partition)).toEqual([0, 1]);
				const [produced] = await bus.produce(first, [{ key: "k", value: "v" }]);
				expect(produced?.partition).toBe(partitionForKey("k", 3));
			},
			TEST_TIMEOUT_MS,
		);

		test(
			"produce and consume round trip: key, value bytes, headers, timestamps, offsets",
			async () => {
				const topic = topicName("roundtrip");
				await bus.ensureTopics([{ name: topic, partitions: 2 }]);
				const binary = new Uint8Array([0, 255, 128, 10, 13, 0, 7]);
				const records: ProduceRecord[] = [
					{ key: "org-1", value: "hello", headers: { trace_id: "t-1", "content-type": "text/plain" } },
					{ key: null, value: binary },
					{ key: "org-2", value: "", headers: {} },
					{ key: "ключ-😀", value: "ünïcødé €" },
				];
				const before = Date.now();
				const produced = await bus.produce(topic, records);
				const after = Date.now();
				expect(produced.map((p) => p.topic)).toEqual(records.map(() => topic));
				for (const p of produced) expect(p.offset).toMatch(/^\d+$/);

				const consumer = track(consume(bus, { groupId: groupName("roundtrip"), topics: [topic] }));
				await consumer.sub.ready;
				await waitFor(() => consumer.messages.length >= records.length, { ...WAIT, what: "4 round-trip messages" });
				expect(new Set(consumer.messages.map((m) => `${m.partition}@${m.offset}`)).size).toBe(records.length);
				records.forEach((record, i) => {
					const at = produced[i];
					const message = consumer.messages.find((m) => m.partition === at?.partition && m.offset === at?.offset);
					expect(message).toBeDefined();
					if (!message || !at) return;
					expect(message.topic).toBe(topic);
					expect(message.key).toBe(record.key);
					const bytes = typeof record.value === "string" ? new TextEncoder().encode(record.value) : record.value;
					expect([...message.value]).toEqual([...bytes]);
					expect({ ...message.headers }).toEqual(record.headers ?? {});
					expect(message.timestamp).toBeGreaterThanOrEqual(before - 1000);
					expect(message.timestamp).toBeLessThanOrEqual(after + 1000);
				});
				for (const key of ["org-1", "org-2", "ключ-😀"]) {
					const message = consumer.messages.find((m) => m.key === key);
					expect(message?.partition).toBe(partitionForKey(key, 2));
				}
				await consumer.sub.stop();
			},
			TEST_TIMEOUT_MS,
		);

		test(
			"same key, same partition (Kafka's partitioner); order kept within a partition",
			async () => {
				const topic = topicName("order");
				const partitions = 4;
				await bus.ensureTopics([{ name: topic, partitions }]);
				const keys = Array.from({ length: 10 }, (_, i) => `org-${i}`);
				const records = Array.from({ length: 200 }, (_, i) => {
					const key = keys[i % keys.length] as string;
					return { key, value: `${key}:${Math.floor(i / keys.length)}` };
				});
				const produced: ProducedRecord[] = [];
				for (let i = 0; i < records.length; i += 50)
					produced.push(...(await bus.produce(topic, records.slice(i, i + 50))));
				records.forEach((record, i) => {
					expect(produced[i]?.partition).toBe(partitionForKey(record.key, partitions));
				});

				const consumer = track(consume(bus, { groupId: groupName("order"), topics: [topic], maxBatchSize: 17 }));
				await consumer.sub.ready;
				const firstDeliveries = () => {
					const seen = new Map<string, BusMessage>();
					for (const m of consumer.messages)
						if (!seen.has(`${m.partition}@${m.offset}`)) seen.set(`${m.partition}@${m.offset}`, m);
					return [...seen.values()];
				};
				await waitFor(() => firstDeliveries().length === records.length, { ...WAIT, what: "200 ordered messages" });
				const delivered = firstDeliveries();
				for (const key of keys) {
					const ofKey = delivered.filter((m) => m.key === key);
					expect(new Set(ofKey.map((m) => m.partition))).toEqual(new Set([partitionForKey(key, partitions)]));
					expect(ofKey.map((m) => Number(text(m).split(":")[1]))).toEqual(Array.from({ length: 20 }, (_, i) => i));
				}
				for (let p = 0; p < partitions; p++) {
					const offsets = delivered.filter((m) => m.partition === p).map((m) => BigInt(m.offset));
					expect(offsets).toEqual([...offsets].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
				}
				await consumer.sub.stop();
			},
			TEST_TIMEOUT_MS,
		);

		test(
			"consumer groups: members split the partitions; another group gets everything",
			async () => {
				const topic = topicName("groups");
				await bus.ensureTopics([{ name: topic, partitions: 4 }]);
				const groupId = groupName("shared");
				const a = track(consume(bus, { groupId, topics: [topic] }));
				const b = track(consume(bus, { groupId, topics: [topic] }));
				const other = track(consume(bus, { groupId: groupName("other"), topics: [topic] }));
				await Promise.all([a.sub.ready, b.sub.ready, other.sub.ready]);

				// During a rebalance at-least-once may deliver twice; once the group is stable each
				// message goes to exactly one member. Produce waves until one shows a stable split.
				const ofWave = (c: Consumer, wave: number) => c.messages.filter((m) => text(m).startsWith(`w${wave}:`));
				let stable: { a: BusMessage[]; b: BusMessage[] } | undefined;
				let waves = 0;
				for (let wave = 0; wave < 6 && !stable; wave++) {
					waves = wave + 1;
					await bus.produce(
						topic,
						Array.from({ length: 40 }, (_, j) => ({ key: `w${wave}-org-${j}`, value: `w${wave}:${j}` })),
					);
					await waitFor(() => new Set([...ofWave(a, wave), ...ofWave(b, wave)].map(text)).size === 40, {
						...WAIT,
						what: `wave ${wave} consumed by the group`,
					});
					const [inA, inB] = [ofWave(a, wave), ofWave(b, wave)];
					if (inA.length > 0 && inB.length > 0 && inA.length + inB.length === 40) stable = { a: inA, b: inB };
				}
				expect(stable).toBeDefined();
				if (stable) {
					const partitionsA = new Set(stable.a.map((m) => m.partition));
					expect(stable.b.some((m) => partitionsA.has(m.partition))).toBe(false);
				}
				await waitFor(() => new Set(other.messages.map(text)).size === waves * 40, {
					...WAIT,
					what: "the other group to get every message",
				});
				await Promise.all([a.sub.stop(), b.sub.stop(), other.sub.stop()]);
			},
			TEST_TIMEOUT_MS,
		);

		test(
			"a restarted bus resumes the group after its last commit",
			async () => {
				const topic = topicName("resume");
				const groupId = groupName("resume");
				await bus.ensureTopics([{ name: topic, partitions: 2 }]);
				await bus.produce(
					topic,
					Array.from({ length: 20 }, (_, i) => ({ key: `org-${i % 5}`, value: `old-${i}` })),
				);
				const first = track(consume(bus, { groupId, topics: [topic] }));
				await first.sub.ready;
				await waitFor(async () => first.messages.length >= 20 && (await totalLag(bus, groupId, topic)) === 0, {
					...WAIT,
					what: "the first 20 messages committed",
				});
				await first.sub.stop();

				await bus.close();
				bus = await (harness as BusHarness).open();
				for (const p of await bus.lag(groupId, topic)) {
					expect(p.lag).toBe(0);
					expect(p.committedOffset).toBe(p.highWatermark);
				}
				await bus.produce(
					topic,
					Array.from({ length: 10 }, (_, i) => ({ key: `org-${i % 5}`, value: `new-${i}` })),
				);
				const second = track(consume(bus, { groupId, topics: [topic] }));
				await second.sub.ready;
				await waitFor(async () => (await totalLag(bus, groupId, topic)) === 0 && second.messages.length >= 10, {
					...WAIT,
					what: "the 10 new messages committed",
				});
				// Within a partition old messages would come before new ones, so none seen means none re-read.
				expect(second.messages.map(text).filter((v) => v.startsWith("old-"))).toEqual([]);
				expect(new Set(second.messages.map(text)).size).toBe(10);
				await second.sub.stop();
			},
			TEST_TIMEOUT_MS,
		);

		test(
			"a throwing handler gets the batch again; nothing is lost",
			async () => {
				const topic = topicName("retry");
				const groupId = groupName("retry");
				await bus.ensureTopics([{ name: topic, partitions: 1 }]);
				await bus.produce(
					topic,
					["a", "b", "c"].map((value) => ({ key: "org-1", value })),
				);
				const deliveries = new Map<string, number>();
				let calls = 0;
				const consumer = track(
					consume(bus, { groupId, topics: [topic] }, async (batch) => {
						for (const m of batch.messages) deliveries.set(m.offset, (deliveries.get(m.offset) ?? 0) + 1);
						calls++;
						if (calls === 1) throw new Error("contract: first delivery fails on purpose");
					}),
				);
				await consumer.sub.ready;
				await waitFor(
					async () => new Set(consumer.messages.map(text)).size === 3 && (await totalLag(bus, groupId, topic)) === 0,
					{
						...WAIT,
						what: "redelivery after a failure",
					},
				);
				expect(deliveries.get("0")).toBeGreaterThanOrEqual(2);
				await consumer.sub.stop();
			},
			TEST_TIMEOUT_MS,
		);

		test(
			"lag counts unconsumed messages per partition and reaches 0 after consumption",
			async () => {
				const topic = topicName("lag");
				const groupId = groupName("lag");
				await bus.ensureTopics([{ name: topic, partitions: 3 }]);
				const produced = await bus.produce(
					topic,
					Array.from({ length: 30 }, (_, i) => ({ key: `org-${i}`, value: `m-${i}` })),
				);
				const perPartition = [0, 1, 2].map((p) => produced.filter((r) => r.partition === p).length);
				const before = await bus.lag(groupId, topic);
				expect(before.map((p) => p.partition)).toEqual([0, 1, 2]);
				for (const p of before) {
					expect(p.topic).toBe(topic);
					expect(p.committedOffset).toBe("-1");
					expect(p.highWatermark).toBe(String(perPartition[p.partition]));
					expect(p.lag).toBe(perPartition[p.partition] as number);
				}
				const consumer = track(consume(bus, { groupId, topics: [topic] }));
				await consumer.sub.ready;
				const after = await waitFor(
					async () => {
						const lag = await bus.lag(groupId, topic);
						return lag.every((p) => p.lag === 0) ? lag : undefined;
					},
					{ ...WAIT, what: "lag 0" },
				);
				for (const p of after) {
					expect(p.committedOffset).toBe(String(perPartition[p.partition]));
					expect(p.highWatermark).toBe(String(perPartition[p.partition]));
				}
				await consumer.sub.stop();
			},
			TEST_TIMEOUT_MS,
		);

		for (const outcome of ["resolves", "throws"] as const) {
			test(
				`stop() waits for a slow handler and commits its batch only if it ${outcome}`,
				async () => {
					const topic = topicName(`stop_${outcome}`);
					const groupId = groupName(`stop_${outcome}`);
					await bus.ensureTopics([{ name: topic, partitions: 1 }]);
					await bus.produce(
						topic,
						Array.from({ length: 5 }, (_, i) => ({ key: "org-1", value: `s-${i}` })),
					);
					const entered: Batch[] = [];
					let sawAbort = false;
					let finished = false;
					let release = () => {};
					const gate = new Promise<void>((resolve) => {
						release = resolve;
					});
					const consumer = track(
						consume(bus, { groupId, topics: [topic] }, async (batch, { signal }) => {
							entered.push(batch);
							await abortedOf(signal);
							sawAbort = true;
							await gate;
							finished = true;
							if (outcome === "throws") throw new Error("contract: batch abandoned on stop");
						}),
					);
					await consumer.sub.ready;
					await waitFor(() => entered.length > 0, { ...WAIT, what: "the slow handler to start" });
					let stopped = false;
					const stopping = consumer.sub.stop().then(() => {
						stopped = true;
					});
					await waitFor(() => sawAbort, { ...WAIT, what: "the handler to see the abort" });
					expect(stopped).toBe(false);
					release();
					await stopping;
					expect(finished).toBe(true);
					expect(entered.length).toBe(1);
					const [lag] = await bus.lag(groupId, topic);
					if (outcome === "resolves") {
						const last = entered[0]?.messages.at(-1)?.offset;
						expect(lag?.committedOffset).toBe(String(Number(last) + 1));
						return;
					}
					expect(lag?.committedOffset).toBe("-1");
					expect(lag?.lag).toBe(5);
					const again = track(consume(bus, { groupId, topics: [topic] }));
					await again.sub.ready;
					await waitFor(() => again.messages.length >= 5, { ...WAIT, what: "redelivery of the abandoned batch" });
					expect(again.messages[0]?.offset).toBe("0");
					await again.sub.stop();
				},
				TEST_TIMEOUT_MS,
			);
		}

		test(
			"deadLetter writes the original message, the error and the attempts to <topic>.dlq",
			async () => {
				const topic = topicName("dlq_source");
				const dlq = dlqTopic(topic);
				await bus.ensureTopics([
					{ name: topic, partitions: 2 },
					{ name: dlq, partitions: 2 },
				]);
				const binary = new Uint8Array([0xff, 0xfe, 0x00, 0x41]);
				await bus.produce(topic, [
					{ key: "org-7", value: binary, headers: { trace_id: "tr-7" } },
					{ key: "org-8", value: "plain text", headers: { trace_id: "tr-8" } },
				]);
				const failures = new Map<string, Error>([
					["org-7", new PoisonMessageError("cannot parse", { topic, partition: 0, offset: "0" })],
					["org-8", Object.assign(new Error("warehouse down"), { code: "ECONNREFUSED" })],
				]);
				const source = track(
					consume(bus, { groupId: groupName("dlq_source"), topics: [topic] }, async (batch) => {
						for (const m of batch.messages) await deadLetter(bus, m, failures.get(m.key ?? ""), 3);
					}),
				);
				const letters = track(consume(bus, { groupId: groupName("dlq_reader"), topics: [dlq] }));
				await Promise.all([source.sub.ready, letters.sub.ready]);
				await waitFor(() => new Set(letters.messages.map((m) => m.key)).size === 2, {
					...WAIT,
					what: "2 dead letters",
				});
				for (const key of ["org-7", "org-8"]) {
					const original = source.messages.find((m) => m.key === key);
					const letter = letters.messages.find((m) => m.key === key);
					if (!original || !letter) throw new Error(`missing message for ${key}`);
					expect(letter.topic).toBe(dlq);
					expect({ ...letter.headers }).toEqual({ ...original.headers });
					const decoded = decodeDeadLetter(letter.value);
					expect(decoded.original).toMatchObject({
						topic,
						partition: original.partition,
						offset: original.offset,
						key,
						headers: { ...original.headers },
						timestamp: original.timestamp,
					});
					expect([...originalValue(decoded)]).toEqual([...original.value]);
					expect(decoded.attempts).toBe(3);
					expect(Number.isNaN(Date.parse(decoded.failed_at))).toBe(false);
				}
				const seven = decodeDeadLetter(letters.messages.find((m) => m.key === "org-7")?.value ?? new Uint8Array());
				expect(seven.original.value_utf8).toBeUndefined();
				expect(seven.error).toEqual({ name: "PoisonMessageError", message: "cannot parse", retriable: false });
				const eight = decodeDeadLetter(letters.messages.find((m) => m.key === "org-8")?.value ?? new Uint8Array());
				expect(eight.original.value_utf8).toBe("plain text");
				expect(eight.error).toEqual({
					name: "Error",
					message: "warehouse down",
					code: "ECONNREFUSED",
					retriable: false,
				});
				await Promise.all([source.sub.stop(), letters.sub.stop()]);
			},
			TEST_TIMEOUT_MS,
		);
	});
}
