/**
 * The contract between the connector framework (orchestrator, HTTP policy,
 * auth, rate limits, breakers, DLQ, status) and one source (DV360, TTD, Meta,
 * Sheets). A source knows its API's endpoints, flows and formats; it never
 * retries, sleeps for throttles or refreshes tokens itself: it describes each
 * request and classifies each response, and the framework applies the policy.
 * A source knows an API only by the base URLs in its connection.
 */
import type { Logger } from "../../lib/runtime/logger.ts";

export type SourceName = "dv360" | "ttd" | "meta" | "sheets";

/** One connection of one organisation, as configured (PACER_CONFIG), credentials decrypted. */
export interface Connection {
	id: string;
	orgId: string;
	source: SourceName;
	/** DV360 advertiser ids, TTD advertiser ids, Meta ad account ids (without "act_"), or empty for Sheets. */
	accounts: string[];
	/** Source-specific settings: DV360 partnerId, Meta level/businessId, Sheets spreadsheetId and tab ranges, ... */
	settings: Record<string, unknown>;
	/** Source-specific secrets: service-account key JSON, TTD login/password, Meta access token, ... */
	credentials: Record<string, unknown>;
	/** Every host the source talks to, by role (api, token, reporting, download, ...). */
	baseUrls: Record<string, string>;
	/** Cron expression for scheduled runs, in the org's time zone; null = on demand only. */
	schedule: string | null;
	/** Days re-pulled on every run so restated numbers arrive (Meta 28, DV360/TTD 7, Sheets ignores). */
	lookbackDays: number;
	timezone: string;
}

/** Inclusive date window, ISO dates (YYYY-MM-DD) in the org's time zone. */
export interface DateWindow {
	from: string;
	to: string;
}

export interface HttpRequest {
	method: "GET" | "POST" | "PUT" | "DELETE";
	url: string;
	headers?: Record<string, string>;
	/** JSON bodies are passed as objects; form bodies as URLSearchParams; text as string. */
	body?: unknown;
	/**
	 * Rate-limit bucket the request counts against, e.g. "bidmanager",
	 * "dv360:advertiser:123", "sheets:user", "ttd", "meta:act_1". The framework
	 * maps buckets to the documented quotas the source declares.
	 */
	bucket: string;
	/** Skip the auth provider (token endpoints, signed download URLs). */
	anonymous?: boolean;
	/**
	 * The account (advertiser, ad account, spreadsheet) the request is for:
	 * the circuit breaker is per (source, account). Default: the bucket.
	 */
	account?: string;
}

export interface HttpResponse {
	status: number;
	headers: Headers;
	/** The body exactly as received. */
	text: string;
	/** When the response arrived, from the injected clock. */
	receivedAt: Date;
}

/** What a source says about a response; the framework acts on it. */
export type Classification =
	| { kind: "ok" }
	/** Credentials expired or rejected: refresh once and replay, not counted as an attempt. */
	| { kind: "auth"; reason: string }
	/** Throttled: wait `waitMs` (or until the bucket refills when null) and replay, not counted as an attempt. */
	| { kind: "throttled"; reason: string; waitMs: number | null }
	/** Transient failure: retried with backoff 1 s, 2 s, 4 s (3 attempts), then the DLQ. */
	| { kind: "transient"; reason: string }
	/** Permanent failure (validation, permission, not found): the DLQ at once. */
	| { kind: "fatal"; reason: string };

/** The policy-wrapped HTTP client a source uses; throws RequestFailedError after the policy gives up. */
export interface SourceHttp {
	request(request: HttpRequest): Promise<HttpResponse>;
}

/** One raw page to publish on `connector.data.raw`, untouched. */
export interface RawPage {
	/** Stream name: "delivery", "advertisers", "insertion_orders", "line_items", "campaigns", "ad_groups", "ad_sets", "clients", "bookings", "exchange_rates". */
	stream: string;
	/** The account (advertiser, ad account, spreadsheet) the page belongs to. */
	account: string;
	/**
	 * Logical identity of the page within the run, stable across runs of the
	 * same window (e.g. "report:2026-11-01..2026-11-07:chunk:0", "page:3"),
	 * never an ephemeral id such as a report run id or a signed URL.
	 */
	pageKey: string;
	/** 0-based page or chunk number within the stream and account. */
	page: number;
	contentType: string;
	body: string;
	/** The request that produced it (for the envelope and the DLQ), URL without secrets. */
	request: { method: string; url: string };
}

export interface SourceRunContext {
	connection: Connection;
	window: DateWindow;
	http: SourceHttp;
	/** Publishes one page; resolves once it is on the bus (and in object storage when large). */
	emit(page: RawPage): Promise<void>;
	/**
	 * Quarantines a response the source cannot use (bad JSON, missing fields,
	 * unexpected CSV header): it goes to the DLQ with the reason and the raw
	 * body; the run goes on with the next request.
	 */
	reject(page: RawPage, reason: string): Promise<void>;
	/** Waits between async-report polls; injected so tests never sleep for real. */
	sleep(ms: number): Promise<void>;
	now(): Date;
	signal: AbortSignal;
	logger: Logger;
}

export interface RunSummary {
	pages: number;
	rows: number;
	rejected: number;
}

/** The documented quota of one bucket. */
export interface Quota {
	perSecond?: number;
	perMinute?: number;
	perDay?: number;
	concurrency?: number;
}

export interface Source {
	readonly name: SourceName;
	/** Quotas per bucket prefix ("bidmanager", "dv360:advertiser:", ...): the longest matching prefix applies. */
	readonly quotas: Record<string, Quota>;
	/** Default lookback days when the connection does not set one. */
	readonly defaultLookbackDays: number;
	/** Builds the auth provider for a connection (service-account JWT, TTD login, Meta token). */
	createAuth(connection: Connection, deps: AuthDeps): AuthProvider;
	/** Classifies a response of this API. */
	classify(response: HttpResponse, request: HttpRequest): Classification;
	/** Pulls every stream for the window, emitting raw pages; returns counts (rows as the source parsed them). */
	run(context: SourceRunContext): Promise<RunSummary>;
}

export interface AuthDeps {
	/** Raw fetch for token endpoints (no auth, no retries of the source's API policy). */
	fetch: typeof fetch;
	now(): Date;
	logger: Logger;
}

export interface AuthProvider {
	/** Headers to put on every authenticated request (fetching or refreshing a token when needed). */
	headers(): Promise<Record<string, string>>;
	/** Forces a new token after an auth error. */
	refresh(): Promise<void>;
	/** Expiry warnings (Meta long-lived tokens): days left, or null when the token does not expire. */
	daysUntilExpiry?(): Promise<number | null>;
}
