import type { TransformEngine } from "../engine/port.ts";
import type { Warehouse } from "../warehouse/port.ts";
import type { Dialect } from "./model.ts";

/** What the SQL runner needs of an engine: define relations under logical names, run queries. */
export interface SqlEngine {
	readonly dialect: Dialect;
	/** Creates (replacing) `name` (`layer.relation`) with the given column types and rows. */
	defineTable(name: string, columns: Record<string, string>, rows: readonly Record<string, unknown>[]): Promise<void>;
	/** Materialises a SELECT as table `name`, replacing it. */
	materialise(name: string, select: string): Promise<void>;
	rows(sql: string): Promise<Record<string, unknown>[]>;
	drop(name: string): Promise<void>;
}

const schemaOf = (name: string) => name.split(".")[0] ?? "main";
const quoteIdent = (id: string) => `"${id.replace(/"/g, '""')}"`;

/** DuckDB: layers are schemas, relations are tables. */
export function duckdbSqlEngine(engine: TransformEngine): SqlEngine {
	return {
		dialect: "duckdb",
		async defineTable(name, columns, rows) {
			const names = Object.keys(columns);
			await engine.run(`CREATE SCHEMA IF NOT EXISTS ${schemaOf(name)}`);
			await engine.run(
				`CREATE OR REPLACE TABLE ${name} (${names.map((c) => `${quoteIdent(c)} ${columns[c]}`).join(", ")})`,
			);
			for (const row of rows) {
				const values = names.map((c) => toSqlValue(row[c]));
				await engine.run(`INSERT INTO ${name} VALUES (${names.map((_, i) => `$${i + 1}`).join(", ")})`, values);
			}
		},
		async materialise(name, select) {
			await engine.run(`CREATE SCHEMA IF NOT EXISTS ${schemaOf(name)}`);
			await engine.run(`CREATE OR REPLACE TABLE ${name} AS ${select}`);
		},
		rows: (sql) => engine.all(sql),
		drop: (name) => engine.run(`DROP TABLE IF EXISTS ${name}`),
	};
}

/** ClickHouse (chDB or a server): layers are databases, relations are Memory tables for tests and plans. */
export function clickhouseSqlEngine(warehouse: Warehouse): SqlEngine {
	return {
		dialect: "clickhouse",
		async defineTable(name, columns, rows) {
			await warehouse.command(`CREATE DATABASE IF NOT EXISTS ${schemaOf(name)}`);
			await warehouse.command(`DROP TABLE IF EXISTS ${name}`);
			const cols = Object.entries(columns).map(([c, type]) => `\`${c}\` ${type}`);
			await warehouse.command(`CREATE TABLE ${name} (${cols.join(", ")}) ENGINE = Memory`);
			if (rows.length > 0) await warehouse.insert(name, rows);
		},
		async materialise(name, select) {
			await warehouse.command(`CREATE DATABASE IF NOT EXISTS ${schemaOf(name)}`);
			await warehouse.command(`DROP TABLE IF EXISTS ${name}`);
			await warehouse.command(`CREATE TABLE ${name} ENGINE = Memory AS ${select}`);
		},
		rows: async (sql) => (await warehouse.query(sql)).rows,
		drop: async (name) => {
			await warehouse.command(`DROP TABLE IF EXISTS ${name}`);
		},
	};
}

function toSqlValue(value: unknown): string | number | bigint | boolean | null {
	if (value === undefined || value === null) return null;
	if (typeof value === "object") return JSON.stringify(value);
	return value as string | number | bigint | boolean;
}
