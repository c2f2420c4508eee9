import type { Bus } from "../../lib/bus/port.ts";
import { newTraceId, type RawDataEnvelope } from "../../lib/envelope/index.ts";
import type { ObjectStore } from "../../lib/objectstore/port.ts";
import type { Logger } from "../../lib/runtime/logger.ts";
import { createMetrics, type Metrics } from "../../lib/runtime/metrics.ts";
import { type BreakerRegistry, createBreakerRegistry } from "./breaker.ts";
import { watchBreakers } from "./breaker-alerts.ts";
import { type ConnectorDeadLetterValue, createDeadLetterWriter } from "./dead-letters.ts";
import { createPageEmitter } from "./emit.ts";
import { RequestFailedError } from "./errors.ts";
import { connectorMetrics } from "./metrics.ts";
import { createRateLimiter, type RateLimiter } from "./rate-limiter.ts";
import { maskSecrets, redactingLogger, secretValues } from "./redact.ts";
import type { Connection, DateWindow, RawPage, RunSummary, Source, SourceRunContext } from "./source.ts";
import { createSourceHttp, type SourceHttpOptions } from "./source-http.ts";
import type { RunState, StatusStore } from "./status.ts";

/** Waits while downstream is behind (see backpressure.ts). */
export interface Backpressure {
	gate(signal?: AbortSignal): Promise<void>;
}

export interface ConnectorRuntimeOptions {
	bus: Bus;
	objectStore: ObjectStore;
	status: StatusStore;
	logger: Logger;
	metrics?: Metrics;
	/** Injected clock for backoff, throttles, polls, breaker cool-down. */
	clock: { now(): Date; sleep(ms: number): Promise<void> };
	/** Default: the global fetch. */
	fetch?: typeof fetch;
	/** Breaker cool-down before a half-open probe, ms. Default 300,000. */
	breakerCooldownMs?: number;
	/** Envelopes above this go to object storage, bytes. Default 900 KiB. */
	maxInlineBytes?: number;
	backpressure?: Backpressure;
	/** Overrides of the HTTP policy (tests, bench). */
	http?: Pick<SourceHttpOptions, "retries" | "initialBackoffMs" | "maxThrottleWaitMs" | "requestTimeoutMs">;
	/** Observes each page and dead letter as it is written (test harness, bench). */
	observe?: {
		page?(page: RawPage, envelope: RawDataEnvelope): void;
		deadLetter?(value: ConnectorDeadLetterValue, attempts: number): void;
	};
}

export interface RunResult {
	runId: string;
	traceId: string;
	state: Exclude<RunState, "running">;
	summary: RunSummary | null;
	pages: number;
	deadLetters: number;
	error: string | null;
}

export interface ConnectorRuntime {
	readonly breakers: BreakerRegistry;
	/** Runs one connection over one window; never throws for a source failure (the result says it). */
	run(
		source: Source,
		connection: Connection,
		window: DateWindow,
		options?: { runId?: string; signal?: AbortSignal },
	): Promise<RunResult>;
	stop(): void;
}

/**
 * What every run shares in one process: breakers (per source and account),
 * rate limiters (per connection: quotas belong to its credentials), metrics
 * and the breaker alerting. A run: status "running" → source.run with the
 * policy-wrapped HTTP client, page emitter and DLQ writer → status.
 */
