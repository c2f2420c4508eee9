/**
 * Meta's usage headers (source-apis.md §3.3), read on every response, error
 * or not (Airbyte read them only on successes and lost to long blocks:
 * airbyte#86316). Percentages are of the hourly budget; throttling starts
 * at 100 %.
 */

export interface MetaUsage {
	/** Highest usage percent across X-App-Usage, X-Ad-Account-Usage, X-Business-Use-Case-Usage and the insights throttle. */
	maxPct: number;
	/** Longest `estimated_time_to_regain_access` of the business use cases, ms (the header is in minutes). */
	regainMs: number;
	/** `reset_time_duration` of X-Ad-Account-Usage, ms (the header is in seconds). */
	resetMs: number;
}

function parse(value: string | null): unknown {
	if (!value) return undefined;
	try {
		return JSON.parse(value);
	} catch {
		return undefined;
	}
}

const num = (value: unknown): number => {
	const n = typeof value === "string" ? Number(value) : value;
	return typeof n === "number" && Number.isFinite(n) ? n : 0;
};

function pctOf(record: unknown, keys: string[]): number {
	if (!record || typeof record !== "object") return 0;
	const r = record as Record<string, unknown>;
	return Math.max(0, ...keys.map((k) => num(r[k])));
}

/** Reads the usage headers; absent or unparsable headers count as 0. */
export function parseMetaUsage(headers: Headers): MetaUsage {
	let maxPct = pctOf(parse(headers.get("x-app-usage")), ["call_count", "total_cputime", "total_time"]);
	const account = parse(headers.get("x-ad-account-usage")) as Record<string, unknown> | undefined;
	maxPct = Math.max(maxPct, pctOf(account, ["acc_id_util_pct"]));
	const resetMs = num(account?.reset_time_duration) * 1000;
	maxPct = Math.max(
		maxPct,
		pctOf(parse(headers.get("x-fb-ads-insights-throttle")), ["app_id_util_pct", "acc_id_util_pct"]),
	);
	let regainMs = 0;
	const buc = parse(headers.get("x-business-use-case-usage"));
	if (buc && typeof buc === "object") {
		for (const entries of Object.values(buc as Record<string, unknown>)) {
			if (!Array.isArray(entries)) continue;
			for (const entry of entries) {
				maxPct = Math.max(maxPct, pctOf(entry, ["call_count", "total_cputime", "total_time"]));
				regainMs = Math.max(
					regainMs,
					num((entry as Record<string, unknown>)?.estimated_time_to_regain_access) * 60_000,
				);
			}
		}
	}
	return { maxPct, regainMs, resetMs };
}

/** How long to wait for the usage to come down: the longest hint the headers give, ms (0 when they give none). */
export function usageWaitMs(usage: MetaUsage): number {
	return Math.max(usage.regainMs, usage.resetMs);
}
