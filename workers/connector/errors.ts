import { PacerError } from "../../lib/errors.ts";

/** Why the framework gave up on a request. */
export type RequestFailureKind =
	/** Transient errors (5xx, network, throttle cap) outlasted the retries. */
	| "transient"
	/** The source classified the response as permanent (validation, permission, not found). */
	| "fatal"
	/** Still rejected after one credential refresh. */
	| "auth"
	/** The (source, account) circuit breaker is open; the request was not sent. */
	| "breaker_open"
	/** The run was cancelled. */
	| "aborted";

/**
 * A request the connector policy gave up on. It goes to `connector.data.raw.dlq`
 * with the reason, the attempt count and the raw body of the last response.
 */
export class RequestFailedError extends PacerError {
	readonly kind: RequestFailureKind;
	readonly reason: string;
	/** Tries that counted as attempts: the first plus every retry (auth refreshes and throttle waits excluded). */
	readonly attempts: number;
	/** HTTP status of the last response, or null (network error, breaker open). */
	readonly status: number | null;
	/** Raw body of the last response, or null. */
	readonly body: string | null;
	readonly request: { method: string; url: string; bucket: string };

	constructor(fields: {
		kind: RequestFailureKind;
		reason: string;
		attempts: number;
		status: number | null;
		body: string | null;
		request: { method: string; url: string; bucket: string };
		cause?: unknown;
	}) {
		super(`${fields.request.method} ${fields.request.url} failed (${fields.kind}): ${fields.reason}`, {
			retriable: false,
			cause: fields.cause,
			context: {
				kind: fields.kind,
				reason: fields.reason,
				attempts: fields.attempts,
				status: fields.status,
				method: fields.request.method,
				url: fields.request.url,
			},
		});
		this.kind = fields.kind;
		this.reason = fields.reason;
		this.attempts = fields.attempts;
		this.status = fields.status;
		this.body = fields.body;
		this.request = fields.request;
	}

	/** Failures that say the account or source is unhealthy, as opposed to one bad request. */
	get countsTowardBreaker(): boolean {
		return this.kind === "transient" || this.kind === "auth";
	}
}

/** A page the source could not use (bad JSON, missing fields, unexpected CSV header). */
export class PageRejectedError extends PacerError {
	constructor(reason: string, context: Record<string, unknown>) {
		super(reason, { retriable: false, context });
	}
}
