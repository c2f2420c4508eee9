/**
 * A1 notation for the Sheets simulator: `Sheet1!A1:Z`, `'CRM Export'!A:D`,
 * `Sheet1!2:10`, `Sheet1!B3`, `Sheet1` (whole sheet), `A1:C5` (first sheet).
 * Rows and columns are 1-based; an open end is null (to the grid's edge).
 */
export interface A1Range {
	/** Sheet title, or null for "the first sheet". */
	sheet: string | null;
	startRow: number;
	startCol: number;
	endRow: number | null;
	endCol: number | null;
}

const CELL = /^([A-Z]*)(\d*)$/;

function columnNumber(letters: string): number {
	let n = 0;
	for (const ch of letters) n = n * 26 + (ch.charCodeAt(0) - 64);
	return n;
}

/** Column number (1-based) → letters: 1 → A, 27 → AA. */
export function columnLetters(n: number): string {
	let s = "";
	for (let rest = n; rest > 0; rest = Math.floor((rest - 1) / 26)) s = String.fromCharCode(65 + ((rest - 1) % 26)) + s;
	return s;
}

function splitSheet(text: string): { sheet: string | null; cells: string | null } | null {
	if (text.startsWith("'")) {
		// Quoted titles double their apostrophes: 'Bob''s tab'!A1.
		const match = /^'((?:[^']|'')+)'(?:!(.*))?$/.exec(text);
		if (!match?.[1]) return null;
		return { sheet: match[1].replace(/''/g, "'"), cells: match[2] ?? null };
	}
	const bang = text.lastIndexOf("!");
	if (bang >= 0) return { sheet: text.slice(0, bang), cells: text.slice(bang + 1) };
	// No "!": either a bare sheet title or a cell range on the first sheet.
	return /^[A-Z]*\d*(:[A-Z]*\d*)?$/i.test(text) && /\d|:/.test(text)
		? { sheet: null, cells: text }
		: { sheet: text, cells: null };
}

/** Parses an A1 range; null when it is not valid A1 (the API's "Unable to parse range"). */
export function parseA1(text: string): A1Range | null {
	const split = splitSheet(text.trim());
	if (!split || split.sheet === "") return null;
	const { sheet, cells } = split;
	if (cells === null || cells === "") return { sheet, startRow: 1, startCol: 1, endRow: null, endCol: null };
	const [from = "", to, extra] = cells.toUpperCase().split(":");
	if (extra !== undefined) return null;
	const a = CELL.exec(from);
	const b = to === undefined ? a : CELL.exec(to);
	if (!a || !b || (!a[1] && !a[2]) || (!b[1] && !b[2])) return null;
	// "A:D" is whole columns, "2:10" whole rows; a single cell "B3" is B3:B3.
	const range: A1Range = {
		sheet,
		startCol: a[1] ? columnNumber(a[1]) : 1,
		startRow: a[2] ? Number(a[2]) : 1,
		endCol: b[1] ? columnNumber(b[1]) : null,
		endRow: b[2] ? Number(b[2]) : null,
	};
	if (range.startRow < 1 || (range.endRow !== null && range.endRow < range.startRow)) return null;
	if (range.endCol !== null && range.endCol < range.startCol) return null;
	return range;
}

/** Sheet title as it appears in A1 output: quoted when it is not a plain word. */
export function quoteSheet(title: string): string {
	return /^[A-Za-z_][A-Za-z0-9_]*$/.test(title) ? title : `'${title.replace(/'/g, "''")}'`;
}

/** `Title!A1:Z1000`, the form the API echoes in ValueRange.range (ends resolved to the grid). */
export function formatA1(title: string, r: { startRow: number; startCol: number; endRow: number; endCol: number }) {
	return `${quoteSheet(title)}!${columnLetters(r.startCol)}${r.startRow}:${columnLetters(r.endCol)}${r.endRow}`;
}
