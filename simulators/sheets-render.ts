/**
 * Renders a range of a simulated spreadsheet as the Sheets API's ValueRange
 * (source-apis.md §4.1): the echoed range is the whole requested range, but
 * trailing empty cells and rows are left out (ragged rows), an all-empty
 * range has no `values` key, empty cells inside a row are "".
 */
import { formatA1, parseA1, quoteSheet } from "./sheets-a1.ts";
import type { Cell, Spreadsheet, Tab } from "./sheets-crm.ts";

export interface RenderOptions {
	majorDimension: "ROWS" | "COLUMNS";
	valueRenderOption: "FORMATTED_VALUE" | "UNFORMATTED_VALUE" | "FORMULA";
	dateTimeRenderOption: "SERIAL_NUMBER" | "FORMATTED_STRING";
}

export type Value = string | number | boolean;
export interface ValueRange {
	range: string;
	majorDimension: "ROWS" | "COLUMNS";
	values?: Value[][];
}

/** A range the API refuses (HTTP 400 INVALID_ARGUMENT with this message). */
export class RangeError400 extends Error {}

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const decimal2 = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

function formatDate(serial: number): string {
	const d = new Date(Date.UTC(1899, 11, 30) + Math.floor(serial) * 86_400_000);
	return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()}`;
}

function renderCell(cell: Cell | undefined, options: RenderOptions): Value {
	if (cell === null || cell === undefined) return "";
	if (typeof cell === "string") return cell;
	const formatted = options.valueRenderOption === "FORMATTED_VALUE";
	if (typeof cell === "boolean") return formatted ? (cell ? "TRUE" : "FALSE") : cell;
	if (cell.format === "date" && (formatted || options.dateTimeRenderOption === "FORMATTED_STRING")) {
		return formatDate(cell.n);
	}
	if (!formatted) return cell.n;
	if (cell.format === "integer") return integer.format(cell.n);
	if (cell.format === "decimal2") return decimal2.format(cell.n);
	return cell.format === "rate" ? cell.n.toFixed(6) : String(cell.n);
}

function findTab(sheet: Spreadsheet, text: string): { tab: Tab; range: ReturnType<typeof parseA1> } {
	// A bare title such as "Sheet1" also reads as a cell reference; a tab of that name wins.
	const byTitle = sheet.tabs.find((t) => t.title === text.trim() || quoteSheet(t.title) === text.trim());
	if (byTitle) return { tab: byTitle, range: parseA1(quoteSheet(byTitle.title)) };
	const range = parseA1(text);
	const tab = range && (range.sheet === null ? sheet.tabs[0] : sheet.tabs.find((t) => t.title === range.sheet));
	if (!range || !tab) throw new RangeError400(`Unable to parse range: ${text}`);
	return { tab, range };
}

/** Renders one A1 range of the spreadsheet; throws RangeError400 for an unknown tab, bad A1 or a range past the grid. */
export function renderRange(sheet: Spreadsheet, text: string, options: RenderOptions): ValueRange {
	const { tab, range } = findTab(sheet, text);
	if (!range) throw new RangeError400(`Unable to parse range: ${text}`);
	const endRow = range.endRow ?? tab.rowCount;
	const endCol = range.endCol ?? tab.columnCount;
	const echoed = formatA1(tab.title, { startRow: range.startRow, startCol: range.startCol, endRow, endCol });
	if (endRow > tab.rowCount || endCol > tab.columnCount) {
		throw new RangeError400(
			`Range (${echoed}) exceeds grid limits. Max rows: ${tab.rowCount}, max columns: ${tab.columnCount}`,
		);
	}
	let grid: Value[][] = [];
	const lastRow = Math.min(endRow, tab.cells.length);
	for (let r = range.startRow; r <= lastRow; r++) {
		const source = tab.cells[r - 1] ?? [];
		const lastCol = Math.min(endCol, source.length);
		const row: Value[] = [];
		for (let c = range.startCol; c <= lastCol; c++) row.push(renderCell(source[c - 1], options));
		grid.push(row);
	}
	if (options.majorDimension === "COLUMNS") {
		const width = grid.reduce((max, r) => Math.max(max, r.length), 0);
		grid = Array.from({ length: width }, (_, c) => grid.map((row) => row[c] ?? ""));
	}
	for (const row of grid) while (row.length > 0 && row[row.length - 1] === "") row.pop();
	while (grid.length > 0 && (grid[grid.length - 1] as Value[]).length === 0) grid.pop();
	return grid.length > 0
		? { range: echoed, majorDimension: options.majorDimension, values: grid }
		: { range: echoed, majorDimension: options.majorDimension };
}
