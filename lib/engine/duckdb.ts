/**
 * The transform engine on DuckDB's native binding. The only file that imports
 * @duckdb/node-api. Queries run on DuckDB's threads, off the event loop.
 *
 * Values come back as plain JS, chosen so nothing is lost or rounded:
 * - BIGINT, UBIGINT, HUGEINT: bigint (exact; and a valid SqlValue to pass back);
 * - DECIMAL: string with its full scale ("12.30"), so cents stay exact;
 * - DATE: 'YYYY-MM-DD';
 * - TIMESTAMP and TIMESTAMPTZ: ISO-8601 UTC ('2024-02-29T10:11:12.000Z'), with
 *   six fractional digits when the value has sub-millisecond precision;
 * - TIME: 'hh:mm:ss[.ffffff]'; UUID: string; BLOB: Uint8Array;
 * - LIST and ARRAY: arrays; STRUCT: objects; MAP: [{ key, value }] arrays;
 * - other integers, floats, booleans, strings: as DuckDB gives them.
 */
import {
	DuckDBArrayValue,
	DuckDBBlobValue,
	type DuckDBConnection,
	DuckDBDateValue,
	DuckDBDecimalValue,
	DuckDBInstance,
	DuckDBListValue,
	DuckDBMapValue,
	DuckDBStructValue,
	DuckDBTimestampMillisecondsValue,
	DuckDBTimestampNanosecondsValue,
	DuckDBTimestampSecondsValue,
	DuckDBTimestampTZValue,
	DuckDBTimestampValue,
	type DuckDBValue,
} from "@duckdb/node-api";
import { AdapterError } from "../errors.ts";
import type { SqlValue, TransformEngine } from "./port.ts";

export interface DuckdbEngineOptions {
	/** Database file; default ':memory:' (nothing persists after close). */
	path?: string;
	/** Worker threads; default DuckDB's (one per core). */
	threads?: number;
	/** Memory ceiling in DuckDB's notation, e.g. '2GB'; default DuckDB's (80% of RAM). */
	memoryLimit?: string;
	/** Where DuckDB spills what does not fit under the ceiling; default DuckDB's ('.tmp' beside an in-memory database). */
	tempDirectory?: string;
}

function isoFromMicros(micros: bigint): string {
	const millis = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
	const iso = new Date(Number(millis)).toISOString();
	const subMillis = micros - millis * 1000n;
	return subMillis === 0n ? iso : `${iso.slice(0, -1)}${subMillis.toString().padStart(3, "0")}Z`;
}

function timestamp(micros: bigint, finite: boolean, fallback: string): string {
	return finite ? isoFromMicros(micros) : fallback;
}

function toJs(value: DuckDBValue): unknown {
	if (value === null || typeof value !== "object") return value;
	if (value instanceof DuckDBDecimalValue || value instanceof DuckDBDateValue) return value.toString();
	if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) {
		return timestamp(value.micros, value.isFinite, value.toString());
	}
	if (value instanceof DuckDBTimestampMillisecondsValue) {
		return timestamp(value.millis * 1000n, value.isFinite, value.toString());
	}
	if (value instanceof DuckDBTimestampSecondsValue) {
		return timestamp(value.seconds * 1_000_000n, value.isFinite, value.toString());
	}
	if (value instanceof DuckDBTimestampNanosecondsValue) {
		return timestamp(value.nanos / 1000n, value.isFinite, value.toString());
	}
	if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue) return value.items.map(toJs);
	if (value instanceof DuckDBStructValue) {
		return Object.fromEntries(Object.entries(value.entries).map(([k, v]) => [k, toJs(v)]));
	}
	if (value instanceof DuckDBMapValue) return value.entries.map((e) => ({ key: toJs(e.key), value: toJs(e.value) }));
	if (value instanceof DuckDBBlobValue) return value.bytes;
	return value.toString(); // TIME, UUID, INTERVAL, BIT, ...
}

function excerpt(sql: string): string {
	const flat = sql.replace(/\s+/g, " ").trim();
	return flat.length > 200 ? `${flat.slice(0, 200)}...` : flat;
}

/** Opens DuckDB with one connection; the engine's calls share it. */
export async function createDuckdbEngine(options: DuckdbEngineOptions = {}): Promise<TransformEngine> {
	const config: Record<string, string> = {};
	if (options.threads !== undefined) config.threads = String(options.threads);
	if (options.memoryLimit !== undefined) config.memory_limit = options.memoryLimit;
	if (options.tempDirectory !== undefined) config.temp_directory = options.tempDirectory;
	const path = options.path ?? ":memory:";
	const instance = await DuckDBInstance.create(path, config);
	let connection: DuckDBConnection | null = await instance.connect();

	async function guarded<T>(sql: string, work: (c: DuckDBConnection) => Promise<T>): Promise<T> {
		if (connection === null) throw new AdapterError("DuckDB engine is closed", { context: { engine: "duckdb", path } });
		try {
			return await work(connection);
		} catch (error) {
			// DuckDB's errors (parser, binder, catalog, conversion, a missing
			// file) fail the same way again; none is worth retrying.
			throw new AdapterError(`DuckDB: ${error instanceof Error ? error.message : String(error)}`, {
				cause: error,
				retriable: false,
				context: { engine: "duckdb", path, sql: excerpt(sql) },
			});
		}
	}

	return {
		async run(sql: string, params?: SqlValue[]) {
			// With parameters DuckDB prepares the statement and binds $1..$n;
			// without, it runs every statement in the text in order.
			await guarded(sql, (c) => c.run(sql, params));
		},
		async all<T = Record<string, unknown>>(sql: string, params?: SqlValue[]) {
			const reader = await guarded(sql, (c) => c.runAndReadAll(sql, params));
			return reader.getRowObjects().map((row) => {
				const out: Record<string, unknown> = {};
				for (const [name, value] of Object.entries(row)) out[name] = toJs(value);
				return out as T;
			});
		},
		async close() {
			connection?.closeSync();
			connection = null;
			instance.closeSync();
		},
	};
}
