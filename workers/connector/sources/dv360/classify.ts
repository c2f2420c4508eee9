/**
 * Classification of Bid Manager v2, DV360 API v4 and signed-download
 * responses (source-apis.md §1.3, §1.4, §7.2). Google publishes no
 * Retry-After for these quotas: a per-minute throttle waits for the next
 * minute window, the daily Bid Manager quota for midnight Pacific time.
 */
import type { Classification, HttpRequest, HttpResponse } from "../../source.ts";

/** Bucket of signed report downloads: plain GETs on storage, outside the API quotas. */
export const DOWNLOAD_BUCKET = "dv360:download";

const MINUTE_MS = 60_000;

interface GoogleError {
	status: string;
	message: string;
	reasons: string[];
}

/** Reads both error shapes: v2 `{error:{code,message,status,details}}` and legacy `{error:{errors:[{reason}]}}`. */
export function readGoogleError(text: string): GoogleError {
	try {
		const parsed = JSON.parse(text) as { error?: Record<string, unknown> };
		const error = parsed?.error;
		if (error && typeof error === "object") {
			const reasons: string[] = [];
			for (const list of [error.errors, error.details]) {
				if (!Array.isArray(list)) continue;
				for (const item of list) {
					if (item && typeof item.reason === "string") reasons.push(item.reason);
				}
			}
			return {
				status: typeof error.status === "string" ? error.status : "",
				message: typeof error.message === "string" ? error.message : "",
				reasons,
			};
		}
	} catch {
		// Not JSON (an HTML error page from a proxy, a GCS XML error): fall through.
	}
	return { status: "", message: text.slice(0, 200), reasons: [] };
}

/** Milliseconds from `at` to the next whole minute. */
export function msToNextMinute(at: Date): number {
	return MINUTE_MS - (at.getTime() % MINUTE_MS);
}

/** Milliseconds from `at` to the next midnight in America/Los_Angeles, when the Bid Manager daily quota resets. */
export function msToNextPacificMidnight(at: Date): number {
	const parts = new Intl.DateTimeFormat("en-US", {
		timeZone: "America/Los_Angeles",
		hourCycle: "h23",
		hour: "numeric",
		minute: "numeric",
		second: "numeric",
	}).formatToParts(at);
	const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
	const elapsedMs = ((part("hour") * 60 + part("minute")) * 60 + part("second")) * 1000 + at.getUTCMilliseconds();
	// DST days are 23 or 25 hours long; an hour off once or twice a year only shifts one retry.
	return 24 * 3_600_000 - elapsedMs;
}

function describe(response: HttpResponse, error: GoogleError): string {
	const status = error.status ? ` ${error.status}` : "";
	const reasons = error.reasons.length > 0 ? ` (${error.reasons.join(", ")})` : "";
	return `HTTP ${response.status}${status}${reasons}: ${error.message}`.trim();
}

/** Classifies one DV360 / Bid Manager / download response. */
export function classifyDv360(response: HttpResponse, request: HttpRequest): Classification {
	const code = response.status;
	if (code >= 200 && code < 300) return { kind: "ok" };
	if (request.bucket === DOWNLOAD_BUCKET) return classifyDownload(response);
	const error = readGoogleError(response.text);
	const reason = describe(response, error);
	const reasons = new Set(error.reasons);
	if (reasons.has("dailyLimitExceeded") || reasons.has("quotaExceeded")) {
		return { kind: "throttled", reason, waitMs: msToNextPacificMidnight(response.receivedAt) };
	}
	if (code === 429 || reasons.has("userRateLimitExceeded") || reasons.has("rateLimitExceeded")) {
		return { kind: "throttled", reason, waitMs: msToNextMinute(response.receivedAt) };
	}
	if (code === 401) return { kind: "auth", reason };
	if (code >= 500 || code === 408) return { kind: "transient", reason };
	return { kind: "fatal", reason };
}

/**
 * A signed URL past its expiry answers 400/403 from storage; the source
 * handles that itself (re-gets the report for a fresh link), so it is "ok"
 * here and reaches the source instead of the DLQ.
 */
function classifyDownload(response: HttpResponse): Classification {
	const code = response.status;
	if (isExpiredLink(response)) return { kind: "ok" };
	const reason = `download HTTP ${code}: ${response.text.slice(0, 200)}`;
	if (code === 429) return { kind: "throttled", reason, waitMs: msToNextMinute(response.receivedAt) };
	if (code >= 500 || code === 408) return { kind: "transient", reason };
	return { kind: "fatal", reason };
}

/** Whether a download response says the signed link has expired. */
export function isExpiredLink(response: HttpResponse): boolean {
	return (
		(response.status === 400 || response.status === 403) &&
		/ExpiredToken|Request has expired|expired/i.test(response.text.slice(0, 1000))
	);
}
