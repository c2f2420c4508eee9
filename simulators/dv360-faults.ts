/**
 * Faults the DV360 simulator injects on request (source-apis.md §1.3, §5.2,
 * §7.1): 429 RESOURCE_EXHAUSTED and the legacy 403 userRateLimitExceeded,
 * the Bid Manager daily quota (403 dailyLimitExceeded until midnight
 * Pacific), 5xx (503 carries the "Woops" message), malformed JSON, reports
 * stuck RUNNING or FAILED, expired tokens, expired signed links, a CSV with
 * an unexpected header, empty reports. Counted faults hit the next N
 * matching calls and then stop, so a test can assert recovery.
 */

/** Which API a call belongs to: Bid Manager (/v2), DV360 API (/v4), or a signed download (/storage). */
export type Dv360Api = "bidmanager" | "displayvideo" | "storage";

export interface Dv360Faults {
	/** The next `count` calls (default: either API) answer 429 RESOURCE_EXHAUSTED, or the legacy 403 userRateLimitExceeded. */
	throttle(count: number, options?: CallMatch & { legacy?: boolean }): void;
	/** Bid Manager's daily quota is spent: every Bid Manager call answers 403 dailyLimitExceeded until midnight Pacific. */
	exhaustDailyQuota(): void;
	/** The next `count` calls answer `status` (default 503 with the "Woops" message). */
	serverError(count: number, options?: CallMatch & { status?: number }): void;
	/** The next `count` calls answer 200 with a truncated JSON body. */
	malformedJson(count: number, options?: CallMatch): void;
	/** The next report stays RUNNING for `polls` more polls than usual. */
	stuckRunning(polls: number): void;
	/** The next `count` report runs end FAILED. */
	failReports(count?: number): void;
	/** Every access token issued so far stops working: the next call answers 401 UNAUTHENTICATED. */
	expireTokens(): void;
	/** The next `count` downloads answer 400 ExpiredToken, whatever the link says. */
	expireSignedUrls(count?: number): void;
	/** The next `count` downloaded CSVs carry a header the query did not ask for. */
	malformedCsvHeader(count?: number): void;
	/** The next `count` reports come back "No data returned by the reporting service.". */
	emptyReports(count?: number): void;
	/** Clears every pending fault. */
	reset(): void;
}

/** Which calls a counted fault hits: an API (default: Bid Manager and DV360 API, not downloads) and a path substring. */
export interface CallMatch {
	api?: Dv360Api;
	/** Substring of the path below the mount prefix, e.g. "/lineItems". Default: any. */
	path?: string;
}

export const WOOPS = "Woops. We are currently having some issues. Please try again later.";

export interface CallFault {
	kind: "throttle" | "legacy-throttle" | "server" | "malformed";
	status: number;
}

interface Pending extends CallFault {
	api: Dv360Api | "api";
	path: string;
	remaining: number;
}

export interface FaultState {
	readonly faults: Dv360Faults;
	/** The fault answering this call, if any (consumes one count). */
	take(api: Dv360Api, path: string): CallFault | undefined;
	/** When the daily Bid Manager quota comes back, or 0. */
	dailyBlockedUntilMs(): number;
	nextReport(): { extraPolls: number; failed: boolean };
	takeExpiredLink(): boolean;
	takeMalformedHeader(): boolean;
	takeEmpty(): boolean;
}

/** ms of the next midnight in America/Los_Angeles after `nowMs`. */
export function nextPacificMidnight(nowMs: number): number {
	const parts = new Intl.DateTimeFormat("en-US", {
		timeZone: "America/Los_Angeles",
		hourCycle: "h23",
		hour: "numeric",
		minute: "numeric",
		second: "numeric",
	}).formatToParts(new Date(nowMs));
	const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
	const elapsed = ((part("hour") * 60 + part("minute")) * 60 + part("second")) * 1000 + (nowMs % 1000);
	return nowMs - elapsed + 86_400_000;
}

export function createFaultState(now: () => number, onExpireTokens: () => void): FaultState {
	let calls: Pending[] = [];
	let dailyUntil = 0;
	let stuck = 0;
	let failed = 0;
	let expired = 0;
	let malformedHeader = 0;
	let empty = 0;
	const push = (fault: Pending) => calls.push(fault);
	const faults: Dv360Faults = {
		throttle(count, options = {}) {
			const legacy = options.legacy ?? false;
			push({
				kind: legacy ? "legacy-throttle" : "throttle",
				status: legacy ? 403 : 429,
				api: options.api ?? (legacy ? "bidmanager" : "api"),
				path: options.path ?? "",
				remaining: count,
			});
		},
		exhaustDailyQuota() {
			dailyUntil = nextPacificMidnight(now());
		},
		serverError(count, options = {}) {
			const status = options.status ?? 503;
			push({ kind: "server", status, api: options.api ?? "api", path: options.path ?? "", remaining: count });
		},
		malformedJson(count, options = {}) {
			push({ kind: "malformed", status: 200, api: options.api ?? "api", path: options.path ?? "", remaining: count });
		},
		stuckRunning(polls) {
			stuck += polls;
		},
		failReports(count = 1) {
			failed += count;
		},
		expireTokens: onExpireTokens,
		expireSignedUrls(count = 1) {
			expired += count;
		},
		malformedCsvHeader(count = 1) {
			malformedHeader += count;
		},
		emptyReports(count = 1) {
			empty += count;
		},
		reset() {
			calls = [];
			dailyUntil = stuck = failed = expired = malformedHeader = empty = 0;
		},
	};
	return {
		faults,
		take(api, path) {
			const fault = calls.find(
				(f) => f.remaining > 0 && (f.api === api || (f.api === "api" && api !== "storage")) && path.includes(f.path),
			);
			if (!fault) return undefined;
			fault.remaining--;
			calls = calls.filter((f) => f.remaining > 0);
			return { kind: fault.kind, status: fault.status };
		},
		dailyBlockedUntilMs: () => (now() < dailyUntil ? dailyUntil : 0),
		nextReport() {
			const next = { extraPolls: stuck, failed: failed > 0 };
			stuck = 0;
			if (failed > 0) failed--;
			return next;
		},
		takeExpiredLink: () => expired > 0 && expired-- > 0,
		takeMalformedHeader: () => malformedHeader > 0 && malformedHeader-- > 0,
		takeEmpty: () => empty > 0 && empty-- > 0,
	};
}
