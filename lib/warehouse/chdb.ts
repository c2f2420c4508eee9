/**
 * The Warehouse on chDB: ClickHouse's engine inside this process, on a local
 * data directory. The only file that imports `chdb`.
 *
 * chDB binds one data directory per process (opening another while one is
 * live throws), so a process holds one warehouse at a time. Its
 * `queryAsync`/`insert` calls run on libuv's pool, not on the event loop; the
 * older synchronous `query()` would block the loop for the whole query, so it
 * is never used here. The library is imported lazily: code that only
 * references this module (through the warehouse index) in a process that talks
 * to a ClickHouse server never loads chDB's ~500 MB native library.
 */
import { randomUUID } from "node:crypto";
import type { Session } from "chdb";
import {
	assertDatabaseName,
	assertTableName,
	CLICKHOUSE_SETTINGS,
	decodeJsonEachRow,
	encodeJsonEachRow,
	INSERT_BATCH_ROWS,
	toWarehouseError,
	type WarehouseErrorContext,
} from "./clickhouse-common.ts";
import type { Warehouse, WarehouseCallOptions } from "./port.ts";

type SettingValue = string | number | boolean;

export interface ChdbWarehouseOptions {
	/** Data directory of the chDB session (created if missing); no default. */
	path: string;
	/** Database every unqualified name resolves to; created if missing. */
	database: string;
}

export interface ChdbExecuteOptions {
	queryId: string;
	/** Output format when the SQL has no FORMAT clause, e.g. "JSONEachRow". */
	format: string;
	/** Runs `USE database` first when given. */
	database?: string;
	/** `{name:Type}` values, bound by the engine (never spliced into the SQL). */
	params?: Record<string, unknown>;
	settings?: Record<string, SettingValue>;
	signal?: AbortSignal;
}

export interface ChdbInsertOptions {
	queryId: string;
	format: "JSONEachRow" | "JSONCompactEachRow" | "CSV" | "CSVWithNames" | "TSV" | "TSVWithNames";
	columns?: string[];
	settings?: Record<string, SettingValue>;
	signal?: AbortSignal;
}

/**
 * One chDB session with its calls run one at a time. Exported for the test
 * HTTP endpoint (test/support), which serves it as a ClickHouse server; the
 * product uses the Warehouse below. Errors are chDB's own (with
 * `clickhouseCode` and ClickHouse's message).
 */
export interface ChdbEngine {
	execute(sql: string, options: ChdbExecuteOptions): Promise<{ text: string; rowsRead: number; bytesRead: number }>;
	insertRaw(
		table: string,
		data: string | Uint8Array,
		options: ChdbInsertOptions,
	): Promise<{ rowsWritten: number; bytesWritten: number }>;
	close(): Promise<void>;
}

