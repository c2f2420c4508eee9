import {
	ExponentialBackoff,
	handleWhen,
	type IBackoff,
	type IBackoffFactory,
	noJitterGenerator,
	retry,
} from "cockatiel";
import { PacerError } from "../../lib/errors.ts";
import type { Logger } from "../../lib/runtime/logger.ts";
import type { Metrics } from "../../lib/runtime/metrics.ts";
import { type BreakerRegistry, isBrokenCircuit } from "./breaker.ts";
import { RequestFailedError } from "./errors.ts";
import { type ConnectorMetrics, connectorMetrics } from "./metrics.ts";
import { createRateLimiter, type RateLimiter } from "./rate-limiter.ts";
import { redactUrl } from "./redact.ts";
import type { AuthProvider, Connection, HttpRequest, HttpResponse, Source, SourceHttp } from "./source.ts";

export interface SourceHttpOptions {
	source: Source;
	connection: Connection;
	auth: AuthProvider;
	/** The injected clock: backoff, throttle waits and rate-limit waits all sleep on it. */
	clock: { now(): Date; sleep(ms: number): Promise<void> };
	/** Default: the global fetch. */
	fetch?: typeof fetch;
	logger: Logger;
	metrics?: Metrics;
	breaker: BreakerRegistry;
	/** Share one limiter per source across runs so quotas hold process-wide. Default: a new one. */
	limiter?: RateLimiter;
	/** Retries after the first try for transient failures; backoff doubles from `initialBackoffMs`. Default 3 (1 s, 2 s, 4 s). */
	retries?: number;
	/** First retry backoff, ms. Default 1,000. */
	initialBackoffMs?: number;
	/** Total throttle waiting allowed per request before the throttle counts as a transient failure, ms. Default 3,600,000 (1 h). */
	maxThrottleWaitMs?: number;
	/** Wall-clock timeout of one HTTP try, ms (a timeout is a transient failure). Default 300,000. */
	requestTimeoutMs?: number;
	/** Called with every request the policy gave up on, before it is thrown (the DLQ). */
	onGiveUp?: (error: RequestFailedError) => Promise<void>;
	signal?: AbortSignal;
}

/** A transient failure of one try; the retry policy handles only this. */
class TransientTry extends Error {
	constructor(
		readonly reason: string,
		readonly status: number | null,
		readonly body: string | null,
	) {
		super(reason);
	}
}

/**
 * The policy every source request goes through: rate limiter → auth headers
 * → fetch → `source.classify`. Auth errors refresh once and replay, throttles
 * wait and replay (neither is an attempt); transient failures are retried by
 * cockatiel with 1 s, 2 s, 4 s on the injected clock; fatal ones fail at once.
 * The whole request runs inside the (source, account) circuit breaker, so one
 * request that exhausted its retries is one breaker failure. Nothing else
 * retries: fetch does not, and sources must not, so attempts never multiply.
 */
