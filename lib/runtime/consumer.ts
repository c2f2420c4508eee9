import { ExponentialBackoff, handleWhen, retry } from "cockatiel";
import { deadLetter } from "../bus/dlq.ts";
import type { Bus, BusMessage, Subscription } from "../bus/port.ts";
import { isRetriable } from "../errors.ts";
import { describeError, type Logger } from "./logger.ts";
import type { Metrics } from "./metrics.ts";

export interface MessageContext {
	readonly signal: AbortSignal;
	readonly logger: Logger;
}

/** Processes one message. Throw a retriable PacerError to retry it; anything else dead-letters it. */
export type MessageHandler = (message: BusMessage, context: MessageContext) => Promise<void>;

/**
 * Processes a whole batch at once, where that costs far less than one message
 * at a time (one transform and one lake commit for many pages). Returns the
 * messages it left undone, which then go through the per-message handler with
 * its retries and dead-lettering; when it throws, the whole batch does. So a
 * batch handler only has to be right for the common case, and must leave what
 * it handled in a state the per-message handler recognises as done.
 */
export type BatchHandler = (messages: readonly BusMessage[], context: MessageContext) => Promise<readonly BusMessage[]>;

export interface ConsumerLoopOptions {
	name: string;
	bus: Bus;
	groupId: string;
	topics: string[];
	handler: MessageHandler;
	/** Optional fast path for whole batches; see BatchHandler. */
	batchHandler?: BatchHandler;
	logger: Logger;
	metrics: Metrics;
	/** Attempts per message before it goes to the DLQ. Default 3. */
	maxAttempts?: number;
	/** First retry delay; doubles each attempt. Default 1000 ms (the product spec's 1 s, 2 s, 4 s). */
	initialBackoffMs?: number;
	maxBatchSize?: number;
	/** Upper bound of the bytes of one batch; see SubscribeOptions.maxBatchBytes. */
	maxBatchBytes?: number;
	/**
	 * Default true. False for consumers of dead-letter topics themselves: a
	 * failure there is retried by redelivering the batch, never dead-lettered
	 * again (there is no `.dlq.dlq`).
	 */
	deadLetterFailures?: boolean;
}

export interface ConsumerLoop {
	readonly subscription: Subscription;
	isReady(): boolean;
	stop(): Promise<void>;
}

/**
 * Runs a worker's per-message handler over its topics with at-least-once
 * semantics: messages of a batch are handled in order; a retriable failure is
 * retried with exponential backoff (cockatiel) inside the batch; a
 * non-retriable failure, or one still failing after `maxAttempts`, goes to
 * `<topic>.dlq` with the error and attempt count and is counted, so one bad
 * message never blocks its partition and is never dropped. The batch's offset
 * is committed by the bus only after every message was handled or
 * dead-lettered; on stop (SIGTERM) the loop abandons the rest of the batch
 * without committing, so it is redelivered, never half-committed.
 */
export function startConsumerLoop(options: ConsumerLoopOptions): ConsumerLoop {
	const { bus, logger, metrics, name } = options;
	const maxAttempts = options.maxAttempts ?? 3;
	const processed = metrics.counter(
		"pacer_messages_processed_total",
		"Messages handled successfully, by worker and topic.",
	);
	const deadLettered = metrics.counter(
		"pacer_messages_dead_lettered_total",
		"Messages sent to a dead-letter topic, by worker, topic and reason.",
	);
	const retries = metrics.counter("pacer_message_retries_total", "Retries of a message after a retriable failure.");
	const batchSeconds = metrics.histogram(
		"pacer_batch_duration_seconds",
		"Time to handle one batch, by worker and topic.",
	);
	const lagGauge = metrics.gauge(
		"pacer_consumer_lag_messages",
		"Messages not yet committed by the group, by topic and partition.",
	);
	// Each loop refreshes only its own group's series: in `npm start` several
	// loops share one registry, and a topic's partitions never go away.
	metrics.onCollect(async () => {
		for (const topic of options.topics) {
			for (const p of await bus.lag(options.groupId, topic).catch(() => [])) {
				lagGauge.set({ group: options.groupId, topic: p.topic, partition: p.partition }, p.lag);
			}
		}
	});

	const policy = retry(
		handleWhen((error) => isRetriable(error)),
		{
			maxAttempts: maxAttempts - 1,
			backoff: new ExponentialBackoff({
				initialDelay: options.initialBackoffMs ?? 1000,
				maxDelay: 30_000,
				exponent: 2,
			}),
		},
	);

	let ready = false;
	const subscription = bus.subscribe(
		{
			groupId: options.groupId,
			topics: options.topics,
			maxBatchSize: options.maxBatchSize,
			maxBatchBytes: options.maxBatchBytes,
		},
		async (batch, { signal }) => {
			const started = performance.now();
			let messages: readonly BusMessage[] = batch.messages;
			if (options.batchHandler && messages.length > 0) {
				try {
					const left = new Set(await options.batchHandler(messages, { signal, logger }));
					for (const message of messages) if (!left.has(message)) processed.inc({ worker: name, topic: message.topic });
					messages = messages.filter((message) => left.has(message));
				} catch (error) {
					if (signal.aborted) throw error;
					logger.warn("batch handler failed; handling the batch one message at a time", {
						topic: batch.topic,
						messages: messages.length,
						error,
					});
				}
			}
			for (const message of messages) {
				if (signal.aborted) throw new Error("stopping: batch abandoned before its end, nothing committed");
				const traceLogger = logger.child(traceFields(message));
				let attempts = 0;
				try {
					await policy.execute(async () => {
						attempts += 1;
						if (attempts > 1) retries.inc({ worker: name, topic: message.topic });
						await options.handler(message, { signal, logger: traceLogger });
					}, signal);
					processed.inc({ worker: name, topic: message.topic });
				} catch (error) {
					if (signal.aborted || options.deadLetterFailures === false) throw error;
					const reason = error instanceof Error ? error.name : "Error";
					traceLogger.warn("message dead-lettered", {
						topic: message.topic,
						partition: message.partition,
						offset: message.offset,
						attempts,
						error,
					});
					await deadLetter(bus, message, error, attempts);
					deadLettered.inc({ worker: name, topic: message.topic, reason });
				}
			}
			batchSeconds.observe({ worker: name, topic: batch.topic }, (performance.now() - started) / 1000);
		},
	);
	subscription.ready.then(
		() => {
			ready = true;
		},
		(error) =>
			logger.error("consumer failed to join its group", {
				error: describeError(error),
			}),
	);
	return {
		subscription,
		isReady: () => ready,
		stop: async () => {
			ready = false;
			await subscription.stop();
		},
	};
}

/**
 * Trace fields for every log line of a message, from the headers that
 * publishEnvelope() sets, so a raw page is never parsed just to log it.
 */
function traceFields(message: BusMessage): Record<string, unknown> {
	return {
		trace_id: message.headers.trace_id,
		message_id: message.headers.message_id,
		org_id: message.key,
	};
}
