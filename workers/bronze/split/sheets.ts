/**
 * Sheets `values:batchGet` pages (one tab each): the first row is the header,
 * mapped onto the stream's columns by the connector's rules (aliases, any
 * order, case-insensitive); each data row becomes a record keyed by the
 * mapped column names, cells as the API sent them (serial dates stay numbers),
 * empty or missing cells null. Spacer rows are not records.
 */
import {
	type CellValue,
	decodeRows,
	mapHeader,
	SHEETS_COLUMNS,
	type SheetsStream,
} from "../../connector/sources/sheets/index.ts";
import type { SplitResult } from "./types.ts";

export function isSheetsStream(stream: string): stream is SheetsStream {
	return stream in SHEETS_COLUMNS;
}

export function splitSheetsTab(stream: SheetsStream, text: string): SplitResult {
	let json: { spreadsheetId?: unknown; valueRanges?: { range?: unknown; values?: unknown }[] };
	try {
		json = JSON.parse(text);
	} catch (error) {
		return { ok: false, reason: `page is not JSON: ${(error as Error).message}` };
	}
	const valueRange = Array.isArray(json?.valueRanges) ? json.valueRanges[0] : undefined;
	if (!valueRange || typeof valueRange.range !== "string") return { ok: false, reason: "page has no valueRanges[0]" };
	const values = valueRange.values;
	if (!Array.isArray(values) || !values.every(Array.isArray) || values.length === 0) {
		return { ok: false, reason: `tab ${valueRange.range} has no header row` };
	}
	const [header = [], ...rows] = values as CellValue[][];
	const mapping = mapHeader(stream, header);
	if (mapping.missing.length > 0) {
		return { ok: false, reason: `tab ${valueRange.range} lacks required column(s) ${mapping.missing.join(", ")}` };
	}
	const records = decodeRows(mapping, rows).map((record) => JSON.stringify(record));
	const account = typeof json.spreadsheetId === "string" ? json.spreadsheetId : undefined;
	return { ok: true, records, ...(account ? { account } : {}) };
}
