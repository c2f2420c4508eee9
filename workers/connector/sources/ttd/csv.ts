/**
 * Just enough CSV for the connector: check that a delivery report carries the
 * template's columns (so a changed template is quarantined instead of landing
 * wrong numbers) and count its data rows. The body itself is emitted untouched.
 */

/** Columns the delivery stream needs from the My Reports template (display names). */
export const TTD_REQUIRED_COLUMNS = [
	"Date",
	"Advertiser ID",
	"Campaign ID",
	"Ad Group ID",
	"Impressions",
	"Clicks",
	"Advertiser Cost (Adv Currency)",
	"All Last Click + View Conversions",
] as const;

/** Null when the header is fine, else the reason (missing columns, named). */
export function checkHeader(csv: string): string | null {
	const header = parseLine(firstLine(csv));
	const missing = TTD_REQUIRED_COLUMNS.filter((column) => !header.includes(column));
	if (missing.length === 0) return null;
	return `unexpected CSV header: missing ${missing.map((m) => `"${m}"`).join(", ")}; got ${JSON.stringify(header)}`;
}

/** Data rows: non-empty records after the header (quoted newlines stay inside their record). */
export function countDataRows(csv: string): number {
	let records = 0;
	let nonEmpty = false;
	if (!csv.includes('"')) {
		let start = 0;
		while (start < csv.length) {
			let end = csv.indexOf("\n", start);
			if (end < 0) end = csv.length;
			if (csv.slice(start, end).trim() !== "") records++;
			start = end + 1;
		}
		return Math.max(0, records - 1);
	}
	let quoted = false;
	for (let i = 0; i < csv.length; i++) {
		const ch = csv[i];
		if (ch === '"') quoted = !quoted;
		if (ch === "\n" && !quoted) {
			if (nonEmpty) records++;
			nonEmpty = false;
		} else if (ch !== "\r" && ch !== " ") nonEmpty = true;
	}
	if (nonEmpty) records++;
	return Math.max(0, records - 1);
}

function firstLine(csv: string): string {
	const text = csv.charCodeAt(0) === 0xfeff ? csv.slice(1) : csv;
	const end = text.indexOf("\n");
	return (end < 0 ? text : text.slice(0, end)).replace(/\r$/, "");
}

/** One CSV record's fields (RFC 4180 quoting). */
export function parseLine(line: string): string[] {
	const fields: string[] = [];
	let field = "";
	let quoted = false;
	for (let i = 0; i < line.length; i++) {
		const ch = line[i];
		if (quoted) {
			if (ch === '"' && line[i + 1] === '"') {
				field += '"';
				i++;
			} else if (ch === '"') quoted = false;
			else field += ch;
		} else if (ch === '"') quoted = true;
		else if (ch === ",") {
			fields.push(field);
			field = "";
		} else field += ch;
	}
	fields.push(field);
	return fields.map((f) => f.trim());
}
