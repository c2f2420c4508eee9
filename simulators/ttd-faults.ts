/**
 * Faults the TTD simulator injects on request (source-apis.md §2.2, §7.1):
 * throttling (429 with Retry-After in seconds or as an HTTP date), overload
 * (503) and the non-standard 240, malformed JSON bodies, report executions
 * stuck Pending or Failed, expired tokens (401, or 403 as some peers see),
 * expired download links and a CSV whose header changed. Counted faults hit
 * the next N matching calls and then stop, so a test can assert recovery.
 */
import type { MiddlewareHandler } from "hono";

/** Which calls a fault hits: a substring of the path below the mount prefix. Default: every /v3 call except /v3/authentication. */
export type FaultMatch = string | undefined;

export interface TtdFaults {
	/** The next `count` matching API calls answer 429 with `Retry-After`: seconds, or the HTTP-date form when a Date. */
	throttle(count: number, retryAfter: number | Date, match?: string): void;
	/** The next `count` matching API calls answer `status` (503 overload, the non-standard 240, 500). */
	fail(count: number, status: 240 | 500 | 502 | 503, match?: string): void;
	/** The next `count` matching API calls answer 200 with a truncated JSON body. */
	malformed(count: number, match?: string): void;
	/** The next `executions` report executions stay Pending for `polls` execution queries. */
	stuckPending(polls: number, executions?: number): void;
	/** The next `count` report executions end Failed. */
	failExecutions(count?: number): void;
	/** Every token issued so far stops working; the next call answers `status` (401 by default). */
	expireTokens(status?: 401 | 403): void;
	/** The next `count` downloads answer 403 "Request has expired", whatever the link says. */
	expireDownloadUrls(count?: number): void;
	/** The next `count` downloaded CSVs carry a header the template does not have. */
	unexpectedCsvHeader(count?: number): void;
	/** Clears every pending fault. */
	reset(): void;
}

interface HttpFault {
	kind: "throttle" | "fail" | "malformed";
	remaining: number;
	match: FaultMatch;
	status?: number;
	retryAfter?: number | Date;
}

/** The simulator's side of the faults: what the routes consult. */
export interface FaultState {
	readonly faults: TtdFaults;
	/** Middleware answering throttle/fail/malformed faults for matching calls. */
	readonly middleware: (prefixOf: (path: string) => string) => MiddlewareHandler;
	/** Pending polls and outcome for an execution being created now. */
	nextExecution(): { pendingPolls: number; failed: boolean };
	takeExpiredDownload(): boolean;
	takeUnexpectedHeader(): boolean;
	/** Set by expireTokens; the token store reads and clears it. */
	onExpireTokens?: (status: 401 | 403) => void;
}

export function createFaultState(defaultPendingPolls: number): FaultState {
	let http: HttpFault[] = [];
	let stuck: { polls: number; remaining: number }[] = [];
	let failedExecutions = 0;
	let expiredDownloads = 0;
	let badHeaders = 0;
	const state: FaultState = {
		faults: {
			throttle: (count, retryAfter, match) => http.push({ kind: "throttle", remaining: count, match, retryAfter }),
			fail: (count, status, match) => http.push({ kind: "fail", remaining: count, match, status }),
			malformed: (count, match) => http.push({ kind: "malformed", remaining: count, match }),
			stuckPending: (polls, executions = 1) => stuck.push({ polls, remaining: executions }),
			failExecutions: (count = 1) => {
				failedExecutions += count;
			},
			expireTokens: (status = 401) => state.onExpireTokens?.(status),
			expireDownloadUrls: (count = 1) => {
				expiredDownloads += count;
			},
			unexpectedCsvHeader: (count = 1) => {
				badHeaders += count;
			},
			reset: () => {
				http = [];
				stuck = [];
				failedExecutions = expiredDownloads = badHeaders = 0;
			},
		},
		middleware: (prefixOf) => async (c, next) => {
			const path = c.req.path.slice(prefixOf(c.req.path).length);
			const fault = http.find((f) => f.remaining > 0 && matches(f.match, path));
			if (!fault) return next();
			fault.remaining--;
			http = http.filter((f) => f.remaining > 0);
			if (fault.kind === "throttle") {
				const value = fault.retryAfter instanceof Date ? fault.retryAfter.toUTCString() : String(fault.retryAfter);
				return c.json({ Message: "Too many requests. Please retry later." }, 429, { "Retry-After": value });
			}
			if (fault.kind === "fail") {
				const status = fault.status ?? 503;
				const body = status === 240 ? "" : JSON.stringify({ Message: "The service is temporarily unavailable." });
				return new Response(body, { status, headers: { "content-type": "application/json" } });
			}
			await next();
			const text = await c.res.text();
			c.res = new Response(text.slice(0, Math.max(1, Math.floor(text.length / 2))), {
				status: c.res.status,
				headers: { "content-type": "application/json" },
			});
		},
		nextExecution() {
			const entry = stuck.find((s) => s.remaining > 0);
			if (entry) entry.remaining--;
			stuck = stuck.filter((s) => s.remaining > 0);
			const failed = failedExecutions > 0;
			if (failed) failedExecutions--;
			return { pendingPolls: entry ? entry.polls : defaultPendingPolls, failed };
		},
		takeExpiredDownload() {
			if (expiredDownloads <= 0) return false;
			expiredDownloads--;
			return true;
		},
		takeUnexpectedHeader() {
			if (badHeaders <= 0) return false;
			badHeaders--;
			return true;
		},
	};
	return state;
}

function matches(match: FaultMatch, path: string): boolean {
	if (match !== undefined) return path.includes(match);
	return path.startsWith("/v3/") && !path.startsWith("/v3/authentication");
}
