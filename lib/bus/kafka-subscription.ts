/**
 * One Bus subscription = one kafkajs consumer in its group. Offsets are
 * committed by hand (autoCommit off, eachBatchAutoResolve off), chunk by
 * chunk, only after the handler resolved; kafkajs fetches from the last
 * resolved offset, so a chunk that is not resolved is fetched again.
 */
import type { Admin, EachBatchPayload, Kafka, KafkaMessage } from "kafkajs";
import { AdapterError, type PacerError } from "../errors.ts";
import { type BusLogger, toAdapterError } from "./kafka-support.ts";
import type { BatchHandler, BusMessage, SubscribeOptions, Subscription } from "./port.ts";
import { batchLimits } from "./topics.ts";

export interface KafkaSubscriptionDeps {
	kafka: Kafka;
	admin: Admin;
	logger: BusLogger;
	/** Physical group id (prefix applied). */
	groupId: string;
	/** Logical topic name -> physical and back. */
	physical(topic: string): string;
	logical(topic: string): string;
	sessionTimeoutMs: number;
	heartbeatIntervalMs: number;
	rebalanceTimeoutMs: number;
	maxWaitTimeMs: number;
	redeliveryDelayMs: number;
	retry: { retries: number; initialRetryTime: number; maxRetryTime: number };
	/** Runs before the consumer connects; throwing fails `ready` (e.g. a topic that does not exist). */
	beforeStart(): Promise<void>;
}

const decoder = new TextDecoder();
const RESTART_INITIAL_DELAY_MS = 500;
const RESTART_MAX_DELAY_MS = 30_000;

