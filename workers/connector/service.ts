import type { Hono } from "hono";
import type { Bus } from "../../lib/bus/port.ts";
import type { ConnectorTables } from "../../lib/db/migrations/0002-connectors.ts";
import type { Database } from "../../lib/db/port.ts";
import type { ObjectStore } from "../../lib/objectstore/port.ts";
import { createHealthApp, type ReadinessCheck } from "../../lib/runtime/health-app.ts";
import type { Logger } from "../../lib/runtime/logger.ts";
import { createMetrics, type Metrics } from "../../lib/runtime/metrics.ts";
import { connectorRoutes } from "./app.ts";
import { type BackpressureOptions, createBackpressure } from "./backpressure.ts";
import { connectorMetrics } from "./metrics.ts";
import { type ConnectionRunner, createConnectionRunner } from "./runner.ts";
import { type ConnectorRuntime, type ConnectorRuntimeOptions, createConnectorRuntime } from "./runtime.ts";
import { type Scheduler, startScheduler } from "./scheduler.ts";
import type { Connection, Source, SourceName } from "./source.ts";
import { createStatusStore, type StatusStore } from "./status.ts";

export interface ConnectorWorkerDeps {
	bus: Bus;
	/** The application database (migrated: connections, connection_status). */
	database: Database<ConnectorTables>;
	objectStore: ObjectStore;
	logger: Logger;
	metrics?: Metrics;
	/** Connections with decrypted credentials (from the connections table). */
	connections: readonly Connection[];
	sources: Partial<Record<SourceName, Source>>;
	/** Default: the real clock. */
	clock?: ConnectorRuntimeOptions["clock"];
	fetch?: typeof fetch;
	/** Run connections on their cron schedules. Default true. */
	schedule?: boolean;
	/** Backpressure from the bronze group's lag; false turns it off. Default on with BackpressureOptions' defaults. */
	backpressure?: Partial<Omit<BackpressureOptions, "bus" | "clock" | "logger" | "metrics">> | false;
	breakerCooldownMs?: number;
	maxInlineBytes?: number;
	checks?: ReadinessCheck[];
}

export interface ConnectorWorker {
	readonly name: "connector";
	readonly app: Hono;
	readonly metrics: Metrics;
	readonly runtime: ConnectorRuntime;
	readonly runner: ConnectionRunner;
	readonly scheduler: Scheduler | null;
	readonly status: StatusStore;
	/** Stops scheduling, cancels in-flight runs and waits for them (SIGTERM path). */
	stop(): Promise<void>;
}

const realClock = { now: () => new Date(), sleep: (ms: number) => Bun.sleep(ms) };

/**
 * The connector worker. It consumes no topic, so it is not a
 * WorkerDefinition: it composes the shared health app (/health, /ready,
 * /metrics) with its routes, the runtime, the scheduler and backpressure.
 */
export function connectorWorker(deps: ConnectorWorkerDeps): ConnectorWorker {
	const metrics = deps.metrics ?? createMetrics();
	const clock = deps.clock ?? realClock;
	const logger = deps.logger.child({ worker: "connector" });
	const status = createStatusStore(deps.database);
	const abort = new AbortController();
	const backpressure =
		deps.backpressure === false
			? undefined
			: createBackpressure({ bus: deps.bus, clock, logger, metrics: connectorMetrics(metrics), ...deps.backpressure });
	const runtime = createConnectorRuntime({
		bus: deps.bus,
		objectStore: deps.objectStore,
		status,
		logger,
		metrics,
		clock,
		fetch: deps.fetch,
		breakerCooldownMs: deps.breakerCooldownMs,
		maxInlineBytes: deps.maxInlineBytes,
		backpressure,
	});
	const runner = createConnectionRunner({
		runtime,
		sources: deps.sources,
		connections: deps.connections,
		now: clock.now,
		logger,
		signal: abort.signal,
	});
	const scheduler = deps.schedule === false ? null : startScheduler(runner, logger);
	const app = createHealthApp({
		service: "connector",
		metrics,
		checks: [
			{ name: "sources", check: () => deps.connections.every((c) => deps.sources[c.source] !== undefined) },
			...(deps.checks ?? []),
		],
	});
	connectorRoutes({ runner, status, breakers: runtime.breakers, scheduler: scheduler ?? undefined })(app);
	return {
		name: "connector",
		app,
		metrics,
		runtime,
		runner,
		scheduler,
		status,
		async stop() {
			scheduler?.stop();
			abort.abort();
			await runner.idle();
			runtime.stop();
		},
	};
}
