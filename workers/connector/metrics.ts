import { type Counter, createMetrics, type Gauge, type Metrics } from "../../lib/runtime/metrics.ts";

/** The connector's metric families; registering twice on one registry returns the same series. */
export interface ConnectorMetrics {
	requests: Counter;
	retries: Counter;
	authRefreshes: Counter;
	throttleWaitSeconds: Counter;
	giveUps: Counter;
	pages: Counter;
	rows: Counter;
	rejectedPages: Counter;
	deadLetters: Counter;
	/** 0 closed, 1 open, 2 half-open. */
	breakerState: Gauge;
	/** 0 normal, 1 slowed, 2 paused. */
	backpressureState: Gauge;
	runs: Counter;
}

export function connectorMetrics(metrics: Metrics = createMetrics()): ConnectorMetrics {
	return {
		requests: metrics.counter(
			"pacer_connector_requests_total",
			"HTTP responses (or network errors) by source and classification.",
		),
		retries: metrics.counter("pacer_connector_retries_total", "Transient failures retried, by source."),
		authRefreshes: metrics.counter(
			"pacer_connector_auth_refreshes_total",
			"Credential refreshes after an auth error, by source.",
		),
		throttleWaitSeconds: metrics.counter(
			"pacer_connector_throttle_wait_seconds_total",
			"Time spent waiting out throttles, by source and bucket.",
		),
		giveUps: metrics.counter(
			"pacer_connector_request_failures_total",
			"Requests the policy gave up on, by source and kind.",
		),
		pages: metrics.counter("pacer_connector_pages_total", "Raw pages published, by source and stream."),
		rows: metrics.counter("pacer_connector_rows_total", "Data rows the sources reported, by source."),
		rejectedPages: metrics.counter("pacer_connector_rejected_pages_total", "Pages a source could not use, by source."),
		deadLetters: metrics.counter(
			"pacer_connector_dead_letters_total",
			"Requests and pages sent to connector.data.raw.dlq, by source.",
		),
		breakerState: metrics.gauge(
			"pacer_connector_breaker_state",
			"Circuit breaker per source and account: 0 closed, 1 open, 2 half-open.",
		),
		backpressureState: metrics.gauge(
			"pacer_connector_backpressure_state",
			"Backpressure from bronze lag: 0 normal, 1 slowed, 2 paused.",
		),
		runs: metrics.counter("pacer_connector_runs_total", "Connection runs, by source and final state."),
	};
}
