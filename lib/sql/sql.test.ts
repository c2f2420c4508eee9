import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { testNamespace } from "../../test/support/namespace.ts";
import { createDuckdbEngine } from "../engine/duckdb.ts";
import type { TransformEngine } from "../engine/port.ts";
import { createChdbWarehouse } from "../warehouse/chdb.ts";
import type { Warehouse } from "../warehouse/port.ts";
import { clickhouseSqlEngine, duckdbSqlEngine } from "./engine.ts";
import { describeLineage } from "./lineage.ts";
import { parseModel, referencedRelations } from "./model.ts";
import { loadProject } from "./project.ts";
import { testProject } from "./test-runner.ts";

const ns = testNamespace("sql");
let duck: TransformEngine;
let warehouse: Warehouse;
beforeAll(async () => {
	duck = await createDuckdbEngine();
	warehouse = await createChdbWarehouse({ path: join(ns.dir, "chdb"), database: "sqltest" });
});
afterAll(async () => {
	await duck.close();
	await warehouse.close();
	ns.cleanup();
});

const header = (name: string, engine: string, inputs: string, extra = "") =>
	`-- model: ${name}\n-- engine: ${engine}\n-- inputs: ${inputs}\n-- grain: one row per org and date\n-- version: 1\n${extra}\n`;

const silver = `${header("silver.daily", "duckdb", "bronze.pages", "-- tests: unique(org_id, date), not_null(org_id), expression(impressions >= 0)\n")}
-- impressions: text cast to BIGINT, missing = 0
SELECT org_id, CAST(date AS DATE) AS date, sum(COALESCE(TRY_CAST(impressions AS BIGINT), 0)) AS impressions
FROM bronze.pages -- 'gold.not_a_read' in a comment is ignored
WHERE org_id <> 'silver.nothing'
GROUP BY org_id, date`;
const gold = `${header("gold.agg_org", "clickhouse", "silver.daily")}SELECT org_id, sum(impressions) AS impressions FROM silver.daily GROUP BY org_id`;

function project(files: Record<string, string>): string {
	const root = join(ns.dir, `p${Math.random().toString(36).slice(2, 8)}`);
	for (const [path, text] of Object.entries(files)) {
		mkdirSync(join(root, path, ".."), { recursive: true });
		writeFileSync(join(root, path), text);
	}
	return root;
}

const silverCases = (expectImpressions: number) =>
	JSON.stringify([
		{
			name: "sums by org and day; bad numbers count as 0",
			given: {
				"bronze.pages": {
					columns: { org_id: "VARCHAR", date: "VARCHAR", impressions: "VARCHAR" },
					rows: [
						{ org_id: "a", date: "2026-11-01", impressions: "10" },
						{ org_id: "a", date: "2026-11-01", impressions: "x" },
						{ org_id: "a", date: "2026-11-02", impressions: "5" },
					],
				},
			},
			expect: {
				rows: [
					{ org_id: "a", date: "2026-11-01", impressions: expectImpressions },
					{ org_id: "a", date: "2026-11-02", impressions: 5 },
				],
			},
		},
	]);