const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function settingLiteral(value: SettingValue): string {
	if (typeof value === "number") return String(value);
	if (typeof value === "boolean") return value ? "1" : "0";
	return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

// chDB runs a session's statements in one connection whose SET and USE stick,
// so each call states its database and settings up front. log_comment carries
// the query id: chDB has no per-query query_id, and log_comment is what
// system.query_log would show if a chDB config enabled it.
function preamble(options: ChdbExecuteOptions): string {
	const settings = { ...options.settings, log_comment: options.queryId };
	const assignments = Object.entries(settings).map(([name, value]) => {
		if (!SETTING_NAME.test(name)) throw new Error(`Invalid setting name: ${JSON.stringify(name)}`);
		return `${name} = ${settingLiteral(value)}`;
	});
	const use = options.database === undefined ? "" : `USE ${assertDatabaseName(options.database)}; `;
	return `${use}SET ${assignments.join(", ")}; `;
}

/** Opens a chDB session on `path` with engine-wide `settings` (given at connect). */
export async function openChdbEngine(options: {
	path: string;
	settings?: Record<string, SettingValue>;
}): Promise<ChdbEngine> {
	const chdb = await import("chdb");
	// A session closed elsewhere in this process may still be finishing native
	// work; chDB refuses a new data directory until it has.
	await chdb.drainPending();
	const connectionArgs = Object.entries(options.settings ?? {}).map(
		([name, value]) => `--${name}=${typeof value === "boolean" ? Number(value) : value}`,
	);
	let session: Session | null = new chdb.Session(options.path, { connectionArgs });
	let tail: Promise<unknown> = Promise.resolve();

	function serial<T>(work: (s: Session) => Promise<T>): Promise<T> {
		const run = tail.then(() => {
			if (session === null) throw new Error("chDB session is closed");
			return work(session);
		});
		tail = run.catch(() => undefined);
		return run;
	}

	return {
		execute: (sql, opts) =>
			serial(async (s) => {
				opts.signal?.throwIfAborted();
				const full = preamble(opts) + sql;
				const queryOptions = { format: opts.format, signal: opts.signal };
				const result = opts.params
					? await s.queryBindAsync(full, opts.params, queryOptions)
					: await s.queryAsync(full, queryOptions);
				return { text: result.text(), rowsRead: result.rowsRead, bytesRead: result.bytesRead };
			}),
		insertRaw: (table, data, opts) =>
			serial(async (s) => {
				opts.signal?.throwIfAborted();
				const summary = await s.insert({
					table,
					values: data,
					format: opts.format,
					columns: opts.columns,
					settings: { ...opts.settings, log_comment: opts.queryId },
					signal: opts.signal,
				});
				return { rowsWritten: summary.rowsWritten, bytesWritten: summary.bytesWritten };
			}),
		close: async () => {
			await tail;
			session?.close();
			session = null;
			await chdb.drainPending();
		},
	};
}

// @clickhouse/client sends a top-level Date as Unix seconds and a boolean as
// 1/0; chDB's binder would send 'YYYY-MM-DD hh:mm:ss' and true/false. Sending
// the client's form here makes the same SQL and values behave alike on both.
function asClientParams(params: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
	if (params === undefined || Object.keys(params).length === 0) return undefined;
	const out: Record<string, unknown> = {};
	for (const [name, value] of Object.entries(params)) {
		if (value instanceof Date) {
			const ms = value.getTime();
			out[name] = ms % 1000 === 0 ? String(ms / 1000) : (ms / 1000).toFixed(3);
		} else out[name] = typeof value === "boolean" ? Number(value) : value;
	}
	return out;
}

/** A Warehouse on chDB; creates the database when missing. */
export async function createChdbWarehouse(options: ChdbWarehouseOptions): Promise<Warehouse> {
	const database = assertDatabaseName(options.database);
	const engine = await openChdbEngine({ path: options.path, settings: CLICKHOUSE_SETTINGS });
	let closed = false;

	async function call<T>(
		operation: WarehouseErrorContext["operation"],
		sql: string,
		queryId: string,
		work: () => Promise<T>,
	): Promise<T> {
		try {
			return await work();
		} catch (error) {
			throw toWarehouseError(error, { adapter: "chdb", operation, queryId, sql, retriableWithoutCode: false });
		}
	}

	const bootstrapSql = `CREATE DATABASE IF NOT EXISTS ${database}`;
	const bootstrapId = randomUUID();
	try {
		await call("command", bootstrapSql, bootstrapId, () =>
			engine.execute(bootstrapSql, { queryId: bootstrapId, format: "TabSeparated" }),
		);
	} catch (error) {
		await engine.close();
		throw error;
	}

	const run = (sql: string, format: string, options: WarehouseCallOptions | undefined, queryId: string) =>
		engine.execute(sql, {
			queryId,
			format,
			database,
			params: asClientParams(options?.params),
			signal: options?.signal,
		});

	return {
		database,
		async command(sql, options) {
			const queryId = options?.queryId ?? randomUUID();
			await call("command", sql, queryId, () => run(sql, "TabSeparated", options, queryId));
			return { queryId };
		},
		async query<T>(sql: string, options?: WarehouseCallOptions) {
			const queryId = options?.queryId ?? randomUUID();
			const result = await call("query", sql, queryId, () => run(sql, "JSONEachRow", options, queryId));
			return { queryId, rows: decodeJsonEachRow<T>(result.text) };
		},
		async insert(table, rows, options) {
			const queryId = options?.queryId ?? randomUUID();
			const target = assertTableName(table).includes(".") ? table : `${database}.${table}`;
			const sql = `INSERT INTO ${target} FORMAT JSONEachRow`;
			// Batches are separate INSERTs: a failure can leave earlier batches
			// written, so inserts must be idempotent (ReplacingMergeTree + FINAL).
			for (let from = 0; from < rows.length; from += INSERT_BATCH_ROWS) {
				const data = encodeJsonEachRow(rows, from, Math.min(rows.length, from + INSERT_BATCH_ROWS));
				await call("insert", sql, queryId, () =>
					engine.insertRaw(target, data, { queryId, format: "JSONEachRow", signal: options?.signal }),
				);
			}
			return { queryId };
		},
		async close() {
			if (closed) return;
			closed = true;
			await engine.close();
		},
	};
}
