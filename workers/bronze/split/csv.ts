/**
 * CSV report pages (DV360 Bid Manager, TTD My Reports) into records keyed by
 * the header, each kept as the JSON text of its cells as received (strings,
 * never converted: typing is silver's job).
 */
import { EMPTY_REPORT_LINE, EXPECTED_HEADER, REPORT_GROUP_BYS } from "../../connector/sources/dv360/index.ts";
import { TTD_REQUIRED_COLUMNS } from "../../connector/sources/ttd/index.ts";
import type { SplitResult } from "./types.ts";

/** Parses CSV text (RFC 4180 quoting, CRLF or LF, a leading BOM) into records of cells; a blank line is []. */
export function parseCsv(text: string): string[][] {
	const records: string[][] = [];
	let cells: string[] = [];
	let cell = "";
	let quoted = false;
	let touched = false;
	const start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
	const endRecord = () => {
		if (touched || cells.length > 0) cells.push(cell);
		records.push(cells);
		cells = [];
		cell = "";
		touched = false;
	};
	for (let i = start; i < text.length; i++) {
		const ch = text[i];
		if (quoted) {
			if (ch === '"' && text[i + 1] === '"') {
				cell += '"';
				i++;
			} else if (ch === '"') quoted = false;
			else cell += ch;
		} else if (ch === '"') {
			quoted = true;
			touched = true;
		} else if (ch === ",") {
			cells.push(cell);
			cell = "";
			touched = true;
		} else if (ch === "\n") endRecord();
		else if (ch === "\r" && text[i + 1] === "\n") continue;
		else {
			cell += ch;
			touched = true;
		}
	}
	if (touched || cells.length > 0) endRecord();
	return records;
}

const isBlank = (record: readonly string[]) => record.every((cell) => cell.trim() === "");

/** One row keyed by the header; cells beyond the header go to `_extra_cells` so the structure check sees them. */
function keyed(header: readonly string[], row: readonly string[]): string {
	const record: Record<string, unknown> = {};
	header.forEach((name, i) => {
		if (i < row.length) record[name] = row[i];
	});
	if (row.length > header.length) record._extra_cells = row.slice(header.length);
	return JSON.stringify(record);
}

const DIMENSIONS = REPORT_GROUP_BYS.length;

/**
 * DV360: the header must be the query's; data rows run to the first blank
 * line (after it: the footer, `Report Time:` and friends). The grand-total
 * row (every dimension cell empty) repeats the sums and is not a record.
 * "No data returned by the reporting service." is an empty report.
 */
export function splitDv360Csv(text: string): SplitResult {
	const records = parseCsv(text);
	const [header = []] = records;
	if (header.length === 1 && header[0]?.trim() === EMPTY_REPORT_LINE) return { ok: true, records: [] };
	if (header.length !== EXPECTED_HEADER.length || header.some((name, i) => name !== EXPECTED_HEADER[i])) {
		return { ok: false, reason: `unexpected DV360 report header: [${header.join(", ")}]` };
	}
	const out: string[] = [];
	for (const row of records.slice(1)) {
		if (isBlank(row)) break;
		if (row.slice(0, DIMENSIONS).every((cell) => cell.trim() === "")) continue;
		out.push(keyed(header, row));
	}
	return { ok: true, records: out };
}

/** TTD: the header must carry the template's columns; blank lines are skipped; there is no totals row. */
export function splitTtdCsv(text: string): SplitResult {
	if (text.trim() === "") return { ok: true, records: [] };
	const records = parseCsv(text);
	const header = (records[0] ?? []).map((name) => name.trim());
	const missing = TTD_REQUIRED_COLUMNS.filter((column) => !header.includes(column));
	if (missing.length > 0) {
		return { ok: false, reason: `unexpected TTD report header: missing ${missing.map((m) => `"${m}"`).join(", ")}` };
	}
	return {
		ok: true,
		records: records
			.slice(1)
			.filter((row) => !isBlank(row))
			.map((row) => keyed(header, row)),
	};
}
