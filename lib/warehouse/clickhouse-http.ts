/**
 * The Warehouse on a ClickHouse server over its HTTP interface, through
 * @clickhouse/client. The only file that imports @clickhouse/client.
 */
import { randomUUID } from "node:crypto";
import { type ClickHouseClient, ClickHouseLogLevel, createClient } from "@clickhouse/client";
import {
	assertDatabaseName,
	assertTableName,
	CLICKHOUSE_SETTINGS,
	INSERT_BATCH_ROWS,
	stringifyRow,
	toWarehouseError,
	type WarehouseErrorContext,
} from "./clickhouse-common.ts";
import type { Warehouse, WarehouseCallOptions } from "./port.ts";

export interface ClickhouseHttpWarehouseOptions {
	/** Server URL, e.g. http://localhost:8123; no default. */
	url: string;
	/** Database every unqualified name resolves to; created if missing. */
	database: string;
	/** Default: the client's default user ("default"). */
	username?: string;
	password?: string;
	/** Per-request timeout in ms; default 30000 (the client's). */
	requestTimeoutMs?: number;
}

function openClient(options: ClickhouseHttpWarehouseOptions, database: string): ClickHouseClient {
	return createClient({
		url: options.url,
		database,
		username: options.username,
		password: options.password,
		request_timeout: options.requestTimeoutMs,
		application: "pacer",
		clickhouse_settings: { ...CLICKHOUSE_SETTINGS },
		// Insert bodies are the bulk of the traffic and JSON lines compress well:
		// gzip them. Responses stay plain: query results here are aggregates,
		// small enough that gzip's CPU on both ends would cost more than it saves.
		compression: { request: true, response: false },
		// Rows are encoded like the chDB adapter's (bigints as exact digits);
		// plain JSON.stringify throws on a bigint.
		json: { stringify: stringifyRow },
		// Failures reach the caller as AdapterErrors with the query id; the
		// client's own error log would report each one twice.
		log: { level: ClickHouseLogLevel.OFF },
	});
}

/** A Warehouse on a ClickHouse server; creates the database when missing. */
export async function createClickhouseHttpWarehouse(options: ClickhouseHttpWarehouseOptions): Promise<Warehouse> {
	const database = assertDatabaseName(options.database);
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
			// Without a ClickHouse code the failure is the network's: refused or
			// reset connections, timeouts, a proxy's 5xx page. Those can pass.
			throw toWarehouseError(error, {
				adapter: "clickhouse-http",
				operation,
				queryId,
				sql,
				retriableWithoutCode: true,
			});
		}
	}

	// The database may not exist yet, so it is created from "default".
	const bootstrap = openClient(options, "default");
	const bootstrapSql = `CREATE DATABASE IF NOT EXISTS ${database}`;
	const bootstrapId = randomUUID();
	try {
		await call("command", bootstrapSql, bootstrapId, () =>
			bootstrap.command({ query: bootstrapSql, query_id: bootstrapId }),
		);
	} finally {
		await bootstrap.close();
	}

	const client = openClient(options, database);
	const common = (options: WarehouseCallOptions | undefined, queryId: string) => ({
		query_id: queryId,
		query_params: options?.params,
		abort_signal: options?.signal,
	});

	return {
		database,
		async command(sql, options) {
			const queryId = options?.queryId ?? randomUUID();
			await call("command", sql, queryId, () => client.command({ query: sql, ...common(options, queryId) }));
			return { queryId };
		},
		async query<T>(sql: string, options?: WarehouseCallOptions) {
			const queryId = options?.queryId ?? randomUUID();
			const rows = await call("query", sql, queryId, async () => {
				const result = await client.query({ query: sql, format: "JSONEachRow", ...common(options, queryId) });
				return result.json<T>();
			});
			return { queryId, rows };
		},
		async insert(table, rows, options) {
			const queryId = options?.queryId ?? randomUUID();
			const target = assertTableName(table);
			// Batches of rows as arrays: the client encodes each into one body.
			// (An object-mode stream of rows, one INSERT for everything, measured
			// ~10x slower with gzip: each row became its own compressed write.)
			// Batches are separate INSERTs, as in the chDB adapter: a failure can
			// leave earlier batches written, so inserts must be idempotent.
			const sql = `INSERT INTO ${target} FORMAT JSONEachRow`;
			for (let from = 0; from < rows.length; from += INSERT_BATCH_ROWS) {
				const values = rows.slice(from, from + INSERT_BATCH_ROWS);
				await call("insert", sql, queryId, () =>
					client.insert({
						table: target,
						values,
						format: "JSONEachRow",
						query_id: queryId,
						abort_signal: options?.signal,
					}),
				);
			}
			return { queryId };
		},
		async close() {
			if (closed) return;
			closed = true;
			await client.close();
		},
	};
}