export function startKafkaSubscription(
	deps: KafkaSubscriptionDeps,
	options: SubscribeOptions,
	handler: BatchHandler,
): Subscription {
	const { logger, groupId } = deps;
	const fromBeginning = options.fromBeginning ?? true;
	const { maxBatchSize, maxBatchBytes } = batchLimits(options);
	const topics = options.topics.map((topic) => deps.physical(topic));
	const controller = new AbortController();
	const timers = new Set<ReturnType<typeof setTimeout>>();
	const consumer = deps.kafka.consumer({
		groupId,
		sessionTimeout: deps.sessionTimeoutMs,
		heartbeatInterval: deps.heartbeatIntervalMs,
		rebalanceTimeout: deps.rebalanceTimeoutMs,
		maxWaitTimeInMs: deps.maxWaitTimeMs,
		// kafkajs fetches 1 MiB per partition by default: about one raw page, so bronze would commit to the
		// lake once per page. The shared bound (DEFAULT_MAX_BATCH_BYTES unless asked) lets pages share one.
		maxBytesPerPartition: maxBatchBytes,
		maxBytes: Math.max(maxBatchBytes, 50 * 1024 * 1024),
		allowAutoTopicCreation: false,
		retry: deps.retry,
	});

	let joined = false;
	let settleReady: { resolve(): void; reject(error: unknown): void } | undefined;
	const ready = new Promise<void>((resolve, reject) => {
		settleReady = { resolve, reject };
	});
	// Callers may never await `ready`; a rejection must not become unhandled.
	ready.catch(() => {});
	const failReady = (error: PacerError) => {
		if (!joined) settleReady?.reject(error);
	};

	consumer.on(consumer.events.GROUP_JOIN, async (event) => {
		try {
			if (!fromBeginning) await pinLatestWhereUncommitted(event.payload.memberAssignment);
		} catch (error) {
			logger.warn("could not pin the start offsets of a new group", { groupId, error: String(error) });
		}
		joined = true;
		restartDelayMs = RESTART_INITIAL_DELAY_MS;
		settleReady?.resolve();
	});
	// kafkajs restarts a crashed consumer only for retriable errors. A worker
	// must heal from the others too (seen: SyncGroup INVALID_REQUEST while two
	// members join at once), so those restart here, with a growing delay that
	// a successful join resets. Nothing uncommitted is lost: a restart resumes
	// from the group's committed offsets.
	let restartDelayMs = RESTART_INITIAL_DELAY_MS;
	consumer.on(consumer.events.CRASH, (event) => {
		const error = toAdapterError(event.payload.error, "consume", { groupId, topics: options.topics });
		if (event.payload.restart || controller.signal.aborted) return;
		logger.error("kafka consumer crashed; restarting", { groupId, error: error.message, delay_ms: restartDelayMs });
		const timer = setTimeout(() => {
			timers.delete(timer);
			if (!controller.signal.aborted) started = runConsumer();
		}, restartDelayMs);
		timers.add(timer);
		restartDelayMs = Math.min(restartDelayMs * 2, RESTART_MAX_DELAY_MS);
	});

	/**
	 * kafkajs resolves a new group's "latest" start only at its first fetch,
	 * after the join; a message produced between `ready` and that fetch would
	 * be skipped. Seeking to the end during the join pins the start to a
	 * moment before `ready` resolves.
	 */
	async function pinLatestWhereUncommitted(assignment: Record<string, number[]>): Promise<void> {
		const assigned = Object.entries(assignment).filter(([, partitions]) => partitions.length > 0);
		if (assigned.length === 0) return;
		const committed = await deps.admin.fetchOffsets({ groupId, topics: assigned.map(([topic]) => topic) });
		for (const [topic, partitions] of assigned) {
			const offsets = committed.find((entry) => entry.topic === topic)?.partitions ?? [];
			const fresh = partitions.filter((p) => BigInt(offsets.find((o) => o.partition === p)?.offset ?? "-1") < 0n);
			if (fresh.length === 0) continue;
			const ends = await deps.admin.fetchTopicOffsets(topic);
			for (const partition of fresh) {
				const end = ends.find((e) => e.partition === partition);
				if (end) consumer.seek({ topic, partition, offset: end.high });
			}
		}
	}

	async function eachBatch(payload: EachBatchPayload): Promise<void> {
		const { batch } = payload;
		const topic = deps.logical(batch.topic);
		const signal = controller.signal;
		for (let start = 0; start < batch.messages.length; start += maxBatchSize) {
			if (signal.aborted || !payload.isRunning() || payload.isStale()) return;
			const slice = batch.messages.slice(start, start + maxBatchSize);
			const messages = slice.map((m) => toBusMessage(topic, batch.partition, m));
			try {
				await whileHeartbeating(payload, () => handler({ topic, partition: batch.partition, messages }, { signal }));
			} catch (error) {
				logger.warn("bus handler failed; its messages will be delivered again", {
					groupId,
					topic,
					partition: batch.partition,
					offset: messages[0]?.offset,
					error: error instanceof Error ? error.message : String(error),
				});
				if (!signal.aborted) pauseThenResume(payload);
				return;
			}
			const last = slice[slice.length - 1]?.offset ?? batch.lastOffset();
			const next = (BigInt(last) + 1n).toString();
			// Commit first, then resolve: if the commit fails (rebalance), the
			// chunk is neither committed nor skipped locally and comes back.
			await payload.commitOffsetsIfNecessary({
				topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }],
			});
			payload.resolveOffset(last);
		}
	}

	/** kafkajs only heartbeats between batches; a slow handler must not lose the group. */
	async function whileHeartbeating(payload: EachBatchPayload, work: () => Promise<void>): Promise<void> {
		const timer = setInterval(() => {
			payload.heartbeat().catch(() => {
				// A rebalance shows up again in the commit, which rejoins.
			});
		}, deps.heartbeatIntervalMs);
		try {
			await work();
		} finally {
			clearInterval(timer);
		}
	}

	/** Redelivery after a failed handler waits a moment, so a failing handler does not spin. */
	function pauseThenResume(payload: EachBatchPayload): void {
		const resume = payload.pause();
		const timer = setTimeout(() => {
			timers.delete(timer);
			resume();
		}, deps.redeliveryDelayMs);
		timers.add(timer);
	}

	const runConsumer = () =>
		(async () => {
			await deps.beforeStart();
			await consumer.connect();
			await consumer.subscribe({ topics, fromBeginning });
			await consumer.run({
				autoCommit: false,
				eachBatchAutoResolve: false,
				partitionsConsumedConcurrently: 1,
				eachBatch,
			});
		})().catch((error) => {
			const wrapped = toAdapterError(error, "subscribe", { groupId, topics: options.topics });
			logger.error("kafka subscription could not start", { groupId, error: wrapped.message });
			failReady(wrapped);
		});
	let started = runConsumer();

	let stopping: Promise<void> | undefined;
	return {
		ready,
		stop(): Promise<void> {
			stopping ??= (async () => {
				controller.abort();
				await started;
				for (const timer of timers) clearTimeout(timer);
				timers.clear();
				// disconnect() stops fetching, waits for the in-flight batch, leaves the group.
				await consumer.disconnect().catch((error) => {
					logger.warn("kafka consumer did not disconnect cleanly", { groupId, error: String(error) });
				});
				failReady(new AdapterError("subscription stopped before it joined its group", { context: { groupId } }));
			})();
			return stopping;
		},
	};
}

function toBusMessage(topic: string, partition: number, message: KafkaMessage): BusMessage {
	const headers: Record<string, string> = {};
	for (const [name, raw] of Object.entries(message.headers ?? {})) {
		// Kafka allows repeated headers; like Java's lastHeader(), the last one wins.
		const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
		if (value === undefined) continue;
		headers[name] = typeof value === "string" ? value : decoder.decode(value);
	}
	return {
		topic,
		partition,
		offset: message.offset,
		key: message.key === null || message.key === undefined ? null : decoder.decode(message.key),
		// A plain Uint8Array view (no copy): Buffer's subclass would leak kafkajs's type through the port.
		value: message.value
			? new Uint8Array(message.value.buffer, message.value.byteOffset, message.value.byteLength)
			: new Uint8Array(0),
		headers,
		timestamp: Number(message.timestamp),
	};
}
