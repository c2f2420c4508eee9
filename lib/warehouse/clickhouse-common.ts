/**
 * What the chDB and HTTP warehouse adapters must do alike: the output
 * settings that fix how values come back, row encoding for inserts, names,
 * and error classification. Neither library is imported here, so the HTTP
 * adapter never loads chDB's native library.
 */
import { AdapterError, ValidationError } from "../errors.ts";

/**
 * Sent with every call by both adapters, so rows read the same whichever runs:
 * - 64-bit integers come back as JSON strings (a JS number loses digits past 2^53);
 * - Decimals come back as strings with their full scale ("12.30"), so cents stay
 *   exact and look the same as DuckDB's DECIMAL strings;
 * - inserted DateTime strings are parsed best-effort, so an ISO string with a
 *   zone ("2024-02-29T10:00:00Z", what JSON.stringify makes of a Date) is accepted.
 * Date is 'YYYY-MM-DD' and DateTime 'YYYY-MM-DD hh:mm:ss' in the column's time
 * zone: declare DateTime('UTC') so the server's zone never matters.
 */
export const CLICKHOUSE_SETTINGS = Object.freeze({
	output_format_json_quote_64bit_integers: 1,
	output_format_json_quote_decimals: 1,
	output_format_decimal_trailing_zeros: 1,
	date_time_input_format: "best_effort",
});

/** Rows per INSERT statement; bounds the memory one statement's payload takes. */
export const INSERT_BATCH_ROWS = 50_000;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A database name used unquoted in DDL; only plain identifiers are accepted. */
export function assertDatabaseName(name: string): string {
	if (!IDENTIFIER.test(name)) throw new ValidationError(`Invalid database name: ${JSON.stringify(name)}`);
	return name;
}

/** `table` or `db.table`, plain identifiers only: both adapters splice it into an INSERT. */
export function assertTableName(name: string): string {
	const parts = name.split(".");
	if (parts.length > 2 || !parts.every((part) => IDENTIFIER.test(part))) {
		throw new ValidationError(`Invalid table name: ${JSON.stringify(name)}`, { context: { table: name } });
	}
	return name;
}

// Bigints become JSON strings; ClickHouse parses a quoted number into an
// integer or Decimal column exactly. Dates go through their toJSON (ISO, UTC).
function jsonValue(_key: string, value: unknown): unknown {
	return typeof value === "bigint" ? value.toString() : value;
}

/** A row as JSON, bigints as exact digit strings. */
export function stringifyRow(row: unknown): string {
	return JSON.stringify(row, jsonValue);
}

/** One JSONEachRow line (with its newline) per row. */
export function encodeJsonEachRow(rows: readonly Record<string, unknown>[], from = 0, to = rows.length): string {
	let out = "";
	for (let i = from; i < to; i++) out += `${stringifyRow(rows[i])}\n`;
	return out;
}

/** Parses JSONEachRow text (what ClickHouse returns) into row objects. */
export function decodeJsonEachRow<T>(text: string): T[] {
	const rows: T[] = [];
	for (const line of text.split("\n")) if (line.length > 0) rows.push(JSON.parse(line) as T);
	return rows;
}

/** A short, single-line excerpt of SQL for error context and logs. */
export function sqlExcerpt(sql: string, max = 200): string {
	const flat = sql.replace(/\s+/g, " ").trim();
	return flat.length > max ? `${flat.slice(0, max)}...` : flat;
}

// Server-side conditions that can clear by themselves: timeouts, overload,
// memory pressure, too many parts (merges catch up), replicas or Keeper away.
// Everything else with a code (syntax, unknown table or column, type errors,
// bad data) fails the same way on every retry.
const RETRIABLE_CODES = new Set([
	159, // TIMEOUT_EXCEEDED
	160, // TOO_SLOW
	202, // TOO_MANY_SIMULTANEOUS_QUERIES
	203, // NO_FREE_CONNECTION
	209, // SOCKET_TIMEOUT
	210, // NETWORK_ERROR
	241, // MEMORY_LIMIT_EXCEEDED
	242, // TABLE_IS_READ_ONLY
	252, // TOO_MANY_PARTS
	285, // TOO_FEW_LIVE_REPLICAS
	319, // UNKNOWN_STATUS_OF_INSERT
	425, // SYSTEM_ERROR
	439, // CANNOT_SCHEDULE_TASK
	473, // DEADLOCK_AVOIDED
	999, // KEEPER_EXCEPTION
]);

/** The ClickHouse error code in an error (a `code`/`clickhouseCode` field, or "Code: NNN" in its message). */
export function clickhouseCodeOf(error: unknown): number | undefined {
	const fields = error as { clickhouseCode?: unknown; code?: unknown } | null;
	for (const field of [fields?.clickhouseCode, fields?.code]) {
		const n = typeof field === "number" ? field : typeof field === "string" ? Number(field) : Number.NaN;
		if (Number.isInteger(n) && n > 0) return n;
	}
	const match = /Code: (\d+)/.exec(error instanceof Error ? error.message : String(error));
	return match ? Number(match[1]) : undefined;
}

export interface WarehouseErrorContext {
	adapter: "chdb" | "clickhouse-http";
	operation: "command" | "query" | "insert";
	queryId: string;
	sql: string;
	/** Whether an error without a ClickHouse code (network, socket, timeout) may succeed later. */
	retriableWithoutCode: boolean;
}

/** Wraps a failed call in an AdapterError carrying the query id, SQL excerpt and ClickHouse code. */
export function toWarehouseError(error: unknown, ctx: WarehouseErrorContext): AdapterError {
	if (error instanceof AdapterError || error instanceof ValidationError) return error;
	const code = clickhouseCodeOf(error);
	const message = error instanceof Error ? error.message : String(error);
	return new AdapterError(`Warehouse ${ctx.operation} failed (query id ${ctx.queryId}): ${message}`, {
		cause: error,
		retriable: code === undefined ? ctx.retriableWithoutCode : RETRIABLE_CODES.has(code),
		context: {
			adapter: ctx.adapter,
			operation: ctx.operation,
			queryId: ctx.queryId,
			sql: sqlExcerpt(ctx.sql),
			code,
			clickhouseMessage: message,
		},
	});
}
