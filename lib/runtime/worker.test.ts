import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { testNamespace, waitFor } from "../../test/support/namespace.ts";
import { deadletterWorker } from "../../workers/deadletter/index.ts";
import { decodeDeadLetter } from "../bus/dlq.ts";
import { createEmbeddedBus } from "../bus/embedded.ts";
import type { Bus, BusMessage } from "../bus/port.ts";
import { allTopics, dlqTopic } from "../bus/topics.ts";
import { createDatabase, migrateToLatest } from "../db/index.ts";
import type { Database } from "../db/port.ts";
import { createEnvelope } from "../envelope/index.ts";
import { PacerError } from "../errors.ts";
import { createDeadLetterRepository } from "../ops/dead-letters.ts";
import { envelopeHandler, publishEnvelopes } from "./envelope-io.ts";
import { createLogger } from "./logger.ts";
import { createMetrics } from "./metrics.ts";
import { type RunningWorker, startWorker } from "./worker.ts";

const ns = testNamespace("runtime");
const logger = createLogger({ level: "error" });
let bus: Bus;
let database: Database;
const running: RunningWorker[] = [];

const gold = (org: string, tables = ["fct_delivery_daily"]) =>
	createEnvelope("gold.data.ready", { org_id: org, source: "gold", tables, dates: ["2026-11-27"] });

function start(definition: Parameters<typeof startWorker>[0]) {
	const worker = startWorker(definition, { bus, logger, metrics: createMetrics() });
	running.push(worker);
	return worker;
}

async function dlqMessages(topic: string): Promise<BusMessage[]> {
	const seen: BusMessage[] = [];
	const sub = bus.subscribe({ groupId: `probe-${crypto.randomUUID()}`, topics: [dlqTopic(topic)] }, async (b) => {
		seen.push(...b.messages);
	});
	await sub.ready;
	const lag = async () => (await bus.lag("none", dlqTopic(topic))).reduce((n, p) => n + Number(p.highWatermark), 0);
	const total = await lag();
	await waitFor(() => seen.length >= total, { what: "dlq read" });
	await sub.stop();
	return seen;
}

beforeAll(async () => {
	bus = await createEmbeddedBus({ dir: `${ns.dir}/bus`, defaultPartitions: 2 });
	await bus.ensureTopics(allTopics(2));
	database = await createDatabase({ sqlitePath: `${ns.dir}/app.sqlite` });
	await migrateToLatest(database);
});

afterEach(async () => {
	for (const worker of running.splice(0)) await worker.stop();
});

afterAll(async () => {
	await bus.close();
	await database.close();
	ns.cleanup();
});

