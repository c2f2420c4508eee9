import type { Hono } from "hono";
import type { Bus } from "../bus/port.ts";
import { type BatchHandler, type ConsumerLoop, type MessageHandler, startConsumerLoop } from "./consumer.ts";
import { createHealthApp, type ReadinessCheck } from "./health-app.ts";
import type { Logger } from "./logger.ts";
import { createMetrics, type Metrics } from "./metrics.ts";

/** What a worker folder exports: its name, what it consumes and how it handles one message. */
export interface WorkerDefinition {
	name: string;
	/** Consumer group; every process of this worker shares it. Default `pacer-<name>`. */
	groupId?: string;
	topics: readonly string[];
	handler: MessageHandler;
	/** Optional fast path handling a whole batch; what it leaves goes through `handler`. */
	batchHandler?: BatchHandler;
	/** Bytes one batch may hold (bigger batches for a batchHandler that amortises per-batch work). */
	maxBatchBytes?: number;
	/** Worker-specific routes mounted on its app beside /health, /ready and /metrics. */
	routes?: (app: Hono) => void;
	checks?: ReadinessCheck[];
	maxAttempts?: number;
	initialBackoffMs?: number;
	/** Releases what the worker opened for itself (its DuckDB, ...), after its consumer stopped. */
	close?: () => Promise<void>;
	/** See ConsumerLoopOptions.deadLetterFailures. Default true. */
	deadLetterFailures?: boolean;
}

export interface RunningWorker {
	readonly name: string;
	readonly app: Hono;
	readonly metrics: Metrics;
	readonly loop: ConsumerLoop;
	/** Stops consuming and waits for the in-flight batch (SIGTERM path). */
	stop(): Promise<void>;
}

/** Starts a worker's consumer loop and builds its HTTP face; main.ts serves it. */
export function startWorker(
	definition: WorkerDefinition,
	deps: { bus: Bus; logger: Logger; metrics?: Metrics; checks?: ReadinessCheck[] },
): RunningWorker {
	const metrics = deps.metrics ?? createMetrics();
	const logger = deps.logger.child({ worker: definition.name });
	const loop = startConsumerLoop({
		name: definition.name,
		bus: deps.bus,
		groupId: definition.groupId ?? `pacer-${definition.name}`,
		topics: [...definition.topics],
		handler: definition.handler,
		batchHandler: definition.batchHandler,
		maxBatchBytes: definition.maxBatchBytes,
		logger,
		metrics,
		maxAttempts: definition.maxAttempts,
		initialBackoffMs: definition.initialBackoffMs,
		deadLetterFailures: definition.deadLetterFailures,
	});
	const app = createHealthApp({
		service: definition.name,
		metrics,
		checks: [
			{ name: `consumer:${definition.name}`, check: () => loop.isReady() },
			...(definition.checks ?? []),
			...(deps.checks ?? []),
		],
	});
	definition.routes?.(app);
	return {
		name: definition.name,
		app,
		metrics,
		loop,
		stop: async () => {
			await loop.stop();
			await definition.close?.();
		},
	};
}
