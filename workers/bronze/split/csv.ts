/**
 * CSV report pages (DV360 Bid Manager, TTD My Reports) into records keyed by
 * the header, each kept as the JSON text of its cells as received (strings,
 * never converted: typing is silver's job).
 */
import { EMPTY_REPORT_LINE, EXPECTED_HEADER, REPORT_GROUP_BYS } from "../../connector/sources/dv360/index.ts";
import { TTD_REQUIRED_COLUMNS } from "../../connector/sources/ttd/index.ts";
import type { SplitResult } from "./types.ts";

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/** Parses CSV text (RFC 4180 quoting, CRLF or LF, a leading BOM) into records of cells; a blank line is []. */
export function parseCsv(text: string): string[][] {
	const records: string[][] = [];
	eachCsvRecord(text, (cells) => {
		records.push(cells);
	});
	return records;
}

/**
 * Calls `visit` with each record of `parseCsv(text)` in turn, stopping early when it returns false
 * (so the splitters never hold every parsed row at once). Fast path: a line with no `"` is one
 * record, split on ",". A line with a quote goes to `parseQuotedRecord`, which may run past the
 * line's end (quoted cells can hold newlines).
 */
function eachCsvRecord(text: string, visit: (cells: string[]) => boolean | undefined): void {
	let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
	// The first quote at or after i (-1: none left), looked up again only once passed, so the text is scanned once.
	let nextQuote = text.indexOf('"', i);
	while (i < text.length) {
		if (nextQuote !== -1 && nextQuote < i) nextQuote = text.indexOf('"', i);
		let end = text.indexOf("\n", i);
		if (end === -1) end = text.length;
		let cells: string[];
		if (nextQuote !== -1 && nextQuote < end) {
			cells = [];
			i = parseQuotedRecord(text, i, cells);
		} else {
			// A CR is dropped only as part of a CRLF; at the end of the text (no LF) it is cell content.
			const lineEnd = end < text.length && end > i && text.charCodeAt(end - 1) === CR ? end - 1 : end;
			cells = lineEnd === i ? [] : text.slice(i, lineEnd).split(",");
			i = end + 1;
		}
		if (visit(cells) === false) return;
	}
}

/**
 * The RFC 4180 state machine for one record starting at `start`, a line start with a quote before
 * the line's end (so the record is never empty): fills `cells` and returns the index just past the
 * record's terminating LF (or the text's length). Quoted and plain runs are copied as slices; a quote
 * in the middle of an unquoted cell opens a quoted run there.
 */
function parseQuotedRecord(text: string, start: number, cells: string[]): number {
	let cell = "";
	let i = start;
	while (i < text.length) {
		const ch = text.charCodeAt(i);
		if (ch === QUOTE) {
			// A quoted run: up to the closing quote, copied in slices; `""` is a literal quote.
			for (;;) {
				const close = text.indexOf('"', i + 1);
				if (close === -1) {
					cell += text.slice(i + 1);
					i = text.length;
					break;
				}
				cell += text.slice(i + 1, close);
				if (text.charCodeAt(close + 1) !== QUOTE) {
					i = close + 1;
					break;
				}
				cell += '"';
				i = close + 1;
			}
		} else if (ch === COMMA) {
			cells.push(cell);
			cell = "";
			i++;
		} else if (ch === LF) {
			cells.push(cell);
			return i + 1;
		} else if (ch === CR && text.charCodeAt(i + 1) === LF) {
			i++;
		} else {
			// A plain run: up to the next quote, comma, LF or CR (a lone CR, as here, is content).
			let j = i + 1;
			while (j < text.length) {
				const c = text.charCodeAt(j);
				if (c === QUOTE || c === COMMA || c === LF || c === CR) break;
				j++;
			}
			cell += text.slice(i, j);
			i = j;
		}
	}
	cells.push(cell);
	return i;
}

/** Whether the first `count` cells of a record (all by default) are blank. */
function isBlank(record: readonly string[], count = record.length): boolean {
	const n = Math.min(count, record.length);
	for (let i = 0; i < n; i++) if ((record[i] as string).trim() !== "") return false;
	return true;
}

/**
 * One row keyed by the header; cells beyond the header go to `_extra_cells` so the structure check sees them.
 * (Measured: an object plus JSON.stringify beats emitting the JSON by hand in Bun, whose concatenated
 * strings are ropes that must be flattened later; the object path also keeps JS key semantics.)
 */
function keyed(header: readonly string[], row: readonly string[]): string {
	const record: Record<string, unknown> = {};
	const n = Math.min(header.length, row.length);
	for (let i = 0; i < n; i++) record[header[i] as string] = row[i];
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
	let header: string[] | undefined;
	let early: SplitResult | undefined;
	const out: string[] = [];
	eachCsvRecord(text, (row) => {
		if (header === undefined) {
			header = row;
			early = dv360HeaderVerdict(row);
			return early === undefined;
		}
		if (isBlank(row)) return false;
		if (!isBlank(row, DIMENSIONS)) out.push(keyed(header, row));
		return true;
	});
	return early ?? (header === undefined ? dv360HeaderVerdict([]) : undefined) ?? { ok: true, records: out };
}

/** The page's result when its DV360 header ends it (the empty-report line, or a wrong header); undefined when rows follow. */
function dv360HeaderVerdict(header: readonly string[]): SplitResult | undefined {
	if (header.length === 1 && header[0]?.trim() === EMPTY_REPORT_LINE) return { ok: true, records: [] };
	if (header.length !== EXPECTED_HEADER.length || header.some((name, i) => name !== EXPECTED_HEADER[i])) {
		return { ok: false, reason: `unexpected DV360 report header: [${header.join(", ")}]` };
	}
	return undefined;
}

/** TTD: the header must carry the template's columns; blank lines are skipped; there is no totals row. */
export function splitTtdCsv(text: string): SplitResult {
	if (text.trim() === "") return { ok: true, records: [] };
	let header: string[] | undefined;
	const out: string[] = [];
	eachCsvRecord(text, (row) => {
		if (header === undefined) header = row.map((name) => name.trim());
		else if (!isBlank(row)) out.push(keyed(header, row));
		return true;
	});
	const names = header ?? [];
	const missing = TTD_REQUIRED_COLUMNS.filter((column) => !names.includes(column));
	if (missing.length > 0) {
		return { ok: false, reason: `unexpected TTD report header: missing ${missing.map((m) => `"${m}"`).join(", ")}` };
	}
	return { ok: true, records: out };
}
