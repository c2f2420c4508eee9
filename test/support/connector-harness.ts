import type { Hono } from "hono";
import { allTopics, createEmbeddedBus, RULES_ALERTS } from "../../lib/bus/index.ts";
import type { Bus } from "../../lib/bus/port.ts";
import { createDatabase, migrateToLatest } from "../../lib/db/index.ts";
import type { ConnectorTables } from "../../lib/db/migrations/0002-connectors.ts";
import { type AlertEnvelope, parseEnvelope, type RawDataEnvelope } from "../../lib/envelope/index.ts";
import { createLocalObjectStore, type ObjectStore } from "../../lib/objectstore/index.ts";
import { createLogger, type Logger } from "../../lib/runtime/logger.ts";
import { createMetrics, type Metrics } from "../../lib/runtime/metrics.ts";
import type { ConnectorDeadLetterValue } from "../../workers/connector/dead-letters.ts";
import {
	type ConnectorRuntime,
	type ConnectorRuntimeOptions,
	createConnectorRuntime,
	type RunResult,
} from "../../workers/connector/runtime.ts";
import type { Connection, DateWindow, RawPage, RunSummary, Source } from "../../workers/connector/source.ts";
import { type ConnectionStatus, createStatusStore, type StatusStore } from "../../workers/connector/status.ts";
import { testNamespace } from "./namespace.ts";

/** One dead letter as the harness saw it go to `connector.data.raw.dlq`. */
export interface HarnessDeadLetter {
	request: { method: string; url: string; bucket?: string };
	reason: string;
	/** "transient" | "fatal" | "auth" | "breaker_open" | "rejected". */
	kind: string;
	attempts: number;
	status: number | null;
	body: string | null;
	stream: string | null;
}

export interface HarnessRun {
	/** Pages published on connector.data.raw, in order. */
	pages: RawPage[];
	/** Their envelopes (request_id, body inline or object pointer). */
	envelopes: RawDataEnvelope[];
	/** Pages the source rejected with `context.reject`. */
	rejected: { page: RawPage; reason: string }[];
	/** Every dead letter of the run: requests the policy gave up on and rejected pages. */
	deadLetters: HarnessDeadLetter[];
	/** What source.run returned, or null when it threw. */
	summary: RunSummary | null;
	/** The connection_status row after the run. */
	status: ConnectionStatus | null;
	/** Sleeps on the virtual clock during this run (backoff, throttle, rate limits, polls), ms, in order. */
	sleeps: number[];
	/** Alerts published on rules.alerts during this run (breaker open/closed). */
	alerts: AlertEnvelope[];
	result: RunResult;
}

export interface HarnessOptions {
	clock: { now(): Date; sleep(ms: number): Promise<void>; readonly sleeps: number[] };
	fetch?: typeof fetch;
	/** Breaker cool-down, ms (on the virtual clock). Default 300,000. */
	breakerCooldownMs?: number;
	/** Inline limit, bytes. Default 900 KiB. */
	maxInlineBytes?: number;
	http?: ConnectorRuntimeOptions["http"];
	/** Print the framework's logs (debugging). Default false. */
	verbose?: boolean;
	/** Receives every log line (JSON) at debug level, e.g. to assert that no secret is logged. */
	onLog?: (line: string) => void;
}

export interface ConnectorHarness {
	/** Runs the source once through the real framework; breakers and limiters persist between runs. */
	run(source: Source, connection: Connection, window: DateWindow): Promise<HarnessRun>;
	readonly runtime: ConnectorRuntime;
	readonly status: StatusStore;
	readonly bus: Bus;
	readonly objectStore: ObjectStore;
	readonly metrics: Metrics;
	close(): Promise<void>;
}

/**
 * The real connector framework (HTTP policy, auth refresh, throttle waits,
 * retries, breakers, DLQ, status, envelopes) over an embedded bus, a local
 * object store and an in-memory SQLite database in a private temp dir, on the
 * caller's virtual clock. Keep one harness across runs to test breakers.
 */
