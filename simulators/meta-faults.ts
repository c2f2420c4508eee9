/**
 * Faults the Meta simulator injects on request, each documented in
 * source-apis.md §3 and §7.1. Throttles are windows on the injected clock:
 * every request inside the window gets the same HTTP 400, so a client that
 * retries on a fixed 1/2/4 s schedule keeps failing and only one that honours
 * the usage headers gets through. The other faults are counted ("the next N
 * requests to a route").
 */

/** Which endpoint a counted fault applies to. */
export type MetaRoute = "report" | "status" | "results" | "campaigns" | "adsets" | "any";

/** Throttling codes, each with the header that tells the client how long to wait. */
export type ThrottleCode = 4 | 17 | 32 | 613 | 80000 | 80001 | 80002 | 80003 | 80004 | 80005 | 80006 | 80008 | 80014;

export type AsyncOutcome = "Job Failed" | "Job Skipped";

interface Counted {
	route: MetaRoute;
	remaining: number;
}

export interface MetaFaults {
	/**
	 * From now until `forMs` later on the injected clock, every API request
	 * (of `account` when given) answers HTTP 400 with `code`: 80000–80014 carry
	 * `X-Business-Use-Case-Usage.estimated_time_to_regain_access` (minutes),
	 * 17 and 613 `X-Ad-Account-Usage.reset_time_duration` (seconds), 4 and 32
	 * only `X-App-Usage` at 100 % (no time given).
	 */
	throttle(options: { code: ThrottleCode; forMs: number; account?: string }): void;
	/**
	 * For `forMs`, successful responses report 96 % usage; a second request
	 * inside that window is throttled with 80000 (the client should have paused).
	 */
	nearLimit(options: { forMs: number }): void;
	/** The next `times` requests to `route` fail: HTTP 503 text, code 2 (HTTP 500, is_transient) or code 1 subcode 99. */
	serverError(options: { times: number; route?: MetaRoute; kind?: "5xx" | "code2" | "code1" }): void;
	/** The next created report run sits at 0 % ("Job Running") for `polls` polls before moving on. */
	stuckReport(polls: number): void;
	/** The next `times` created report runs end in `status` instead of "Job Completed". */
	failReport(times: number, status?: AsyncOutcome): void;
	/** The next `times` API requests answer code 190 with `subcode` while the token stays exchangeable. */
	authFailures(times: number, subcode?: 460 | 463 | 467): void;
	/** The next `times` responses of `route` are HTTP 200 with a truncated JSON body. */
	badJson(times: number, route?: MetaRoute): void;
	/** The next `times` pages of `route` lack required fields (`date_start`, `spend` on insights; `id` on entities). */
	missingFields(times: number, route?: MetaRoute): void;
	/** The field stops existing (schema drift after a Graph version upgrade): requests naming it get code 100. */
	removeField(field: string): void;
}

export interface ActiveThrottle {
	code: ThrottleCode;
	untilMs: number;
	account?: string;
}

export interface FaultState {
	throttles: ActiveThrottle[];
	nearLimitUntilMs: number;
	nearLimitWarned: boolean;
	serverErrors: (Counted & { kind: "5xx" | "code2" | "code1" })[];
	stuckPolls: number[];
	failures: AsyncOutcome[];
	authFailures: { remaining: number; subcode: number }[];
	badJson: Counted[];
	missingFields: Counted[];
	removedFields: Set<string>;
}

export function createFaultState(): FaultState {
	return {
		throttles: [],
		nearLimitUntilMs: 0,
		nearLimitWarned: false,
		serverErrors: [],
		stuckPolls: [],
		failures: [],
		authFailures: [],
		badJson: [],
		missingFields: [],
		removedFields: new Set(),
	};
}

export function createFaults(state: FaultState, nowMs: () => number): MetaFaults {
	return {
		throttle: ({ code, forMs, account }) => state.throttles.push({ code, untilMs: nowMs() + forMs, account }),
		nearLimit: ({ forMs }) => {
			state.nearLimitUntilMs = nowMs() + forMs;
			state.nearLimitWarned = false;
		},
		serverError: ({ times, route = "any", kind = "5xx" }) => state.serverErrors.push({ remaining: times, route, kind }),
		stuckReport: (polls) => state.stuckPolls.push(polls),
		failReport: (times, status = "Job Failed") => {
			for (let i = 0; i < times; i++) state.failures.push(status);
		},
		authFailures: (times, subcode = 463) => state.authFailures.push({ remaining: times, subcode }),
		badJson: (times, route = "results") => state.badJson.push({ remaining: times, route }),
		missingFields: (times, route = "results") => state.missingFields.push({ remaining: times, route }),
		removeField: (field) => void state.removedFields.add(field),
	};
}

/** Consumes one use of the first counted fault matching `route`; returns it or undefined. */
export function take<T extends Counted>(list: T[], route: MetaRoute): T | undefined {
	const found = list.find((f) => f.remaining > 0 && (f.route === "any" || f.route === route));
	if (found) found.remaining--;
	return found;
}

/** The active throttle for a request, dropping windows that have reset. */
export function activeThrottle(
	state: FaultState,
	nowMs: number,
	account: string | undefined,
): ActiveThrottle | undefined {
	state.throttles = state.throttles.filter((t) => t.untilMs > nowMs);
	return state.throttles.find((t) => t.account === undefined || t.account === account);
}

const BUC_TYPES: Record<number, string> = {
	80000: "ads_insights",
	80001: "pages",
	80002: "instagram",
	80003: "custom_audience",
	80004: "ads_management",
	80005: "leadgen",
	80006: "messenger",
	80008: "whatsapp",
	80014: "catalog_batch",
};

export function isBucCode(code: number): boolean {
	return code >= 80000 && code <= 80014;
}

export function bucType(code: number): string {
	return BUC_TYPES[code] ?? "ads_management";
}

/** The error body Meta sends for a throttling code (source-apis.md §3.4). */
export function throttleError(code: ThrottleCode): { message: string; code: number; error_subcode?: number } {
	if (isBucCode(code))
		return {
			message: `(#${code}) There have been too many calls from this ad-account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.`,
			code,
			error_subcode: 2446079,
		};
	if (code === 17) return { message: "(#17) User request limit reached", code, error_subcode: 2446079 };
	if (code === 613)
		return { message: "(#613) Calls to this api have exceeded the rate limit.", code, error_subcode: 1487742 };
	if (code === 4) return { message: "(#4) Application request limit reached", code, error_subcode: 1504022 };
	return { message: "(#32) Page request limit reached", code };
}