describe("SQL runner", () => {
	test("headers parse into a model with a file version; references skip comments and strings", () => {
		const model = parseModel("sql/silver/daily.sql", silver);
		expect(model).toMatchObject({
			name: "silver.daily",
			layer: "silver",
			engine: "duckdb",
			inputs: ["bronze.pages"],
			version: 1,
		});
		expect(model.tests).toEqual(["unique(org_id, date)", "not_null(org_id)", "expression(impressions >= 0)"]);
		expect(model.fileVersion).toMatch(/^v1\+[0-9a-f]{12}$/);
		expect(referencedRelations(model.body)).toEqual(["bronze.pages"]);
	});

	test("every header problem is reported at once with the file", () => {
		expect(() =>
			parseModel("x.sql", "-- model: silver.Bad\n-- engine: clickhouse\n-- colour: red\nDELETE FROM x"),
		).toThrow(/x\.sql:[\s\S]*colour[\s\S]*model "silver\.Bad"[\s\S]*inputs[\s\S]*grain[\s\S]*version[\s\S]*one SELECT/);
	});

	test("a project orders models by their inputs and prints lineage", () => {
		const root = project({ "silver/daily.sql": silver, "gold/agg_org.sql": gold });
		const loaded = loadProject(root, { sources: ["bronze.pages"] });
		expect(loaded.order.map((m) => m.name)).toEqual(["silver.daily", "gold.agg_org"]);
		const lineage = describeLineage(loaded, "silver.daily");
		expect(lineage).toContain("bronze.pages  (source)");
		expect(lineage).toContain("gold.agg_org");
	});

	test("undeclared reads, unused inputs, unknown inputs, two files for one output and cycles are rejected together", () => {
		const sneaky = `${header("silver.sneaky", "duckdb", "bronze.pages, silver.daily")}SELECT * FROM bronze.pages JOIN bronze.secret USING (org_id)`;
		const twin = silver;
		const a = `${header("silver.a", "duckdb", "silver.b")}SELECT * FROM silver.b`;
		const b = `${header("silver.b", "duckdb", "silver.a")}SELECT * FROM silver.a`;
		const ghost = `${header("silver.ghost", "duckdb", "bronze.ghost")}SELECT * FROM bronze.ghost`;
		const root = project({
			"silver/daily.sql": silver,
			"silver/twin.sql": twin,
			"silver/sneaky.sql": sneaky,
			"silver/ghost.sql": ghost,
		});
		let message = "";
		try {
			loadProject(root, { sources: ["bronze.pages"] });
		} catch (error) {
			message = (error as Error).message;
		}
		expect(message).toContain("output silver.daily is already produced by");
		expect(message).toContain("reads bronze.secret not declared");
		expect(message).toContain("declares inputs it never reads: silver.daily");
		expect(message).toContain("input bronze.ghost is neither a model nor a source relation");
		expect(() => loadProject(project({ "silver/a.sql": a, "silver/b.sql": b }))).toThrow(
			/cycle: silver\.(a|b) -> silver\.(a|b) -> silver\.(a|b)/,
		);
	});

	test("given/expect cases and data tests run on DuckDB and on ClickHouse (chDB), and failures are reported, not thrown", async () => {
		const goldCases = JSON.stringify([
			{
				name: "one row per org",
				given: {
					"silver.daily": {
						columns: { org_id: "String", impressions: "Int64" },
						rows: [
							{ org_id: "a", impressions: 3 },
							{ org_id: "a", impressions: 4 },
						],
					},
				},
				expect: { rows: [{ org_id: "a", impressions: 7 }] },
			},
		]);
		const root = project({
			"silver/daily.sql": silver,
			"silver/daily.cases.json": silverCases(10),
			"silver/daily.assert.sql": "-- no future dates\nSELECT * FROM silver.daily WHERE date > DATE '2030-01-01';",
			"gold/agg_org.sql": gold,
			"gold/agg_org.cases.json": goldCases,
		});
		const engines = { duckdb: duckdbSqlEngine(duck), clickhouse: clickhouseSqlEngine(warehouse) };
		const results = await testProject(loadProject(root, { sources: ["bronze.pages"] }), async (d) => engines[d]);
		expect(results.filter((r) => !r.ok)).toEqual([]);
		expect(results.map((r) => `${r.model} :: ${r.test}`)).toEqual([
			"silver.daily :: case: sums by org and day; bad numbers count as 0",
			"silver.daily :: unique(org_id, date) (on case: sums by org and day; bad numbers count as 0)",
			"silver.daily :: not_null(org_id) (on case: sums by org and day; bad numbers count as 0)",
			"silver.daily :: expression(impressions >= 0) (on case: sums by org and day; bad numbers count as 0)",
			"silver.daily :: no future dates (on case: sums by org and day; bad numbers count as 0)",
			"gold.agg_org :: case: one row per org",
		]);

		const wrong = project({ "silver/daily.sql": silver, "silver/daily.cases.json": silverCases(11) });
		const failed = await testProject(loadProject(wrong, { sources: ["bronze.pages"] }), async (d) => engines[d]);
		const caseResult = failed.find((r) => r.test.startsWith("case:"));
		expect(caseResult?.ok).toBe(false);
		expect(caseResult?.detail).toContain('expected {"org_id":"a","date":"2026-11-01","impressions":"11"}');

		const dupes = `${header("silver.dupes", "duckdb", "bronze.pages", "-- tests: unique(org_id)\n")}SELECT org_id FROM bronze.pages`;
		const dupesCases = JSON.stringify([
			{
				name: "two rows",
				given: { "bronze.pages": { columns: { org_id: "VARCHAR" }, rows: [{ org_id: "a" }, { org_id: "a" }] } },
				expect: { rows: [{ org_id: "a" }, { org_id: "a" }] },
			},
		]);
		const dupResults = await testProject(
			loadProject(project({ "silver/dupes.sql": dupes, "silver/dupes.cases.json": dupesCases }), {
				sources: ["bronze.pages"],
			}),
			async (d) => engines[d],
		);
		expect(dupResults.find((r) => r.test.startsWith("unique"))).toMatchObject({
			ok: false,
			detail: expect.stringContaining("1 failing rows"),
		});
		const none = await testProject(
			loadProject(project({ "silver/dupes.sql": dupes }), { sources: ["bronze.pages"] }),
			async (d) => engines[d],
		);
		expect(none).toEqual([
			{ model: "silver.dupes", test: "cases", ok: false, detail: expect.stringContaining("no given/expect cases") },
		]);
	});
});
