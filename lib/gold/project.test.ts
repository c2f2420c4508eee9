/**
 * Every gold model's given/expect cases and data tests on chDB, with the
 * silver tables as declared sources (sql/project.test.ts runs the same
 * cases as part of the whole sql/ project).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { testNamespace } from "../../test/support/namespace.ts";
import { clickhouseSqlEngine, type SqlEngine, testProject } from "../sql/index.ts";
import { createChdbWarehouse } from "../warehouse/chdb.ts";
import type { Warehouse } from "../warehouse/port.ts";
import { dependentsOf, isLoadModel, loadGoldProject } from "./project.ts";

const ns = testNamespace("gold-project");
let warehouse: Warehouse | undefined;
let engine: SqlEngine | undefined;
afterAll(async () => {
	await warehouse?.close();
	ns.cleanup();
});

const project = loadGoldProject();

describe("sql/gold models", () => {
	test("load models are the six silver loads; a load refreshes what reads it", () => {
		expect(
			project.models
				.filter(isLoadModel)
				.map((m) => m.relation)
				.sort(),
		).toEqual([
			"dim_bookings",
			"dim_campaigns",
			"dim_clients",
			"dim_exchange_rates",
			"dim_line_items",
			"fct_delivery_daily",
		]);
		expect(dependentsOf(project, "fct_delivery_daily")).toEqual([
			"fct_delivery_enriched",
			"agg_booking_daily",
			"agg_daily",
			"agg_monthly",
			"agg_weekly",
			"booking_pacing",
		]);
	});

	for (const model of project.order) {
		test(`${model.name}: cases and data tests pass`, async () => {
			const results = await testProject(
				project,
				async () => {
					if (!engine) {
						warehouse = await createChdbWarehouse({ path: join(ns.dir, "chdb"), database: "gold_project_test" });
						engine = clickhouseSqlEngine(warehouse);
					}
					return engine;
				},
				(m) => m.name === model.name,
			);
			expect(results.filter((r) => !r.ok)).toEqual([]);
			expect(results.length).toBeGreaterThan(0);
		});
	}
});
