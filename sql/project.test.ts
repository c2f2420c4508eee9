/**
 * `npm test` runs every model's given/expect cases and data tests, the same
 * as `bun run sql:test`, so a transform change that breaks its own tests
 * fails CI.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createDuckdbEngine } from "../lib/engine/duckdb.ts";
import type { TransformEngine } from "../lib/engine/port.ts";
import { clickhouseSqlEngine, duckdbSqlEngine, type SqlEngine } from "../lib/sql/engine.ts";
import { loadProject } from "../lib/sql/project.ts";
import { testProject } from "../lib/sql/test-runner.ts";
import type { Warehouse } from "../lib/warehouse/port.ts";
import { testNamespace } from "../test/support/namespace.ts";

const ns = testNamespace("sql-project");
const opened: (TransformEngine | Warehouse)[] = [];
afterAll(async () => {
	for (const o of opened) await o.close();
	ns.cleanup();
});

// One engine per dialect for the whole file: chDB allows one session per process.
const engines = new Map<"duckdb" | "clickhouse", SqlEngine>();
async function engineFor(dialect: "duckdb" | "clickhouse"): Promise<SqlEngine> {
	let engine = engines.get(dialect);
	if (!engine) {
		if (dialect === "duckdb") {
			const duck = await createDuckdbEngine();
			opened.push(duck);
			engine = duckdbSqlEngine(duck);
		} else {
			const { createChdbWarehouse } = await import("../lib/warehouse/chdb.ts");
			const warehouse = await createChdbWarehouse({ path: join(ns.dir, "chdb"), database: "sql_test" });
			opened.push(warehouse);
			engine = clickhouseSqlEngine(warehouse);
		}
		engines.set(dialect, engine);
	}
	return engine;
}

const sources = JSON.parse(readFileSync(join(import.meta.dir, "sources.json"), "utf8")) as string[];
const project = loadProject(import.meta.dir, { sources });

describe("sql/ models", () => {
	test("the project loads: headers, inputs, one file per output, no cycles", () => {
		expect(project.order.length).toBe(project.models.length);
	});

	for (const model of project.order) {
		test(`${model.name}: cases and data tests pass`, async () => {
			const results = await testProject(project, engineFor, (m) => m.name === model.name);
			expect(results.filter((r) => !r.ok)).toEqual([]);
		});
	}
});