export function createConnectorRuntime(options: ConnectorRuntimeOptions): ConnectorRuntime {
	const { bus, objectStore, status, clock } = options;
	const registry = options.metrics ?? createMetrics();
	const metrics = connectorMetrics(registry);
	const breakers = createBreakerRegistry({ now: clock.now, cooldownMs: options.breakerCooldownMs });
	const limiters = new Map<string, RateLimiter>();
	const known = new Map<string, Connection>();
	const usedAccounts = new Map<string, Set<string>>();
	const alerts = watchBreakers({
		breakers,
		bus,
		status,
		logger: options.logger,
		metrics,
		now: clock.now,
		connection: (id) => known.get(id),
	});

	const run: ConnectorRuntime["run"] = async (source, connection, window, runOptions = {}) => {
		known.set(connection.id, connection);
		const runId = runOptions.runId ?? crypto.randomUUID();
		const traceId = newTraceId();
		const secrets = secretValues(connection.credentials);
		const logger = redactingLogger(options.logger, secrets).child({
			connection_id: connection.id,
			source: source.name,
			run_id: runId,
			trace_id: traceId,
		});
		const signal = runOptions.signal ?? new AbortController().signal;
		const accounts = usedAccounts.get(connection.id) ?? new Set<string>();
		usedAccounts.set(connection.id, accounts);
		const anyOpen = () => [...accounts].some((account) => breakers.state(source.name, account) === "open");
		const limiter = limiters.get(connection.id) ?? createRateLimiter(source.quotas, clock);
		limiters.set(connection.id, limiter);
		let pages = 0;
		let deadLetters = 0;
		let lastDeadLetter: string | null = null;
		await status.started(connection, clock.now());

		const dlq = createDeadLetterWriter({ bus, connection, window, now: clock.now, secrets });
		const recordDeadLetter = (value: ConnectorDeadLetterValue, attempts: number) => {
			deadLetters += 1;
			lastDeadLetter = `${value.kind}: ${value.reason}`;
			metrics.deadLetters.inc({ source: source.name, kind: value.kind });
			options.observe?.deadLetter?.(value, attempts);
		};
		const emitPage = createPageEmitter({
			bus,
			objectStore,
			connection,
			window,
			traceId,
			now: clock.now,
			maxInlineBytes: options.maxInlineBytes,
		});
		const deps = { fetch: options.fetch ?? fetch, now: clock.now, logger };
		const http = createSourceHttp({
			source,
			connection,
			auth: source.createAuth(connection, deps),
			clock,
			fetch: options.fetch,
			logger,
			metrics: registry,
			breaker: trackAccounts(breakers, accounts),
			limiter,
			signal,
			...options.http,
			onGiveUp: async (failure) => {
				if (failure.kind === "aborted") return;
				recordDeadLetter(await dlq.request(failure), failure.attempts);
			},
		});
		const context: SourceRunContext = {
			connection,
			window,
			http,
			signal,
			logger,
			now: clock.now,
			sleep: (ms) => clock.sleep(ms),
			async emit(page) {
				if (options.backpressure) await options.backpressure.gate(signal);
				const envelope = await emitPage(page);
				pages += 1;
				metrics.pages.inc({ source: source.name, stream: page.stream });
				options.observe?.page?.(page, envelope);
			},
			async reject(page, reason) {
				metrics.rejectedPages.inc({ source: source.name });
				logger.warn("page rejected", {
					stream: page.stream,
					page_key: page.pageKey,
					reason: maskSecrets(reason, secrets),
				});
				recordDeadLetter(await dlq.page(page, reason), 1);
			},
		};

		let summary: RunSummary | null = null;
		let state: RunResult["state"] = "ok";
		let error: string | null = null;
		try {
			if (options.backpressure) await options.backpressure.gate(signal);
			summary = await source.run(context);
			metrics.rows.inc({ source: source.name }, summary.rows);
			error = lastDeadLetter;
			// The source carried on past failed requests, but an account's breaker is open: say so.
			if (anyOpen()) state = "breaker_open";
		} catch (thrown) {
			const breakerOpen = thrown instanceof RequestFailedError && thrown.kind === "breaker_open";
			state = breakerOpen || anyOpen() ? "breaker_open" : "failed";
			error = maskSecrets(thrown instanceof Error ? thrown.message : String(thrown), secrets);
			logger.warn("run failed", { state, error });
		}
		await alerts.settled();
		await status.finished(connection, {
			state,
			breakerState: anyOpen() ? "open" : "closed",
			at: clock.now(),
			error,
			rows: summary?.rows ?? 0,
			pages,
		});
		metrics.runs.inc({ source: source.name, state });
		logger.info("run finished", { state, pages, rows: summary?.rows ?? 0, dead_letters: deadLetters });
		return { runId, traceId, state, summary, pages, deadLetters, error };
	};

	return { breakers, run, stop: () => alerts.stop() };
}

/** The breaker registry as one connection sees it, remembering which (source, account) breakers it used. */
function trackAccounts(breakers: BreakerRegistry, used: Set<string>): BreakerRegistry {
	return {
		...breakers,
		execute(key, fn) {
			used.add(key.account);
			return breakers.execute(key, fn);
		},
	};
}
