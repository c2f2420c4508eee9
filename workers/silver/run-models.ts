/**
 * Runs SQL models in a private DuckDB catalog: every run attaches its own
 * in-memory database and rewrites the models' logical names
 * (`bronze.raw_records`) to names inside it (`run_x.bronze.raw_records`), so
 * two runs, or the bronze and silver workers sharing one engine in `npm
 * start`, never read or replace each other's relations.
 */
import { randomUUID } from "node:crypto";
import type { TransformEngine } from "../../lib/engine/port.ts";
import type { Lake, PartitionFilter } from "../../lib/lake/index.ts";
import type { Model } from "../../lib/sql/index.ts";

export interface ModelRun {
	/** The physical name of a logical relation in this run's catalog. */
	name(logical: string): string;
	/** Creates a relation from a SELECT over this run's relations (names already physical). */
	create(logical: string, select: string): Promise<void>;
	/** Creates a view (read again by every query of it) over this run's relations or files. */
	createView(logical: string, select: string): Promise<void>;
	/** Materialises a model's body as its output relation. */
	materialise(model: Model): Promise<void>;
	/** Detaches the catalog, dropping every relation of the run. */
	close(): Promise<void>;
}

const LOGICAL = /\b(bronze|silver|gold)\.([a-z][a-z0-9_]*)\b/gi;

/** Rewrites logical names outside string literals, quoted identifiers and comments. */
export function qualifyNames(sql: string, catalog: string): string {
	const parts = sql.split(/('(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\/\*[\s\S]*?\*\/)/);
	return parts
		.map((part, i) => (i % 2 === 1 ? part : part.replace(LOGICAL, (_, layer, rel) => `${catalog}.${layer}.${rel}`)))
		.join("");
}

export async function openModelRun(engine: TransformEngine): Promise<ModelRun> {
	const catalog = `run_${randomUUID().replaceAll("-", "")}`;
	await engine.run(`ATTACH ':memory:' AS ${catalog}`);
	const schemas = new Set<string>();
	const ensureSchema = async (layer: string) => {
		if (schemas.has(layer)) return;
		await engine.run(`CREATE SCHEMA IF NOT EXISTS ${catalog}.${layer}`);
		schemas.add(layer);
	};
	const name = (logical: string) => qualifyNames(logical, catalog);
	const define = (kind: "TABLE" | "VIEW") => async (logical: string, select: string) => {
		await ensureSchema(logical.split(".")[0] ?? "main");
		await engine.run(`CREATE OR REPLACE ${kind} ${name(logical)} AS ${select}`);
	};
	const create = define("TABLE");
	return {
		name,
		create,
		createView: define("VIEW"),
		materialise: (model) => create(model.name, qualifyNames(model.body, catalog)),
		close: () => engine.run(`DETACH DATABASE IF EXISTS ${catalog}`),
	};
}

const DUCK_TYPES: Record<string, string> = {
	string: "VARCHAR",
	date: "DATE",
	int: "INTEGER",
	long: "BIGINT",
	timestamptz: "TIMESTAMPTZ",
	timestamp: "TIMESTAMP",
	float: "FLOAT",
	double: "DOUBLE",
	boolean: "BOOLEAN",
};

/** The DuckDB spelling of a lake column type (`decimal(15, 2)` → `DECIMAL(15,2)`). */
export const duckType = (type: string): string => DUCK_TYPES[type] ?? type.toUpperCase().replace(/\s/g, "");

/**
 * Copies the matching partitions of a lake table into the run as relation
 * `logical` (`<layer>.<table>`), typed as the table stores them. The engine
 * must be the lake's own: it reads the planned Parquet files directly.
 */
export async function stageFromLake(
	run: ModelRun,
	lake: Lake,
	logical: string,
	filter: PartitionFilter,
): Promise<void> {
	const [layer = "", name = ""] = logical.split(".");
	const table = await lake.loadTable(layer as "bronze" | "silver", name);
	await run.createView(logical, `SELECT * FROM ${await table.relation(filter)}`);
}
