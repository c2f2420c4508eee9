/**
 * `bun run sql:plan`: a transform edited in a temporary project (its own git
 * repository) is planned against a real lake; the diff names exactly the
 * rows the edit changes, per org/date partition.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BRONZE_RAW_RECORDS } from "../lib/pipeline/bronze-tables.ts";
import { createWorld, DSP_SOURCES } from "../simulators/world.ts";
import { openTestLake, type TestLake } from "../test/support/lake.ts";
import { testNamespace } from "../test/support/namespace.ts";
import { bronzeDeliveryRows } from "../workers/silver/test-bronze.ts";
import { committedText, planModel } from "./sql.ts";

const ORG = "acme";
const WINDOW = { from: "2026-03-02", to: "2026-03-03" };
const RESTATED = "2026-03-03";
const world = createWorld({
	orgs: [{ id: ORG, name: "Acme", currency: "USD", timezone: "UTC" }],
	start: "2026-03-01",
	days: 30,
	advertisersPerSource: 1,
	campaignsPerAdvertiser: 1,
	lineItemsPerCampaign: 2,
});

const ns = testNamespace("sql-plan");
let run: TestLake;
const project = join(ns.dir, "project");
const model = join(project, "sql", "silver", "delivery_daily.sql");

const git = (...args: string[]) => {
	const result = Bun.spawnSync(["git", "-c", "user.name=test", "-c", "user.email=test@example.com", ...args], {
		cwd: project,
	});
	if (result.exitCode !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr.toString()}`);
};

beforeAll(async () => {
	mkdirSync(join(project, "sql"), { recursive: true });
	cpSync(join(import.meta.dir, "../sql/silver"), join(project, "sql", "silver"), { recursive: true });
	git("init", "-q");
	git("add", ".");
	git("commit", "-q", "-m", "silver models");
	run = await openTestLake({ dir: ns.dir, id: ns.id });
	const bronze = await run.lake.createTable(BRONZE_RAW_RECORDS);
	for (const source of DSP_SOURCES)
		await bronze.append({
			rows: bronzeDeliveryRows(world, ORG, source, WINDOW, {
				requestId: `${source}-1`,
				fetchedAt: "2026-03-04T06:00:00Z",
			}),
		});
	world.restate(ORG, "meta", RESTATED);
	await bronze.append({
		rows: bronzeDeliveryRows(
			world,
			ORG,
			"meta",
			{ from: RESTATED, to: RESTATED },
			{
				requestId: "meta-2",
				fetchedAt: "2026-03-05T06:00:00Z",
			},
		),
	});
});
afterAll(async () => {
	await run?.close();
	ns.cleanup();
});

const plan = (filter = {}) =>
	planModel({
		file: model,
		committed: committedText(model),
		lake: run.lake,
		engine: run.engine,
		filter,
	});

describe("sql:plan", () => {
	test("an unchanged model plans no change", async () => {
		const { diff, text } = await plan();
		expect(diff.totals).toEqual({ added: 0, removed: 0, changed: 0, unchanged: diff.totals.unchanged });
		expect(diff.totals.unchanged).toBe(DSP_SOURCES.length * 2 * 2);
		expect(text).toBe(`total: 0 added, 0 removed, 0 changed, ${diff.totals.unchanged} unchanged`);
	});

	test("'earliest fetch wins' changes exactly the restated rows, in their partition, with the columns that differ", async () => {
		const original = readFileSync(model, "utf8");
		writeFileSync(model, original.replace("ORDER BY fetched_at DESC", "ORDER BY fetched_at ASC"));
		const restated = world.deliveryFor(ORG, "meta", { from: RESTATED, to: RESTATED }).length;
		const { diff, text } = await plan();
		expect(diff.totals).toEqual({
			added: 0,
			removed: 0,
			changed: restated,
			unchanged: DSP_SOURCES.length * 4 - restated,
		});
		const changed = diff.partitions.filter((p) => p.changed > 0);
		expect(changed.map((p) => p.partition)).toEqual([`org_id=${ORG}/report_date=${RESTATED}`]);
		expect(text).toContain(`org_id=${ORG}/report_date=${RESTATED}: +0 -0 ~${restated}`);
		expect(text).toMatch(/request_id meta-2 -> meta-1/);
		expect(text).toMatch(/impressions \d+ -> \d+/);
	});

	test("excluding a source shows its rows as removed; a window limits the plan to its partitions", async () => {
		const original = committedText(model) ?? "";
		writeFileSync(model, original.replace("WHERE fetch_rank = 1", "WHERE fetch_rank = 1 AND source <> 'ttd'"));
		const { diff } = await plan({ dateFrom: WINDOW.from, dateTo: WINDOW.from });
		expect(diff.totals).toEqual({ added: 0, removed: 2, changed: 0, unchanged: 4 });
	});
});
