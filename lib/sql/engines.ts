import { join } from "node:path";
import { createDuckdbEngine } from "../engine/duckdb.ts";
import { clickhouseSqlEngine, duckdbSqlEngine, type SqlEngine } from "./engine.ts";
import type { Dialect } from "./model.ts";

/**
 * The engines that run model tests, opened on first use and shared: an
 * in-memory DuckDB, and chDB in `scratchDir` (one chDB session per process,
 * so a test run must not open a second one).
 */
export function createTestEngines(scratchDir: string): {
	engineFor(dialect: Dialect): Promise<SqlEngine>;
	close(): Promise<void>;
} {
	const opened: { close(): Promise<void> }[] = [];
	const engines = new Map<Dialect, Promise<SqlEngine>>();
	const open = async (dialect: Dialect): Promise<SqlEngine> => {
		if (dialect === "duckdb") {
			const duck = await createDuckdbEngine();
			opened.push(duck);
			return duckdbSqlEngine(duck);
		}
		const { createChdbWarehouse } = await import("../warehouse/chdb.ts");
		const warehouse = await createChdbWarehouse({ path: join(scratchDir, "chdb"), database: "sql_test" });
		opened.push(warehouse);
		return clickhouseSqlEngine(warehouse);
	};
	return {
		engineFor(dialect) {
			let engine = engines.get(dialect);
			if (!engine) {
				engine = open(dialect);
				engines.set(dialect, engine);
			}
			return engine;
		},
		async close() {
			for (const o of opened.reverse()) await o.close();
		},
	};
}
