/**
 * Splits one raw page into its records, by source and stream. A page that
 * cannot be split (not JSON, no list, an unexpected CSV header, an unknown
 * stream) is a page-level failure: quarantined whole and dead-lettered.
 */
import { splitDv360Csv, splitTtdCsv } from "./csv.ts";
import { splitJsonEntity, splitJsonList } from "./json.ts";
import { isSheetsStream, splitSheetsTab } from "./sheets.ts";
import type { SplitResult } from "./types.ts";

export type { SplitResult } from "./types.ts";

type Splitter = (text: string) => SplitResult;

const SPLITTERS: Record<string, Record<string, Splitter>> = {
	dv360: {
		delivery: splitDv360Csv,
		advertisers: (t) => splitJsonEntity(t, "advertisers"),
		campaigns: (t) => splitJsonList(t, "campaigns", { optional: true }),
		insertion_orders: (t) => splitJsonList(t, "insertionOrders", { optional: true }),
		line_items: (t) => splitJsonList(t, "lineItems", { optional: true }),
	},
	ttd: {
		delivery: splitTtdCsv,
		advertisers: (t) => splitJsonEntity(t, "Result"),
		campaigns: (t) => splitJsonList(t, "Result"),
		ad_groups: (t) => splitJsonList(t, "Result"),
	},
	meta: {
		delivery: (t) => splitJsonList(t, "data"),
		campaigns: (t) => splitJsonList(t, "data"),
		ad_sets: (t) => splitJsonList(t, "data"),
	},
};

/** The records of a page of `source`/`stream`, each the JSON text of one record. */
export function splitPage(source: string, stream: string, text: string): SplitResult {
	if (source === "sheets" && isSheetsStream(stream)) return splitSheetsTab(stream, text);
	const split = SPLITTERS[source]?.[stream];
	if (!split) return { ok: false, reason: `unknown source/stream ${source}/${stream}` };
	return split(text);
}

/** Source/stream pairs the splitter knows (the bronze model has a report-date rule for each). */
export function knownStreams(): string[] {
	const pairs = Object.entries(SPLITTERS).flatMap(([source, streams]) =>
		Object.keys(streams).map((s) => `${source}/${s}`),
	);
	return [...pairs, "sheets/clients", "sheets/bookings", "sheets/exchange_rates"];
}
