/**
 * The DV360 report CSV (source-apis.md §1.2): a header of display names, data
 * rows, a grand-total row whose dimension cells are empty, a blank line, then
 * footer lines (`Report Time:`, `Date Range:`, `Group By:`, disclaimers,
 * `Filter by ...`); or the single line "No data returned by the reporting
 * service.". Only the data rows count; pages stay raw, cut on record
 * boundaries with the header repeated so each chunk parses on its own.
 */

/** groupBy enum → CSV header (display name), in the order the query asks for them. */
export const REPORT_GROUP_BYS: ReadonlyArray<readonly [string, string]> = [
	["FILTER_DATE", "Date"],
	["FILTER_ADVERTISER", "Advertiser ID"],
	["FILTER_ADVERTISER_CURRENCY", "Advertiser Currency"],
	["FILTER_MEDIA_PLAN", "Campaign ID"],
	["FILTER_INSERTION_ORDER", "Insertion Order ID"],
	["FILTER_LINE_ITEM", "Line Item ID"],
];

/** metric enum → CSV header. Revenue (Advertiser Currency) is what the advertiser is billed: the spend budgets pace on. */
export const REPORT_METRICS: ReadonlyArray<readonly [string, string]> = [
	["METRIC_IMPRESSIONS", "Impressions"],
	["METRIC_CLICKS", "Clicks"],
	["METRIC_MEDIA_COST_ADVERTISER", "Media Cost (Advertiser Currency)"],
	["METRIC_REVENUE_ADVERTISER", "Revenue (Advertiser Currency)"],
	["METRIC_TOTAL_CONVERSIONS", "Total Conversions"],
];

export const EXPECTED_HEADER: readonly string[] = [...REPORT_GROUP_BYS, ...REPORT_METRICS].map(([, name]) => name);

export const EMPTY_REPORT_LINE = "No data returned by the reporting service.";

export type ReportCsv =
	| { ok: true; empty: boolean; rows: number; chunks: { body: string; rows: number }[] }
	| { ok: false; reason: string };

/**
 * Finds record ends (the "\n" that ends a record, or text.length), keeping
 * quoted newlines inside. The next quote's position is cached so that a long
 * run of unquoted data rows is scanned once, not once per row.
 */
function createRecordScanner(text: string): (start: number) => number {
	let nextQuote = -1;
	const quoteAfter = (from: number) => {
		if (nextQuote !== Number.POSITIVE_INFINITY && nextQuote < from) {
			const found = text.indexOf('"', from);
			nextQuote = found < 0 ? Number.POSITIVE_INFINITY : found;
		}
		return nextQuote;
	};
	return (start) => {
		let end = text.indexOf("\n", start);
		if (end < 0) end = text.length;
		if (quoteAfter(start) >= end) return end;
		let quoted = false;
		for (let i = start; i < text.length; i++) {
			const ch = text.charCodeAt(i);
			if (ch === 34) quoted = !quoted;
			else if (ch === 10 && !quoted) return i;
		}
		return text.length;
	};
}

function stripCr(line: string): string {
	return line.endsWith("\r") ? line.slice(0, -1) : line;
}

/** Splits one CSV record into cells (RFC 4180 quoting). */
export function parseCsvRecord(record: string): string[] {
	const cells: string[] = [];
	let cell = "";
	let quoted = false;
	for (let i = 0; i < record.length; i++) {
		const ch = record[i];
		if (quoted) {
			if (ch === '"' && record[i + 1] === '"') {
				cell += '"';
				i++;
			} else if (ch === '"') quoted = false;
			else cell += ch;
		} else if (ch === '"') quoted = true;
		else if (ch === ",") {
			cells.push(cell);
			cell = "";
		} else cell += ch;
	}
	cells.push(cell);
	return cells;
}

/**
 * Checks the header, counts data rows (not the totals row, not the footer)
 * and cuts the CSV into chunks of about `maxChunkChars`; a CSV that fits is
 * one chunk equal to the body as received. Default chunk 8 MiB of text.
 */
export function splitReportCsv(text: string, maxChunkChars = 8 * 1024 * 1024): ReportCsv {
	const bodyStart = text.charCodeAt(0) === 0xfeff ? 1 : 0;
	const recordEnd = createRecordScanner(text);
	const headerEnd = recordEnd(bodyStart);
	const headerLine = stripCr(text.slice(bodyStart, headerEnd)).trim();
	if (headerLine === EMPTY_REPORT_LINE) return { ok: true, empty: true, rows: 0, chunks: [{ body: text, rows: 0 }] };
	const header = parseCsvRecord(headerLine);
	if (header.length !== EXPECTED_HEADER.length || header.some((name, i) => name !== EXPECTED_HEADER[i])) {
		return {
			ok: false,
			reason: `unexpected report CSV header: got [${header.join(", ")}], expected [${EXPECTED_HEADER.join(", ")}]`,
		};
	}
	const chunks: { body: string; rows: number }[] = [];
	let rows = 0;
	let chunkRows = 0;
	let chunkStart = headerEnd + 1;
	let footerFound = false;
	let pos = headerEnd + 1;
	while (pos < text.length) {
		const end = recordEnd(pos);
		if (end === pos || (end === pos + 1 && text[pos] === "\r")) {
			footerFound = true;
			break;
		}
		if (text[pos] === ",") {
			// The grand-total row: blank dimension cells. It stays in the last chunk, with the footer.
			pos = end + 1;
			continue;
		}
		rows++;
		chunkRows++;
		if (end + 1 - chunkStart > maxChunkChars && end + 1 < text.length) {
			chunks.push({ body: chunkBody(text, bodyStart, headerEnd, chunkStart, end + 1), rows: chunkRows });
			chunkStart = end + 1;
			chunkRows = 0;
		}
		pos = end + 1;
	}
	if (!footerFound) return { ok: false, reason: "report CSV ends without the totals row and footer (truncated?)" };
	const last = chunks.length === 0 ? text : chunkBody(text, bodyStart, headerEnd, chunkStart, text.length);
	chunks.push({ body: last, rows: chunkRows });
	return { ok: true, empty: false, rows, chunks };
}

function chunkBody(text: string, bodyStart: number, headerEnd: number, from: number, to: number): string {
	return `${text.slice(bodyStart, headerEnd)}\n${text.slice(from, to)}`;
}
