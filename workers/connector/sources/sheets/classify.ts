/**
 * How the Sheets API says what went wrong (source-apis.md §4.2, §7.2):
 * Google's JSON error `{error: {code, message, status, details}}`. 429
 * RESOURCE_EXHAUSTED carries no Retry-After and the quota refills each
 * minute, so a throttle waits until the next minute boundary.
 */
import type { Classification, HttpResponse } from "../../source.ts";

interface GoogleError {
	message: string;
	status: string;
	reasons: string[];
}

function parseError(text: string): GoogleError {
	try {
		const error = (JSON.parse(text) as { error?: Record<string, unknown> }).error ?? {};
		const details = Array.isArray(error.details) ? (error.details as Record<string, unknown>[]) : [];
		const legacy = Array.isArray(error.errors) ? (error.errors as Record<string, unknown>[]) : [];
		return {
			message: typeof error.message === "string" ? error.message : "",
			status: typeof error.status === "string" ? error.status : "",
			reasons: [...details, ...legacy].map((d) => String(d.reason ?? "")).filter(Boolean),
		};
	} catch {
		return { message: text.slice(0, 200), status: "", reasons: [] };
	}
}

/** Milliseconds from `at` to the start of the next UTC minute (never 0: a full minute at the boundary). */
export function untilNextMinuteMs(at: Date): number {
	return 60_000 - (at.getTime() % 60_000);
}

export function classifySheetsResponse(response: HttpResponse): Classification {
	const { status } = response;
	if (status >= 200 && status < 300) return { kind: "ok" };
	const error = parseError(response.text);
	const reason = `HTTP ${status}${error.status ? ` ${error.status}` : ""}${error.message ? `: ${error.message}` : ""}`;
	if (status === 401) return { kind: "auth", reason };
	const rateLimited = error.reasons.some((r) => /rate_?limit_?exceeded|quota/i.test(r));
	// Legacy Google APIs signal quota with 403 rateLimitExceeded; modern ones with 429.
	if (status === 429 || (status === 403 && rateLimited)) {
		const retryAfterS = Number(response.headers.get("retry-after"));
		const waitMs = retryAfterS > 0 ? retryAfterS * 1000 : untilNextMinuteMs(response.receivedAt);
		return { kind: "throttled", reason, waitMs };
	}
	if (status >= 500 || status === 408) return { kind: "transient", reason };
	// 400 (unparseable range, grid limits), 403 (not shared), 404 (no such spreadsheet): retrying cannot help.
	return { kind: "fatal", reason };
}