describe("worker runtime", () => {
	test("valid envelopes are handled; a bad envelope goes to the DLQ with its reason, is counted and recorded", async () => {
		const handled: string[] = [];
		const worker = start({
			name: "probe",
			topics: ["gold.data.ready"],
			handler: envelopeHandler("gold.data.ready", async (envelope) => {
				handled.push(envelope.org_id);
			}),
		});
		const recorder = start(deadletterWorker({ repository: createDeadLetterRepository(database.db) }));
		await Promise.all([worker.loop.subscription.ready, recorder.loop.subscription.ready]);

		await publishEnvelopes(bus, "gold.data.ready", [gold("org-a"), gold("org-b")]);
		const bad = { ...gold("org-c"), tables: [] };
		await bus.produce("gold.data.ready", [
			{ key: "org-c", value: JSON.stringify(bad) },
			{ key: "org-d", value: "not json at all" },
		]);

		await waitFor(() => handled.length === 2, { what: "valid envelopes handled" });
		expect(handled.sort()).toEqual(["org-a", "org-b"]);
		const letters = await waitFor(async () => {
			const found = await dlqMessages("gold.data.ready");
			return found.length === 2 ? found : null;
		});
		const reasons = letters.map((m) => decodeDeadLetter(m.value)).map((l) => `${l.original.key}: ${l.error.message}`);
		expect(reasons.sort()).toEqual([
			expect.stringMatching(/^org-c: invalid gold\.data\.ready envelope: tables: /),
			expect.stringMatching(/^org-d: not a JSON envelope/),
		]);
		expect(
			worker.metrics
				.counter("pacer_messages_dead_lettered_total", "")
				.get({ worker: "probe", topic: "gold.data.ready", reason: "EnvelopeError" }),
		).toBe(2);
		expect(
			worker.metrics.counter("pacer_messages_processed_total", "").get({ worker: "probe", topic: "gold.data.ready" }),
		).toBe(2);

		const repository = createDeadLetterRepository(database.db);
		const rows = await waitFor(
			async () => {
				const list = await repository.list({ topic: "gold.data.ready" });
				return list.length === 2 ? list : null;
			},
			{ what: "dead letters recorded" },
		);
		expect(rows.map((r) => r.reason).join("\n")).toContain("tables:");
		expect(await repository.countByTopic()).toEqual({ "gold.data.ready": 2 });

		const response = await recorder.app.request("/dead-letters?topic=gold.data.ready");
		expect(response.status).toBe(200);
		expect(((await response.json()) as { items: unknown[] }).items).toHaveLength(2);
		expect((await recorder.app.request("/dead-letters?limit=0")).status).toBe(400);
	});

	test("retriable failures are retried with backoff; exhausted or non-retriable ones are dead-lettered with their attempt count", async () => {
		const calls = new Map<string, number>();
		const worker = start({
			name: "flaky",
			topics: ["rules.alerts"],
			initialBackoffMs: 5,
			handler: async (message) => {
				const key = message.key ?? "";
				const n = (calls.get(key) ?? 0) + 1;
				calls.set(key, n);
				if (key === "recovers" && n < 3) throw new PacerError("timeout", { retriable: true });
				if (key === "always-down") throw new PacerError("still down", { retriable: true });
				if (key === "invalid") throw new PacerError("negative spend", { retriable: false });
			},
		});
		await worker.loop.subscription.ready;
		await bus.produce(
			"rules.alerts",
			["recovers", "always-down", "invalid"].map((key) => ({ key, value: key })),
		);
		const letters = await waitFor(async () => {
			const found = await dlqMessages("rules.alerts");
			return found.length === 2 ? found.map((m) => decodeDeadLetter(m.value)) : null;
		});
		expect(calls.get("recovers")).toBe(3);
		expect(calls.get("always-down")).toBe(3);
		expect(calls.get("invalid")).toBe(1);
		const byKey = Object.fromEntries(letters.map((l) => [l.original.key, l]));
		expect(byKey["always-down"]?.attempts).toBe(3);
		expect(byKey["always-down"]?.error.retriable).toBe(true);
		expect(byKey.invalid?.attempts).toBe(1);
		expect(byKey.invalid?.error.message).toBe("negative spend");
		expect(byKey.recovers).toBeUndefined();
		expect(
			worker.metrics.counter("pacer_message_retries_total", "").get({ worker: "flaky", topic: "rules.alerts" }),
		).toBe(4);
	});

	test("a batch handler takes what it can; what it leaves, or a whole batch it fails on, goes through the per-message handler in order", async () => {
		const topic = "bronze.data.cleaned"; // no other test here uses it
		const id = (m: BusMessage) => m.headers.message_id ?? "";
		const batched: string[] = [];
		const single: string[] = [];
		let failNext = false;
		const worker = start({
			name: "batching",
			topics: [topic],
			handler: async (message) => {
				single.push(id(message));
				if (id(message) === "poison") throw new PacerError("cannot", { retriable: false });
			},
			batchHandler: async (messages) => {
				if (failNext) {
					failNext = false;
					throw new Error("batch failed");
				}
				const left = messages.filter((m) => id(m).startsWith("one-") || id(m) === "poison");
				batched.push(...messages.filter((m) => !left.includes(m)).map(id));
				return [...left].reverse(); // order of the answer does not matter: the loop keeps the batch's
			},
		});
		await worker.loop.subscription.ready;
		const lag = async () => (await bus.lag("pacer-batching", topic)).reduce((n, p) => n + p.lag, 0);
		// One key: one partition, so one batch in this order.
		const ids = ["a", "one-b", "c", "one-d", "poison"];
		await bus.produce(
			topic,
			ids.map((m) => ({ key: "org", value: m, headers: { message_id: m } })),
		);
		await waitFor(async () => (await lag()) === 0 && single.length + batched.length === 5, { what: "the batch" });
		expect(batched).toEqual(["a", "c"]);
		expect(single).toEqual(["one-b", "one-d", "poison"]);
		const processed = worker.metrics.counter("pacer_messages_processed_total", "");
		expect(processed.get({ worker: "batching", topic })).toBe(4);
		expect((await dlqMessages(topic)).map((m) => m.headers.message_id)).toEqual(["poison"]);

		failNext = true;
		single.length = 0;
		await bus.produce(topic, [
			{ key: "org", value: "x", headers: { message_id: "x" } },
			{ key: "org", value: "y", headers: { message_id: "y" } },
		]);
		await waitFor(async () => (await lag()) === 0 && single.length === 2, { what: "the fallback" });
		expect(single).toEqual(["x", "y"]);
		expect(batched).toEqual(["a", "c"]);
		expect(processed.get({ worker: "batching", topic })).toBe(6);
	});

	test("workers sharing one metrics registry each report their own consumer lag", async () => {
		const shared = createMetrics();
		for (const name of ["lag-a", "lag-b"]) {
			const worker = startWorker(
				{ name, topics: ["gold.data.ready"], handler: async () => {} },
				{ bus, logger, metrics: shared },
			);
			running.push(worker);
			await worker.loop.subscription.ready;
		}
		const text = await shared.render();
		expect(text).toContain('pacer_consumer_lag_messages{group="pacer-lag-a",partition="0",topic="gold.data.ready"}');
		expect(text).toContain('pacer_consumer_lag_messages{group="pacer-lag-b",partition="0",topic="gold.data.ready"}');
	});

	test("stop() abandons the in-flight batch without committing it; a restarted worker gets it again", async () => {
		const topic = "silver.data.processed";
		let release: () => void = () => {};
		const blocked = new Promise<void>((resolve) => {
			release = resolve;
		});
		const firstSeen: string[] = [];
		const first = start({
			name: "slow",
			topics: [topic],
			handler: async (message, { signal }) => {
				firstSeen.push(message.key ?? "");
				await Promise.race([
					blocked,
					new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted")))),
				]);
			},
		});
		await first.loop.subscription.ready;
		await bus.produce(topic, [{ key: "org-x", value: "v" }]);
		await waitFor(() => firstSeen.length === 1, { what: "first delivery" });
		await first.stop();
		running.splice(running.indexOf(first), 1);
		release();
		const lag = await bus.lag("pacer-slow", topic);
		expect(lag.reduce((n, p) => n + p.lag, 0)).toBe(1);

		const again: string[] = [];
		start({ name: "slow", topics: [topic], handler: async (m) => void again.push(m.key ?? "") });
		await waitFor(() => again.length === 1, { what: "redelivery after restart" });
		expect(again).toEqual(["org-x"]);
		await waitFor(async () => (await bus.lag("pacer-slow", topic)).every((p) => p.lag === 0), { what: "commit" });
	});
});
