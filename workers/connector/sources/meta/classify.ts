/**
 * Classifies Graph API responses by the error code in the body, not the HTTP
 * status (source-apis.md §3.4, §7.2): Meta throttles with HTTP 400.
 */
import type { Classification, HttpResponse } from "../../source.ts";
import { parseMetaUsage, usageWaitMs } from "./usage.ts";

/** Throttling codes: application (4), user (17), pages (32), ad account (613), business use cases (80000–80014). */
export function isThrottleCode(code: number): boolean {
	return code === 4 || code === 17 || code === 32 || code === 613 || (code >= 80000 && code <= 80014);
}

/** Wait after a throttle whose headers give no time (X-App-Usage has none), ms: Airbyte's minimum pause. */
export const DEFAULT_THROTTLE_WAIT_MS = 60_000;

export interface GraphError {
	code: number;
	subcode: number | null;
	message: string;
	isTransient: boolean;
}

/** The `error` object of a Graph API error body, or null when the body is not one. */
export function parseGraphError(text: string): GraphError | null {
	let body: unknown;
	try {
		body = JSON.parse(text);
	} catch {
		return null;
	}
	const error = (body as { error?: Record<string, unknown> } | null)?.error;
	if (!error || typeof error !== "object") return null;
	const code = Number(error.code);
	const subcode = error.error_subcode === undefined ? null : Number(error.error_subcode);
	return {
		code: Number.isFinite(code) ? code : 0,
		subcode: subcode !== null && Number.isFinite(subcode) ? subcode : null,
		message: typeof error.message === "string" ? error.message : "",
		isTransient: error.is_transient === true,
	};
}

const describe = (e: GraphError) =>
	`Meta error ${e.code}${e.subcode !== null ? `/${e.subcode}` : ""}: ${e.message || "(no message)"}`;

export function classifyMeta(response: HttpResponse): Classification {
	const { status } = response;
	if (status >= 200 && status < 300) return { kind: "ok" };
	const error = parseGraphError(response.text);
	if (!error) {
		if (status >= 500 || status === 429)
			return { kind: "transient", reason: `HTTP ${status} without a Graph error body` };
		return { kind: "fatal", reason: `HTTP ${status} without a Graph error body` };
	}
	const reason = describe(error);
	// 190: invalid/expired token (463 expired, 460 password changed, 467 invalid); 102: session invalid.
	if (error.code === 190 || error.code === 102) return { kind: "auth", reason };
	if (isThrottleCode(error.code) || error.code === 368) {
		const hinted = usageWaitMs(parseMetaUsage(response.headers));
		return { kind: "throttled", reason, waitMs: hinted > 0 ? hinted : DEFAULT_THROTTLE_WAIT_MS };
	}
	// 1 unknown / "reduce the amount of data", 2 temporary, 960 batch timeout, 104 connection reset, -2 report failed.
	if ([1, 2, 960, 104, -2].includes(error.code) || error.subcode === 1504018 || error.subcode === 2490547)
		return { kind: "transient", reason };
	// 100 invalid parameter/field, 10 and 200–299 permissions: retrying cannot help, whatever the status.
	const permanent = error.code === 100 || error.code === 10 || (error.code >= 200 && error.code <= 299);
	if (!permanent && (status >= 500 || error.isTransient)) return { kind: "transient", reason };
	// Also 2601 (report run not accessible), 3018 (beyond the 37-month retention), 404s.
	return { kind: "fatal", reason };
}
