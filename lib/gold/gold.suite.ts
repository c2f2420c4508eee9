/**
 * The gold test suite every Warehouse adapter must pass (chDB in process,
 * ClickHouse over HTTP): migrations, then the hand-computed fixture of
 * gold.fixture.ts loaded through the loader and every gold number asserted,
 * through restatement, reprocessing, duplicates and merges.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { testNamespace } from "../../test/support/namespace.ts";
import type { Warehouse } from "../warehouse/port.ts";
import {
	addDays,
	bookings,
	clients,
	deliveryFirstFetch,
	deliveryRestatements,
	exchangeRates,
	FIXTURE_ORGS,
	todayIn,
} from "./gold.fixture.ts";
import { createGoldLoader, type GoldLoader } from "./loader.ts";
import { migrateGold, readGoldMigrations } from "./migrate.ts";
import { goldResolver, resolveNames } from "./names.ts";
import { loadGoldProject } from "./project.ts";
import { dailySeriesQuery, monthlyBySourceClientQuery, orgPacingQuery, runDashboardQuery } from "./queries.ts";

export interface GoldWarehouseUnderTest {
	warehouse: Warehouse;
	stop?(): Promise<void>;
}

type Row = Record<string, unknown>;

/** Registers the suite; `open` gives a warehouse on a fresh database. */
export function goldSuite(
	name: string,
	open: (ns: { database: string; dir: string }) => Promise<GoldWarehouseUnderTest>,
) {
	describe(`gold on ${name}`, () => {
		const ns = testNamespace(`gold_${name}`);
		let under: GoldWarehouseUnderTest;
		let wh: Warehouse;
		let loader: GoldLoader;
		const t = todayIn("Europe/Berlin");
		const d = (n: number) => addDays(t, n);
		const rows = async (sql: string): Promise<Row[]> =>
			(await wh.query(resolveNames(sql, goldResolver(wh.database)))).rows;
		const one = async (sql: string): Promise<Row> => {
			const found = await rows(sql);
			expect(found.length).toBe(1);
			return found[0] as Row;
		};
		const pacing = (booking: string) => one(`SELECT * FROM gold.booking_pacing WHERE booking_id = '${booking}'`);
		const loadAll = async () => {
			await loader.load("bookings", bookings(t));
			await loader.load("clients", clients(t));
			await loader.load("exchange_rates", exchangeRates(t));
			await loader.load("delivery_daily", deliveryFirstFetch(t));
			await refresh();
		};
		const refresh = async () => {
			for (const org of FIXTURE_ORGS) await loader.refresh(org.orgId);
		};

		beforeAll(async () => {
			under = await open({ database: ns.id, dir: ns.dir });
			wh = under.warehouse;
			const migrated = await migrateGold(wh);
			if (migrated.error) throw migrated.error;
			loader = createGoldLoader({ warehouse: wh, project: loadGoldProject() });
			await loader.deployViews();
			await loader.upsertOrgs(FIXTURE_ORGS);
			await loadAll();
		});

		afterAll(async () => {
			try {
				await wh?.command(`DROP DATABASE IF EXISTS ${ns.id}`);
				await wh?.close();
			} finally {
				await under?.stop?.();
				ns.cleanup();
			}
		});

		test("migrations: applied once, a rerun applies nothing, an edited one is refused", async () => {
			const again = await migrateGold(wh);
			expect(again).toEqual({ results: [] });
			const edited = readGoldMigrations().map((m, i) => (i === 0 ? { ...m, checksum: "edited" } : m));
			const refused = await migrateGold(wh, { migrations: edited });
			expect(refused.error?.message).toContain("0001_gold_tables was edited");
			const missing = await migrateGold(wh, { migrations: [] });
			expect(missing.error?.message).toContain("is missing");
		});

		test("today is the org's own date", async () => {
			const org = await one(`SELECT * FROM gold.orgs WHERE org_id = 'org_a'`);
			expect(org).toEqual({ org_id: "org_a", reporting_currency: "EUR", timezone: "Europe/Berlin", today: t });
		});

		test("the live booking: pacing, spend pacing, margin, variance, projections (first fetch)", async () => {
			// Delivered before today: LI1 1000+1200+900+800, AG1 400+500+600+700 (the duplicate once) = 6100.
			const p = await pacing("B_LIVE");
			expect(p.booked_impressions).toBe("10000"); // the T-1 snapshot, not T-5's 8000
			expect(p.delivered_impressions).toBe("6100");
			expect([p.total_days, p.elapsed_days, p.flight_status]).toEqual(["10", "4", "live"]);
			expect(p.pacing_rate).toBe(152.5); // 6100/10000 x 10/4 x 100
		});

		test("restated days replace the old numbers; reloads and duplicates never add", async () => {
			await loader.load("delivery_daily", deliveryRestatements(t));
			await refresh();
			for (let i = 0; i < 2; i++) {
				// Reprocessing: the same snapshot's rows again change nothing.
				await loadAll();
				await loader.load("delivery_daily", deliveryRestatements(t));
				await refresh();
				const live = await pacing("B_LIVE");
				expect(live.delivered_impressions).toBe("6300"); // 900 restated to 1100
				const past = await pacing("B_PAST");
				expect(past.delivered_impressions).toBe("3500"); // 2000 restated to 2500
				const month = await one(
					`SELECT impressions, spend_reporting FROM gold.agg_monthly WHERE org_id = 'org_b' AND month_start = '2026-04-01'`,
				);
				expect(month).toEqual({ impressions: "450", spend_reporting: "4.50" });
				if (i === 0) {
					await wh.command(`OPTIMIZE TABLE ${wh.database}.fct_delivery_daily FINAL`);
					await wh.command(`OPTIMIZE TABLE ${wh.database}.fct_delivery_enriched FINAL`);
				}
			}
			const [{ n }] = (await rows(`SELECT count() AS n FROM gold.fct_delivery_enriched`)) as [{ n: string }];
			expect(n).toBe("23"); // 24 first-fetch rows minus the duplicate
		});

		test("B_LIVE after restatement, every number by hand", async () => {
			const p = await pacing("B_LIVE");
			expect(p).toMatchObject({
				client_id: "C1",
				client_name: "Acme",
				flight_start: d(-4),
				flight_end: d(5),
				as_of_date: t,
				booked_impressions: "10000",
				delivered_impressions: "6300",
				variance_impressions: "3700",
				booking_currency: "EUR",
				reporting_currency: "EUR",
				booking_revenue: "1000.00",
				// LI1 100+120+110+80 = 410.00; AG1 USD 40x0.9, 50x0.8, 60x0.8, 70x0.8 = 36+40+48+56 = 180.00
				actual_spend: "590.00",
				is_fx_missing: 0,
				pacing_rate: 157.5, // 6300/10000 x 10/4 x 100
				spend_pacing_rate: 147.5, // 590/1000 x 10/4 x 100
				margin_percent: 41, // (1000-590)/1000 x 100
				projected_impressions: "15750", // 6300/4 x 10
				projected_spend: "1475.00", // 590/4 x 10
				last_delivery_date: d(-1),
			});
		});

		test("B_PAST (ended): elapsed = total, revenue converted at the flight-start rate", async () => {
			const p = await pacing("B_PAST");
			expect(p).toMatchObject({
				flight_status: "ended",
				total_days: "10",
				elapsed_days: "10",
				delivered_impressions: "3500",
				variance_impressions: "-500",
				booking_currency: "USD",
				booked_revenue: "500.00",
				booking_revenue: "450.00", // 500 x 0.9 (rate of T-30, the latest on or before T-20)
				actual_spend: "49.50", // 20x0.9 + 35x0.9
				pacing_rate: 116.67, // 3500/3000 x 10/10 x 100
				spend_pacing_rate: 11, // 49.5/450 x 100
				margin_percent: 89, // (450-49.5)/450 x 100
				projected_impressions: "3500",
				projected_spend: "49.50",
			});
		});

		test("B_FUTURE (not started): no pacing, no projection; delivery before the flight is unbooked", async () => {
			const p = await pacing("B_FUTURE");
			expect(p).toMatchObject({
				flight_status: "upcoming",
				elapsed_days: null,
				delivered_impressions: "0",
				variance_impressions: "5000",
				actual_spend: "0.00",
				pacing_rate: null,
				spend_pacing_rate: null,
				margin_percent: 100,
				projected_impressions: null,
				projected_spend: null,
				last_delivery_date: null,
			});
			const li2 = await one(`SELECT * FROM gold.fct_delivery_enriched WHERE line_item_id = 'LI2'`);
			expect(li2).toMatchObject({ is_unbooked: 1, booking_id: null, client_id: null, spend_reporting: "10.00" });
		});

		test("B_ZERO (booked 0, revenue 0): pacing and margin have no value", async () => {
			const p = await pacing("B_ZERO");
			expect(p).toMatchObject({
				total_days: "5",
				elapsed_days: "2",
				delivered_impressions: "110",
				variance_impressions: "-110",
				booking_revenue: "0.00",
				actual_spend: "11.00",
				pacing_rate: null,
				spend_pacing_rate: null,
				margin_percent: null,
				projected_impressions: "275", // 110/2 x 5
				projected_spend: "27.50",
			});
		});

		test("delivery rows: booking mapping, dated exchange rates, missing rate flagged, unbooked kept", async () => {
			const byKey = async (li: string, n: number) =>
				one(`SELECT * FROM gold.fct_delivery_enriched WHERE line_item_id = '${li}' AND report_date = '${d(n)}'`);
			expect(await byKey("AG1", -4)).toMatchObject({
				booking_id: "B_LIVE",
				fx_rate: "0.900000",
				spend_reporting: "36.00",
			});
			expect(await byKey("AG1", -1)).toMatchObject({
				impressions: "700",
				fx_rate: "0.800000",
				spend_reporting: "56.00",
			});
			expect(await byKey("LI1", -5)).toMatchObject({ is_unbooked: 1, booking_id: null, spend_reporting: "50.00" });
			expect(await byKey("LI1", 0)).toMatchObject({ booking_id: "B_LIVE", impressions: "300" });
			expect(await byKey("AG9", -1)).toMatchObject({ is_unbooked: 1, fx_rate: "0.800000", spend_reporting: "8.00" });
			expect(await byKey("AS2", -1)).toMatchObject({
				is_unbooked: 1,
				currency: "GBP",
				fx_rate: null,
				is_fx_missing: 1,
				spend_reporting: null,
			});
		});

		test("daily aggregate: a missing rate makes the group's total NULL and counts it", async () => {
			const day = await rows(
				`SELECT source, client_id, impressions, spend_reporting, fx_missing_rows, unbooked_impressions FROM gold.agg_daily WHERE org_id = 'org_a' AND report_date = '${d(-1)}' ORDER BY source, client_id`,
			);
			expect(day).toEqual([
				{
					source: "dv360",
					client_id: "C1",
					impressions: "800",
					spend_reporting: "80.00",
					fx_missing_rows: "0",
					unbooked_impressions: "0",
				},
				{
					source: "dv360",
					client_id: "C2",
					impressions: "60",
					spend_reporting: "6.00",
					fx_missing_rows: "0",
					unbooked_impressions: "0",
				},
				{
					source: "dv360",
					client_id: null,
					impressions: "200",
					spend_reporting: "10.00",
					fx_missing_rows: "0",
					unbooked_impressions: "200",
				},
				{
					source: "meta",
					client_id: null,
					impressions: "50",
					spend_reporting: null,
					fx_missing_rows: "1",
					unbooked_impressions: "50",
				},
				{
					source: "ttd",
					client_id: "C1",
					impressions: "700",
					spend_reporting: "56.00",
					fx_missing_rows: "0",
					unbooked_impressions: "0",
				},
				{
					source: "ttd",
					client_id: null,
					impressions: "100",
					spend_reporting: "8.00",
					fx_missing_rows: "0",
					unbooked_impressions: "100",
				},
			]);
		});

		test("ISO weeks and months (org_b): boundaries and the restated day counted once", async () => {
			const weeks = await rows(
				`SELECT week_start, iso_year, iso_week, impressions, spend_reporting FROM gold.agg_weekly WHERE org_id = 'org_b' ORDER BY week_start`,
			);
			expect(weeks).toEqual([
				{ week_start: "2025-12-29", iso_year: 2026, iso_week: 1, impressions: "30", spend_reporting: "0.30" },
				{ week_start: "2026-03-23", iso_year: 2026, iso_week: 13, impressions: "100", spend_reporting: "1.00" },
				{ week_start: "2026-03-30", iso_year: 2026, iso_week: 14, impressions: "950", spend_reporting: "9.50" },
			]);
			const months = await rows(
				`SELECT month_start, impressions, spend_reporting FROM gold.agg_monthly WHERE org_id = 'org_b' ORDER BY month_start`,
			);
			expect(months).toEqual([
				{ month_start: "2025-12-01", impressions: "10", spend_reporting: "0.10" },
				{ month_start: "2026-01-01", impressions: "20", spend_reporting: "0.20" },
				{ month_start: "2026-03-01", impressions: "600", spend_reporting: "6.00" },
				{ month_start: "2026-04-01", impressions: "450", spend_reporting: "4.50" },
			]);
		});

		test("dashboard queries read the same numbers as the aggregates", async () => {
			const series = await runDashboardQuery(wh, dailySeriesQuery(wh.database, "org_b", "2026-03-30", "2026-04-01"));
			expect(series).toEqual([
				{ report_date: "2026-03-30", impressions: "200", clicks: "2", spend_reporting: "2.00" },
				{ report_date: "2026-03-31", impressions: "300", clicks: "3", spend_reporting: "3.00" },
				{ report_date: "2026-04-01", impressions: "450", clicks: "4", spend_reporting: "4.50" },
			]);
			const months = await runDashboardQuery(wh, monthlyBySourceClientQuery(wh.database, "org_a", d(-40), t));
			const viaView = await rows(
				`SELECT month_start, source, client_id, sum(impressions) AS impressions, if(sum(fx_missing_rows) > 0, NULL, sum(spend_reporting)) AS spend_reporting FROM gold.agg_monthly WHERE org_id = 'org_a' GROUP BY month_start, source, client_id ORDER BY month_start, source, client_id`,
			);
			expect(months).toEqual(viaView);
			expect(months.length).toBeGreaterThan(3);
			const pacingRows = await runDashboardQuery<{ booking_id: string }>(wh, orgPacingQuery(wh.database, "org_a"));
			expect(pacingRows.map((r) => r.booking_id)).toEqual(["B_FUTURE", "B_LIVE", "B_PAST", "B_ZERO"]);
		});

		test("booking history is kept: both CRM snapshots of B_LIVE", async () => {
			const history = await rows(
				`SELECT valid_from, booked_impressions FROM gold.dim_bookings FINAL WHERE booking_id = 'B_LIVE' ORDER BY valid_from`,
			);
			expect(history).toEqual([
				{ valid_from: d(-5), booked_impressions: "8000" },
				{ valid_from: d(-1), booked_impressions: "10000" },
			]);
		});
	});
}
