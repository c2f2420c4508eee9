/**
 * The CRM tabs' expected columns and the mapping of a sheet's header row onto
 * them. People edit these sheets by hand, so headers are matched by name,
 * case- and space-insensitively, in any order, with a few aliases; extra
 * columns are tolerated; unknown, duplicate and blank headers are reported
 * (not silently dropped, peers' top Sheets complaint); a missing required
 * column makes the tab unusable.
 */
export type SheetsStream = "clients" | "bookings" | "exchange_rates";

interface ColumnSpec {
	/** Normalised header names that map to this column (first = canonical). */
	names: string[];
	required: boolean;
}

export const SHEETS_COLUMNS: Record<SheetsStream, Record<string, ColumnSpec>> = {
	clients: {
		client_id: { names: ["client_id", "id"], required: true },
		client_name: { names: ["client_name", "name", "client"], required: true },
		currency: { names: ["currency"], required: true },
		account_manager: { names: ["account_manager", "owner"], required: false },
	},
	bookings: {
		booking_id: { names: ["booking_id", "id"], required: true },
		client_id: { names: ["client_id", "client"], required: true },
		line_items: { names: ["line_items", "dsp_line_items"], required: true },
		booked_impressions: { names: ["booked_impressions", "impressions"], required: true },
		booked_revenue: { names: ["booked_revenue", "revenue"], required: true },
		currency: { names: ["currency"], required: true },
		flight_start: { names: ["flight_start", "start_date"], required: true },
		flight_end: { names: ["flight_end", "end_date"], required: true },
		notes: { names: ["notes"], required: false },
	},
	exchange_rates: {
		date: { names: ["date"], required: true },
		from_currency: { names: ["from_currency", "from"], required: true },
		to_currency: { names: ["to_currency", "to"], required: true },
		rate: { names: ["rate"], required: true },
	},
};

export type CellValue = string | number | boolean;

export interface HeaderMapping {
	/** Column name → index in the row. */
	columns: Record<string, number>;
	/** Required columns the header lacks; non-empty means the tab cannot be used. */
	missing: string[];
	/** Headers that match no known column (kept in the raw page, ignored by the mapping). */
	unknown: string[];
	/** Headers that map to a column already taken (the first one wins). */
	duplicates: string[];
	/** Positions (0-based) of blank header cells before the last header. */
	blank: number[];
}

/** "Booked Revenue (EUR)" → "booked_revenue_eur": lower case, runs of non-alphanumerics become one "_". */
export function normaliseHeader(header: CellValue): string {
	return String(header)
		.trim()
		.toLowerCase()
		.replace(/[^a-z0-9]+/g, "_")
		.replace(/^_+|_+$/g, "");
}

/** Maps a header row onto the stream's expected columns. */
export function mapHeader(stream: SheetsStream, header: readonly CellValue[]): HeaderMapping {
	const spec = SHEETS_COLUMNS[stream];
	const byName = new Map<string, string>();
	for (const [column, { names }] of Object.entries(spec)) for (const name of names) byName.set(name, column);
	const mapping: HeaderMapping = { columns: {}, missing: [], unknown: [], duplicates: [], blank: [] };
	for (const [index, cell] of header.entries()) {
		const name = normaliseHeader(cell);
		const column = byName.get(name);
		if (!name) mapping.blank.push(index);
		else if (column === undefined) mapping.unknown.push(String(cell));
		else if (column in mapping.columns) mapping.duplicates.push(String(cell));
		else mapping.columns[column] = index;
	}
	mapping.missing = Object.entries(spec)
		.filter(([column, { required }]) => required && !(column in mapping.columns))
		.map(([column]) => column);
	return mapping;
}

/** True when a row has at least one non-empty cell (blank spacer rows come back as [] or ["", ""]). */
export function isDataRow(row: readonly CellValue[]): boolean {
	return row.some((cell) => cell !== "" && cell !== null && cell !== undefined);
}

/**
 * The data rows of a tab as records keyed by column name; a cell beyond a
 * ragged row's end, or empty, is null. For tests and for the bronze parser.
 */
export function decodeRows(
	mapping: HeaderMapping,
	rows: readonly (readonly CellValue[])[],
): Record<string, CellValue | null>[] {
	return rows.filter(isDataRow).map((row) => {
		const record: Record<string, CellValue | null> = {};
		for (const [column, index] of Object.entries(mapping.columns)) {
			const cell = row[index];
			record[column] = cell === undefined || cell === "" ? null : cell;
		}
		return record;
	});
}
