import { afterAll, beforeAll, expect, test } from "bun:test";
import { openTestLake, sharedColumns, type TestLake } from "../../test/support/lake.ts";
import { testNamespace } from "../../test/support/namespace.ts";
import { maintainLayer } from "./maintenance.ts";

const ns = testNamespace("maintenance");
let t: TestLake;
beforeAll(async () => {
	t = await openTestLake({ dir: ns.dir, id: ns.id });
});
afterAll(async () => {
	await t.close();
	ns.cleanup();
});

// An hour from the real now: snapshot timestamps are real, so every snapshot this test makes, the pass's
// own included, is older than the pass (a fixed date here stopped expiring anything once the clock passed it).
const NOW = Date.now() + 3_600_000;
const DAY = 86_400_000;
const dayBefore = (days: number) => new Date(NOW - days * DAY).toISOString().slice(0, 10);

test("a maintenance pass applies each layer's retention, compacts, expires snapshots and removes their files", async () => {
	const bronze = await t.lake.createTable({
		layer: "bronze",
		name: "events",
		columns: sharedColumns,
		partitionBy: { org: "org_id", date: "report_date" },
	});
	const silver = await t.lake.createTable({
		layer: "silver",
		name: "events",
		columns: sharedColumns,
		partitionBy: { org: "org_id", date: "report_date" },
	});
	const rows = (days: number, n: number) =>
		Array.from({ length: n }, (_, i) => ({
			org_id: "acme",
			report_date: dayBefore(days),
			row_id: `${days}-${i}`,
			writer: 1,
		}));
	for (const table of [bronze, silver]) {
		// Several small commits into one recent partition: compaction material.
		for (let i = 0; i < 8; i++) await table.append({ rows: rows(1, 1).map((r) => ({ ...r, row_id: `c${i}` })) });
		await table.append({ rows: [...rows(100, 3), ...rows(400, 2)] });
	}
	const bronzeReports = await maintainLayer(t.lake, "bronze", {
		nowMs: NOW,
		snapshotMaxAgeMs: 0,
		retainSnapshots: 1,
		orphanMinAgeMs: 0,
	});
	const silverReports = await maintainLayer(t.lake, "silver", {
		nowMs: NOW,
		snapshotMaxAgeMs: 0,
		retainSnapshots: 1,
		orphanMinAgeMs: 0,
	});
	expect(bronzeReports).toEqual([
		expect.objectContaining({ table: "bronze.events", ok: true, partitionsCompacted: 1 }),
	]);
	expect(silverReports).toEqual([
		expect.objectContaining({ table: "silver.events", ok: true, partitionsCompacted: 1 }),
	]);
	expect(bronzeReports[0]?.filesExpired).toBeGreaterThan(0);

	const days = async (table: typeof bronze) =>
		(
			await table.query<{ report_date: string; n: bigint }>({
				select: "report_date, count(*) AS n",
				tail: "GROUP BY report_date ORDER BY report_date",
			})
		).map((r) => [r.report_date, Number(r.n)]);
	// Bronze keeps 90 days: the 100- and 400-day-old partitions are gone. Silver keeps a year: only the 400-day one.
	expect(await days(bronze)).toEqual([[dayBefore(1), 8]]);
	expect(await days(silver)).toEqual([
		[dayBefore(100), 3],
		[dayBefore(1), 8],
	]);
	expect((await bronze.planScan()).files).toHaveLength(1);
	expect(await bronze.history()).toHaveLength(1);
});