export function createSourceHttp(options: SourceHttpOptions): SourceHttp {
	const { source, connection, auth, clock, logger, breaker } = options;
	const doFetch = options.fetch ?? fetch;
	const limiter = options.limiter ?? createRateLimiter(source.quotas, clock);
	const metrics: ConnectorMetrics = connectorMetrics(options.metrics);
	const retries = options.retries ?? 3;
	const maxThrottleWaitMs = options.maxThrottleWaitMs ?? 3_600_000;
	const requestTimeoutMs = options.requestTimeoutMs ?? 300_000;
	const labels = { source: source.name };

	const send = async (request: HttpRequest): Promise<HttpResponse> => {
		const release = await limiter.acquire(request.bucket, options.signal);
		try {
			const headers: Record<string, string> = {
				...(request.anonymous ? {} : await auth.headers()),
				...request.headers,
			};
			const init: RequestInit = {
				method: request.method,
				headers,
				signal: timeoutSignal(requestTimeoutMs, options.signal),
			};
			if (request.body !== undefined) init.body = encodeBody(request.body, headers);
			const response = await doFetch(request.url, init);
			const text = await response.text();
			return { status: response.status, headers: response.headers, text, receivedAt: clock.now() };
		} finally {
			release();
		}
	};

	const execute = async (request: HttpRequest): Promise<HttpResponse> => {
		const where = { method: request.method, url: redactUrl(request.url), bucket: request.bucket };
		let pendingBackoffMs = 0;
		let attempts = 0;
		let refreshed = false;
		let throttledMs = 0;
		const policy = retry(
			handleWhen((error) => error instanceof TransientTry),
			{
				maxAttempts: retries,
				backoff: onInjectedClock(options.initialBackoffMs ?? 1000, (ms) => (pendingBackoffMs = ms)),
			},
		);
		policy.onRetry(() => metrics.retries.inc(labels));
		const tryOnce = async (): Promise<HttpResponse> => {
			if (pendingBackoffMs > 0) {
				const wait = pendingBackoffMs;
				pendingBackoffMs = 0;
				await clock.sleep(wait);
			}
			attempts += 1;
			for (;;) {
				options.signal?.throwIfAborted();
				let response: HttpResponse;
				try {
					response = await send(request);
				} catch (error) {
					if (options.signal?.aborted) throw error;
					// A credential the token endpoint refused (invalid_grant, bad key)
					// will not work on a retry: fail the request at once.
					if (error instanceof PacerError && !error.retriable) {
						metrics.requests.inc({ ...labels, outcome: "auth" });
						throw new RequestFailedError({
							kind: "auth",
							reason: error.message,
							attempts,
							status: null,
							body: "",
							request: where,
						});
					}
					metrics.requests.inc({ ...labels, outcome: "network" });
					throw new TransientTry(`network error: ${(error as Error).message}`, null, null);
				}
				const verdict = source.classify(response, request);
				metrics.requests.inc({ ...labels, outcome: verdict.kind });
				switch (verdict.kind) {
					case "ok":
						return response;
					case "auth":
						if (refreshed || request.anonymous) {
							throw new RequestFailedError({
								kind: "auth",
								reason: verdict.reason,
								attempts,
								status: response.status,
								body: response.text,
								request: where,
							});
						}
						refreshed = true;
						metrics.authRefreshes.inc(labels);
						logger.info("credentials rejected, refreshing", { reason: verdict.reason, url: where.url });
						await auth.refresh();
						continue;
					case "throttled": {
						const wait = Math.max(1, verdict.waitMs ?? limiter.untilNextWindowMs(request.bucket));
						if (throttledMs + wait > maxThrottleWaitMs) {
							throw new TransientTry(
								`throttled for over ${maxThrottleWaitMs} ms: ${verdict.reason}`,
								response.status,
								response.text,
							);
						}
						throttledMs += wait;
						metrics.throttleWaitSeconds.inc({ ...labels, bucket: request.bucket }, wait / 1000);
						logger.info("throttled, waiting", { reason: verdict.reason, wait_ms: wait, bucket: request.bucket });
						await clock.sleep(wait);
						continue;
					}
					case "transient":
						throw new TransientTry(verdict.reason, response.status, response.text);
					case "fatal":
						throw new RequestFailedError({
							kind: "fatal",
							reason: verdict.reason,
							attempts,
							status: response.status,
							body: response.text,
							request: where,
						});
				}
			}
		};
		try {
			return await policy.execute(tryOnce, options.signal);
		} catch (error) {
			if (error instanceof TransientTry) {
				throw new RequestFailedError({
					kind: "transient",
					reason: error.reason,
					attempts,
					status: error.status,
					body: error.body,
					request: where,
				});
			}
			throw error;
		}
	};

	return {
		async request(request) {
			const account = request.account ?? request.bucket;
			const where = { method: request.method, url: redactUrl(request.url), bucket: request.bucket };
			try {
				return await breaker.execute({ source: source.name, account, connectionId: connection.id }, () =>
					execute(request),
				);
			} catch (error) {
				const failure = toFailure(error, where, options.signal);
				metrics.giveUps.inc({ ...labels, kind: failure.kind });
				logger.warn("request failed", { error: failure });
				await options.onGiveUp?.(failure);
				throw failure;
			}
		},
	};
}

function toFailure(error: unknown, where: RequestFailedError["request"], signal?: AbortSignal): RequestFailedError {
	if (error instanceof RequestFailedError) return error;
	if (isBrokenCircuit(error)) {
		return new RequestFailedError({
			kind: "breaker_open",
			reason: "circuit breaker open",
			attempts: 0,
			status: null,
			body: null,
			request: where,
			cause: error,
		});
	}
	const aborted = signal?.aborted ?? false;
	return new RequestFailedError({
		kind: aborted ? "aborted" : "fatal",
		reason: aborted ? "run cancelled" : `unexpected error: ${(error as Error)?.message ?? String(error)}`,
		attempts: 0,
		status: null,
		body: null,
		request: where,
		cause: error,
	});
}

/**
 * cockatiel's retry sleeps with setTimeout on the wall clock. To sleep on the
 * injected clock instead, its exponential backoff (no jitter: the spec says
 * exactly 1 s, 2 s, 4 s) is handed to `record` and cockatiel is told 0; the
 * next try sleeps the recorded time on the injected clock first.
 */
function onInjectedClock(initialDelay: number, record: (ms: number) => void): IBackoffFactory<unknown> {
	const wrapBackoff = (inner: IBackoff<unknown>): IBackoff<unknown> => {
		record(inner.duration);
		return { duration: 0, next: (context) => wrapBackoff(inner.next(context)) };
	};
	const exponential = new ExponentialBackoff({
		generator: noJitterGenerator,
		initialDelay,
		exponent: 2,
		maxDelay: 3_600_000,
	});
	return { next: () => wrapBackoff(exponential.next()) };
}

function encodeBody(body: unknown, headers: Record<string, string>): BodyInit {
	const hasType = Object.keys(headers).some((h) => h.toLowerCase() === "content-type");
	if (typeof body === "string" || body instanceof URLSearchParams || body instanceof Uint8Array)
		return body as BodyInit;
	if (!hasType) headers["content-type"] = "application/json";
	return JSON.stringify(body);
}

function timeoutSignal(ms: number, signal?: AbortSignal): AbortSignal {
	const timeout = AbortSignal.timeout(ms);
	return signal ? AbortSignal.any([timeout, signal]) : timeout;
}
