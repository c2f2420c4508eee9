/**
 * Reading Graph API pages: `{data: [...], paging: {cursors, next?}}` where
 * `paging.next` is present only when another page follows (source-apis.md
 * §3.1). The emitted body is the response without its `paging` member:
 * that member carries the report run id (new on every run, so the same data
 * would hash to a new request_id) and, on graph.facebook.com, the access
 * token in `next`. Everything else is the bytes as received.
 */
import type { InsightsLevel } from "./settings.ts";

export type GraphRow = Record<string, unknown>;

export type GraphPage =
	| { ok: true; rows: GraphRow[]; next: string | null; body: string }
	| { ok: false; reason: string };

/** Parses a page; not ok when the body is not JSON or has no `data` array. */
export function readGraphPage(text: string): GraphPage {
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch (error) {
		return { ok: false, reason: `response is not JSON: ${(error as Error).message}` };
	}
	const data = (json as { data?: unknown } | null)?.data;
	if (!json || typeof json !== "object" || !Array.isArray(data))
		return { ok: false, reason: "response has no data array" };
	const paging = (json as { paging?: { next?: unknown } }).paging;
	const next = typeof paging?.next === "string" && paging.next ? paging.next : null;
	return { ok: true, rows: data as GraphRow[], next, body: paging === undefined ? text : withoutPaging(text, json) };
}

/**
 * The body without its top-level `paging` member. Meta writes `paging` last,
 * so cutting the text keeps the data bytes untouched; the cut is verified
 * (the tail must be exactly one `paging` member), else the object is
 * re-serialised without it.
 */
export function withoutPaging(text: string, json: unknown): string {
	const at = text.lastIndexOf(',"paging":');
	if (at > 0) {
		try {
			const tail = JSON.parse(`{${text.slice(at + 1)}`) as Record<string, unknown>;
			if (Object.keys(tail).length === 1 && "paging" in tail) return `${text.slice(0, at)}}`;
		} catch {
			// Not the last member: fall through.
		}
	}
	const { paging: _paging, ...rest } = json as Record<string, unknown>;
	return JSON.stringify(rest);
}

/** The fields every Insights row of a level must carry. */
export function requiredInsightsFields(level: InsightsLevel): string[] {
	const ids = level === "account" ? [] : level === "ad" ? ["ad_id"] : [`${level}_id`];
	return ["date_start", "date_stop", "account_id", ...ids, "impressions", "spend"];
}

/** A reason naming the first row that lacks a required field, or null when every row is complete. */
export function missingFields(rows: GraphRow[], required: string[]): string | null {
	// A plain loop: pages run to thousands of rows and this sits on the bench's hot path.
	for (let i = 0; i < rows.length; i++) {
		const row = rows[i];
		if (!row || typeof row !== "object") return `row ${i} is not an object`;
		for (const field of required) {
			const value = row[field];
			if (value === undefined || value === null || value === "") {
				const missing = required.filter((f) => row[f] === undefined || row[f] === null || row[f] === "");
				return `row ${i} lacks required field(s) ${missing.join(", ")}`;
			}
		}
	}
	return null;
}

/** Action types counted as conversions by default: the pixel purchase (omni_purchase repeats it). */
export const DEFAULT_CONVERSION_ACTIONS = ["offsite_conversion.fb_pixel_purchase"];

export interface InsightsRow {
	date: string;
	accountId: string;
	campaignId: string | null;
	adsetId: string | null;
	adId: string | null;
	impressions: number;
	clicks: number;
	/** Spend in micros of the account currency. */
	spendMicros: bigint;
	conversions: number;
	currency: string | null;
}

/** "5339.5" → 5339500000n: decimal strings to micros without floating point. */
export function decimalToMicros(value: string): bigint {
	const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value.trim());
	if (!match) throw new Error(`not a decimal amount: ${value}`);
	const micros = BigInt(match[2] as string) * 1_000_000n + BigInt((match[3] ?? "").padEnd(6, "0").slice(0, 6));
	return match[1] ? -micros : micros;
}

/** Types one Insights row (string metrics, `actions` list) the way the bronze layer reads it. */
export function parseInsightsRow(row: GraphRow, conversionActions = DEFAULT_CONVERSION_ACTIONS): InsightsRow {
	const str = (key: string) => (typeof row[key] === "string" ? (row[key] as string) : null);
	const actions = Array.isArray(row.actions) ? (row.actions as { action_type?: unknown; value?: unknown }[]) : [];
	const conversions = actions
		.filter((a) => typeof a.action_type === "string" && conversionActions.includes(a.action_type))
		.reduce((sum, a) => sum + Number(a.value ?? 0), 0);
	return {
		date: str("date_start") ?? "",
		accountId: str("account_id") ?? "",
		campaignId: str("campaign_id"),
		adsetId: str("adset_id"),
		adId: str("ad_id"),
		impressions: Number(str("impressions") ?? 0),
		clicks: Number(str("clicks") ?? 0),
		spendMicros: decimalToMicros(str("spend") ?? "0"),
		conversions,
		currency: str("account_currency"),
	};
}
