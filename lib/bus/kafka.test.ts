import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { crashResumeScenario } from "../../test/support/bus-crash-scenario.ts";
import { type KafkaMock, kafkaMockUnavailableReason, startKafkaMock } from "../../test/support/kafka-mock.ts";
import { testNamespace, waitFor } from "../../test/support/namespace.ts";
import { describeWithService } from "../../test/support/services.ts";
import { AdapterError, ValidationError } from "../errors.ts";
import { busContract } from "./bus.contract.ts";
import { type BusLogger, createKafkaBus, type KafkaBusOptions } from "./kafka.ts";
import type { Bus, BusMessage } from "./port.ts";

// KAFKA_BROKERS points the suite at a real cluster instead of the mock.
const externalBrokers = process.env.KAFKA_BROKERS?.split(",").filter(Boolean);
const TIMEOUT_MS = 180_000;
const decoder = new TextDecoder();

/**
 * kafkajs's warnings (rebalances, the contract's deliberate handler failures)
 * are kept in memory; KAFKA_TEST_LOGS=1 prints them.
 */
const logs: string[] = [];
const logger: BusLogger = {
	warn: (msg, fields) => logs.push(JSON.stringify({ level: "warn", msg, ...fields })),
	error: (msg, fields) => logs.push(JSON.stringify({ level: "error", msg, ...fields })),
};

