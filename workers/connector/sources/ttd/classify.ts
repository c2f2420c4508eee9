/**
 * How TTD answers map to the framework's policy (source-apis.md §2.2, §7.2):
 * 401/403 are auth (peers re-login on both), 429 is a throttle to wait out for
 * `Retry-After` (seconds or an HTTP date), 503, 5xx and the non-standard 240
 * are transient, 400 (with `{Message, ErrorDetails}`), 404 and the rest are
 * fatal with TTD's message.
 */
import type { Classification, HttpRequest, HttpResponse } from "../../source.ts";
import { parseObject } from "./settings.ts";

/** Bucket of report downloads (signed links, not the API's quota). */
export const TTD_DOWNLOAD_BUCKET = "ttd:download";

export function classifyTtd(response: HttpResponse, request: HttpRequest): Classification {
	const status = response.status;
	// An expired or refused signed link is not an API failure: the source re-queries the execution for a fresh one.
	if (request.bucket === TTD_DOWNLOAD_BUCKET && (status === 403 || status === 404 || status === 410)) {
		return { kind: "ok" };
	}
	if (status === 240) return { kind: "transient", reason: "HTTP 240 (TTD: no content, try again)" };
	if (status >= 200 && status < 300) return { kind: "ok" };
	const message = errorMessage(response.text);
	if (status === 401 || status === 403) return { kind: "auth", reason: `HTTP ${status}${message}` };
	if (status === 429) {
		return {
			kind: "throttled",
			reason: `HTTP 429${message}`,
			waitMs: parseRetryAfter(response.headers.get("retry-after"), response.receivedAt),
		};
	}
	if (status >= 500 || status === 408) return { kind: "transient", reason: `HTTP ${status}${message}` };
	return { kind: "fatal", reason: `HTTP ${status}${message}` };
}

/** Retry-After as a wait in ms: delta-seconds or an HTTP date (relative to when the response arrived); null when absent or unreadable. */
export function parseRetryAfter(value: string | null, receivedAt: Date): number | null {
	if (value === null) return null;
	const trimmed = value.trim();
	if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
	const at = Date.parse(trimmed);
	return Number.isNaN(at) ? null : Math.max(0, at - receivedAt.getTime());
}

/** ": <Message> (<Property>: <Reasons>; ...)" from TTD's error JSON, or "" when the body has none. */
function errorMessage(text: string): string {
	const json = parseObject(text);
	if (!json || typeof json.Message !== "string") return "";
	const details = Array.isArray(json.ErrorDetails)
		? json.ErrorDetails.map((d: unknown) => {
				const detail = (d ?? {}) as { Property?: unknown; Reasons?: unknown };
				const reasons = Array.isArray(detail.Reasons) ? detail.Reasons.join(", ") : "";
				return typeof detail.Property === "string" ? `${detail.Property}: ${reasons}` : reasons;
			}).filter(Boolean)
		: [];
	return `: ${json.Message}${details.length > 0 ? ` (${details.join("; ")})` : ""}`;
}