export async function createConnectorHarness(options: HarnessOptions): Promise<ConnectorHarness> {
	const ns = testNamespace("connector");
	const embedded = await createEmbeddedBus({ dir: `${ns.dir}/bus` });
	await embedded.ensureTopics(allTopics(1));
	const alerts: AlertEnvelope[] = [];
	const bus: Bus = {
		ensureTopics: (topics) => embedded.ensureTopics(topics),
		async produce(topic, records) {
			if (topic === RULES_ALERTS) for (const r of records) alerts.push(parseEnvelope(RULES_ALERTS, r.value as string));
			return embedded.produce(topic, records);
		},
		subscribe: (o, h) => embedded.subscribe(o, h),
		lag: (g, t) => embedded.lag(g, t),
		close: () => embedded.close(),
	};
	const objectStore = createLocalObjectStore({ root: `${ns.dir}/objects` });
	const database = await createDatabase<ConnectorTables>({ sqlitePath: ":memory:" });
	await migrateToLatest(database);
	const status = createStatusStore(database);
	const metrics = createMetrics();
	const logger: Logger = createLogger({
		level: options.verbose || options.onLog ? "debug" : "error",
		write: (line) => {
			options.onLog?.(line);
			if (options.verbose) process.stdout.write(line);
		},
	});
	let current: { pages: RawPage[]; envelopes: RawDataEnvelope[]; deadLetters: HarnessDeadLetter[] } | null = null;
	const runtime = createConnectorRuntime({
		bus,
		objectStore,
		status,
		logger,
		metrics,
		clock: options.clock,
		fetch: options.fetch,
		breakerCooldownMs: options.breakerCooldownMs,
		maxInlineBytes: options.maxInlineBytes,
		http: options.http,
		observe: {
			page(page, envelope) {
				current?.pages.push(page);
				current?.envelopes.push(envelope);
			},
			deadLetter(value: ConnectorDeadLetterValue, attempts) {
				current?.deadLetters.push({
					request: value.request,
					reason: value.reason,
					kind: value.kind,
					attempts,
					status: value.status,
					body: value.body,
					stream: value.stream,
				});
			},
		},
	});
	return {
		runtime,
		status,
		bus,
		objectStore,
		metrics,
		async run(source, connection, window) {
			const sleepsBefore = options.clock.sleeps.length;
			const alertsBefore = alerts.length;
			current = { pages: [], envelopes: [], deadLetters: [] };
			const rejected: { page: RawPage; reason: string }[] = [];
			// Observe rejections at the source's boundary; the real reject still runs.
			const observed: Source = {
				...source,
				name: source.name,
				quotas: source.quotas,
				defaultLookbackDays: source.defaultLookbackDays,
				createAuth: (c, d) => source.createAuth(c, d),
				classify: (r, q) => source.classify(r, q),
				run: (context) =>
					source.run({
						...context,
						reject: async (page, reason) => {
							rejected.push({ page, reason });
							await context.reject(page, reason);
						},
					}),
			};
			const collected = current;
			const result = await runtime.run(observed, connection, window);
			current = null;
			return {
				...collected,
				rejected,
				summary: result.summary,
				status: await status.get(connection.id),
				sleeps: options.clock.sleeps.slice(sleepsBefore),
				alerts: alerts.slice(alertsBefore),
				result,
			};
		},
		async close() {
			runtime.stop();
			await bus.close();
			await objectStore.close();
			await database.close();
			ns.cleanup();
		},
	};
}

/** One run of `source` through the real framework on the virtual clock (a fresh harness, closed afterwards). */
export async function runSourceForTest(
	source: Source,
	connection: Connection,
	window: DateWindow,
	options: HarnessOptions,
): Promise<HarnessRun> {
	const harness = await createConnectorHarness(options);
	try {
		return await harness.run(source, connection, window);
	} finally {
		await harness.close();
	}
}

/** Serves a Hono app (a simulator) on 127.0.0.1 with a free port. */
export async function serveSimulator(app: Hono): Promise<{ url: string; stop(): Promise<void> }> {
	const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch });
	return { url: `http://127.0.0.1:${server.port}`, stop: async () => void (await server.stop(true)) };
}

/** A connection for tests with sensible defaults; override what the test needs. */
export function testConnection(overrides: Partial<Connection> & Pick<Connection, "source" | "baseUrls">): Connection {
	return {
		id: `conn-${overrides.source}`,
		orgId: "org-test",
		accounts: [],
		settings: {},
		credentials: {},
		schedule: null,
		lookbackDays: 7,
		timezone: "UTC",
		...overrides,
	};
}