describeWithService(
	externalBrokers ? "bus contract: kafka (KAFKA_BROKERS)" : "bus contract: kafka (librdkafka mock cluster)",
	externalBrokers ? null : kafkaMockUnavailableReason(),
	() => {
		const ns = testNamespace("kafka");
		let mock: KafkaMock | undefined;
		let brokers: string[] = [];
		const opened: Bus[] = [];

		beforeAll(async () => {
			if (externalBrokers) brokers = externalBrokers;
			else {
				mock = await startKafkaMock();
				brokers = mock.brokers;
			}
		}, TIMEOUT_MS);

		afterAll(async () => {
			await Promise.allSettled(opened.map((bus) => bus.close()));
			await mock?.stop();
			ns.cleanup();
			if (process.env.KAFKA_TEST_LOGS === "1") for (const line of logs) console.error(line);
		}, TIMEOUT_MS);

		/**
		 * Group timings turned down so joins and rebalances take seconds, not
		 * half a minute. The mock waits session - 1 s for members to rejoin;
		 * real brokers refuse sessions under 6 s.
		 */
		const tuning = (): Partial<KafkaBusOptions> =>
			externalBrokers
				? { sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, rebalanceTimeoutMs: 10_000 }
				: {
						sessionTimeoutMs: 3000,
						heartbeatIntervalMs: 300,
						rebalanceTimeoutMs: 3000,
						...(mock ? { createTopicOutOfBand: mock.createTopic } : {}),
					};

		const openBus = async (topicPrefix: string, extra: Partial<KafkaBusOptions> = {}): Promise<Bus> => {
			const bus = await createKafkaBus({
				brokers,
				clientId: "pacer-kafka-test",
				topicPrefix,
				maxWaitTimeMs: 200,
				redeliveryDelayMs: 100,
				logger,
				...tuning(),
				...extra,
			});
			opened.push(bus);
			return bus;
		};

		busContract("contract", async () => ({
			open: () => openBus(`${ns.id}.`),
			cleanup: async () => {},
		}));

		describe("kafka specifics", () => {
			test(
				"topic prefixes isolate runs on one cluster; consumers see logical names",
				async () => {
					const [left, right] = await Promise.all([openBus(`${ns.id}.left.`), openBus(`${ns.id}.right.`)]);
					for (const bus of [left, right]) await bus.ensureTopics([{ name: "shared", partitions: 2 }]);
					await left.produce("shared", [{ key: "k", value: "from-left" }]);
					await right.produce("shared", [{ key: "k", value: "from-right" }]);
					const seen: BusMessage[][] = [[], []];
					const subs = [left, right].map((bus, i) =>
						bus.subscribe({ groupId: "same-group", topics: ["shared"] }, async (batch) => {
							seen[i]?.push(...batch.messages);
						}),
					);
					await Promise.all(subs.map((sub) => sub.ready));
					await waitFor(() => seen.every((messages) => messages.length > 0), {
						timeoutMs: 60_000,
						what: "both sides to consume",
					});
					expect(seen.map((messages) => messages.map((m) => decoder.decode(m.value)))).toEqual([
						["from-left"],
						["from-right"],
					]);
					expect(seen.flat().map((m) => m.topic)).toEqual(["shared", "shared"]);
					await Promise.all(subs.map((sub) => sub.stop()));
					// The same logical group id, prefixed, is two groups.
					expect((await left.lag("same-group", "shared")).reduce((n, p) => n + p.lag, 0)).toBe(0);
					expect((await right.lag("same-group", "shared")).reduce((n, p) => n + p.lag, 0)).toBe(0);
				},
				TIMEOUT_MS,
			);

			test(
				"fromBeginning: false starts a new group at the end as of `ready`, not as of its first fetch",
				async () => {
					const bus = await openBus(`${ns.id}.latest.`);
					await bus.ensureTopics([{ name: "events", partitions: 2 }]);
					await bus.produce("events", [
						{ key: "a", value: "old" },
						{ key: "b", value: "old" },
					]);
					const seen: string[] = [];
					const sub = bus.subscribe({ groupId: "late", topics: ["events"], fromBeginning: false }, async (batch) => {
						seen.push(...batch.messages.map((m) => decoder.decode(m.value)));
					});
					await sub.ready;
					// Produced at once: kafkajs alone would look up "latest" only now and could skip these.
					await bus.produce("events", [
						{ key: "a", value: "new" },
						{ key: "b", value: "new" },
					]);
					await waitFor(() => seen.length >= 2, { timeoutMs: 60_000, what: "the two new messages" });
					expect(seen).toEqual(["new", "new"]);
					await sub.stop();
				},
				TIMEOUT_MS,
			);

			test(
				"unknown topics are refused; broker failures are AdapterErrors with kafkajs's retriable flag",
				async () => {
					// A missing topic is refused before kafkajs asks for its metadata, which
					// would create it with the brokers' default partition count.
					const bus = await openBus(`${ns.id}.errors.`);
					const produced = await bus.produce("missing", [{ key: "k", value: "v" }]).catch((e) => e);
					expect(produced).toBeInstanceOf(ValidationError);
					expect(produced.context).toMatchObject({ topic: "missing" });
					expect(await bus.lag("g", "missing").catch((e) => e)).toBeInstanceOf(ValidationError);
					const sub = bus.subscribe({ groupId: "g", topics: ["missing"] }, async () => {});
					expect(await sub.ready.catch((e) => e)).toBeInstanceOf(ValidationError);
					await sub.stop();
					await bus.ensureTopics([{ name: "present", partitions: 1 }]);
					expect(await bus.produce("present", [{ key: null, value: "v" }])).toEqual([
						{ topic: "present", partition: 0, offset: "0" },
					]);

					// Nothing listens on port 1: connection refused, which may succeed later.
					const unreachable = await createKafkaBus({
						brokers: ["127.0.0.1:1"],
						clientId: "pacer-kafka-test",
						connectionTimeoutMs: 500,
						retry: { retries: 1, initialRetryTimeMs: 50 },
						logger,
					}).catch((e) => e);
					expect(unreachable).toBeInstanceOf(AdapterError);
					expect(unreachable.retriable).toBe(true);
					expect(unreachable.context).toMatchObject({ operation: "connect", brokers: ["127.0.0.1:1"] });
				},
				TIMEOUT_MS,
			);

			test(
				"a SIGKILLed consumer process restarts after its last commit and loses nothing",
				async () => {
					const prefix = `${ns.id}.crash.`;
					const batchSize = 10;
					const started = Date.now();
					const result = await crashResumeScenario(
						{
							open: () => openBus(prefix),
							childEnv: {
								BUS_KIND: "kafka",
								KAFKA_BROKERS: brokers.join(","),
								BUS_TOPIC_PREFIX: prefix,
								KAFKA_SESSION_TIMEOUT_MS: "3000",
							},
						},
						// Offsets are committed after every handler call: a kill repeats at most the call in flight.
						{ batchSize, maxDuplicates: batchSize, timeoutMs: 120_000 },
					);
					expect(result.firstRunLines).toBeGreaterThan(0);
					console.info(`crash scenario (kafka): ${JSON.stringify(result)} in ${Date.now() - started} ms`);
				},
				TIMEOUT_MS,
			);
		});
	},
);
