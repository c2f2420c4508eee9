/**
 * Gold benchmark (prints figures; not a test). `bun run bench:gold`
 *   1. loads 10 orgs x 3 sources x 180 line items x 365 days (~2M daily rows)
 *      into gold.fct_delivery_daily (generated with numbers() into Parquet first,
 *      untimed, then loaded from the Parquet file as silver data would be),
 *      with bookings, clients and daily USD->EUR rates for every org, then
 *      rebuilds each org's gold.fct_delivery_enriched as the worker does;
 *   2. runs the dashboard queries (one org's pacing for all bookings today; a
 *      daily series over 2 years; a monthly breakdown by source and client)
 *      and prints p50/p95;
 *   3. loads 90 more orgs (~20M rows in all) and runs them again.
 * Targets: load >= 1M rows/s; p95 < 100 ms at 20M, and <= 2x the 2M time.
 * BENCH_GOLD_ORGS=<small>,<large> scales it (default 10,100); BENCH_GOLD_RUNS
 * sets runs per query (default 30). chDB in a temp dir removed at the end.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGoldLoader } from "../lib/gold/loader.ts";
import { migrateGold } from "../lib/gold/migrate.ts";
import { loadGoldProject } from "../lib/gold/project.ts";
import {
	type DashboardQuery,
	dailySeriesQuery,
	monthlyBySourceClientQuery,
	orgPacingQuery,
	runDashboardQuery,
} from "../lib/gold/queries.ts";
import { createChdbWarehouse } from "../lib/warehouse/chdb.ts";

const [SMALL, LARGE] = (process.env.BENCH_GOLD_ORGS ?? "10,100").split(",").map(Number) as [number, number];
const RUNS = Number(process.env.BENCH_GOLD_RUNS ?? 30);
const SOURCES = 3;
const LINE_ITEMS = 180;
const DAYS = 365;
const BOOKINGS = 60; // 3 line items per source each: every line item is booked

const dir = mkdtempSync(join(tmpdir(), "pacer-bench-gold-"));
// chDB reads and writes file() relative to the working directory (its user_files_path).
process.chdir(dir);
const wh = await createChdbWarehouse({ path: join(dir, "chdb"), database: "gold_bench" });
const db = wh.database;
const org = (n: string) => `concat('org_', leftPad(toString(${n}), 3, '0'))`;
const isEur = (n: string) => `(${n} % 2 = 0)`;

const loader = createGoldLoader({ warehouse: wh, project: loadGoldProject() });

async function setup(): Promise<void> {
	const migrated = await migrateGold(wh);
	if (migrated.error) throw migrated.error;
	await loader.deployViews();
	// Orgs, clients, bookings and rates for every org up front; delivery comes in two steps.
	await wh.command(`INSERT INTO ${db}.dim_orgs SELECT ${org("number")}, if(${isEur("number")}, 'EUR', 'USD'),
		['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'UTC'][number % 4 + 1], 1 FROM numbers(${LARGE})`);
	await wh.command(`INSERT INTO ${db}.dim_clients (org_id, client_id, client_name, account_manager, currency, snapshot_date, fetched_at, version, transform_version)
		SELECT ${org("intDiv(number, 10)")}, concat('c', toString(number % 10)), concat('Client ', toString(number % 10)), NULL, 'EUR',
		today() - 1, now64(3), 1, 'bench' FROM numbers(${LARGE * 10})`);
	await wh.command(`INSERT INTO ${db}.dim_bookings (org_id, booking_id, valid_from, client_id, line_items, booked_impressions, booked_revenue, currency, flight_start, flight_end, notes, fetched_at, version, transform_version)
		SELECT ${org("o")}, concat('b', toString(b)), today() - 1, concat('c', toString(b % 10)),
			arrayFlatten(arrayMap(s -> arrayMap(i -> concat(s, ':li_', toString(b * 3 + i)), [0, 1, 2]), ['dv360', 'ttd', 'meta'])),
			1000000, 10000, if(b % 3 = 0, 'USD', 'EUR'), today() - 330 + b * 6, today() - 330 + b * 6 + 89, NULL, now64(3), 1, 'bench'
		FROM (SELECT intDiv(number, ${BOOKINGS}) AS o, number % ${BOOKINGS} AS b FROM numbers(${LARGE * BOOKINGS}))`);
	await wh.command(`INSERT INTO ${db}.dim_exchange_rates (org_id, from_currency, to_currency, rate_date, rate, fetched_at, version, transform_version)
		SELECT ${org("o")}, 'USD', 'EUR', today() - d, 0.9 + (d % 10) / 100, now64(3), 1, 'bench'
		FROM (SELECT intDiv(number, 730) AS o, number % 730 AS d FROM numbers(${LARGE * 730})) WHERE ${isEur("o")}`);
}

/**
 * Loads delivery for orgs [from, to) the way silver data arrives: the rows are
 * first generated into a Parquet file (not timed), then the timed step is
 * ClickHouse inserting that file into the fact table.
 */
async function loadDelivery(
	from: number,
	to: number,
): Promise<{ rows: number; seconds: number; generateSeconds: number }> {
	const perOrg = SOURCES * LINE_ITEMS * DAYS;
	const rows = (to - from) * perOrg;
	const file = `delivery-${from}-${to}.parquet`;
	const columns =
		"org_id, report_date, source, account_id, campaign_id, insertion_order_id, line_item_id, line_item_type, impressions, clicks, conversions, spend, currency, fetched_at, request_id, version, transform_version";
	const generating = performance.now();
	// Ids come from constant arrays (built once) rather than per-row string
	// formatting, which cost more than the insert itself.
	await wh.command(`INSERT INTO FUNCTION file('${file}', 'Parquet')
		WITH arrayMap(i -> ${org("i")}, range(${LARGE})) AS orgs,
			arrayMap(i -> concat('li_', toString(i)), range(${LINE_ITEMS})) AS lineItems,
			arrayMap(i -> concat('camp_', toString(intDiv(i, 18))), range(${LINE_ITEMS})) AS campaigns,
			arrayMap(i -> concat('io_', toString(intDiv(i, 6))), range(${LINE_ITEMS})) AS ios,
			['dv360', 'ttd', 'meta'] AS sources, today() - ${DAYS - 1} AS firstDay, now64(3) AS fetched
		SELECT orgs[o + 1] AS org_id, firstDay + d AS report_date, sources[s + 1] AS source, 'acc' AS account_id,
			campaigns[li + 1] AS campaign_id, ios[li + 1] AS insertion_order_id, lineItems[li + 1] AS line_item_id,
			'line_item' AS line_item_type, toUInt64(1000 + (n % 997)) AS impressions, toUInt64(10 + (n % 13)) AS clicks,
			toUInt64(n % 3) AS conversions, toDecimal64(1000 + (n % 997), 2) / 500 AS spend,
			if(s = 1 OR o % 2 = 1, 'USD', 'EUR') AS currency, fetched AS fetched_at, 'bench' AS request_id,
			toUInt64(1) AS version, 'bench' AS transform_version
		FROM (SELECT number AS n, ${from} + intDiv(number, ${perOrg}) AS o, intDiv(number % ${perOrg}, ${LINE_ITEMS * DAYS}) AS s,
			intDiv(number % ${LINE_ITEMS * DAYS}, ${DAYS}) AS li, number % ${DAYS} AS d FROM numbers(${rows}))
		SETTINGS engine_file_truncate_on_insert = 1`);
	const generateSeconds = (performance.now() - generating) / 1000;
	const started = performance.now();
	// optimize_on_insert = 0: no per-block ReplacingMergeTree collapse at insert;
	// gold reads the fact with argMax, so merged or not, the numbers are the same.
	await wh.command(`INSERT INTO ${db}.fct_delivery_daily (${columns})
		SELECT ${columns} FROM file('${file}', 'Parquet') SETTINGS max_insert_threads = 2, optimize_on_insert = 0`);
	return { rows, seconds: (performance.now() - started) / 1000, generateSeconds };
}

/** Rebuilds the enriched snapshot of orgs [from, to), as the worker does after a load; returns seconds. */
async function refreshOrgs(from: number, to: number): Promise<number> {
	const started = performance.now();
	for (let o = from; o < to; o++) await loader.refresh(`org_${String(o).padStart(3, "0")}`);
	return (performance.now() - started) / 1000;
}

function percentile(sorted: number[], p: number): number {
	return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function timeQueries(label: string, orgCount: number): Promise<Record<string, number>> {
	const today = new Date().toISOString().slice(0, 10);
	const twoYearsAgo = new Date(Date.now() - 730 * 86_400_000).toISOString().slice(0, 10);
	const queries: Record<string, (orgId: string) => DashboardQuery> = {
		"pacing, all bookings today": (o) => orgPacingQuery(db, o),
		"daily series, 2 years": (o) => dailySeriesQuery(db, o, twoYearsAgo, today),
		"monthly by source and client": (o) => monthlyBySourceClientQuery(db, o, twoYearsAgo, today),
	};
	const p95s: Record<string, number> = {};
	for (const [name, build] of Object.entries(queries)) {
		const times: number[] = [];
		let rows = 0;
		for (let i = -2; i < RUNS; i++) {
			const orgId = `org_${String(i < 0 ? 0 : i % orgCount).padStart(3, "0")}`;
			const started = performance.now();
			rows = (await runDashboardQuery(wh, build(orgId))).length;
			if (i >= 0) times.push(performance.now() - started);
		}
		times.sort((a, b) => a - b);
		p95s[name] = percentile(times, 95);
		console.log(
			`  ${label} ${name.padEnd(30)} p50 ${percentile(times, 50).toFixed(1).padStart(6)} ms  p95 ${percentile(times, 95).toFixed(1).padStart(6)} ms  (${rows} rows)`,
		);
	}
	return p95s;
}

try {
	await setup();
	const report = (what: string, rows: number, seconds: number) =>
		console.log(
			`${what} ${rows.toLocaleString()} rows: ${seconds.toFixed(2)} s, ${Math.round(rows / seconds).toLocaleString()} rows/s`,
		);
	const small = await loadDelivery(0, SMALL);
	report("generate Parquet (not the load)", small.rows, small.generateSeconds);
	report("load fact from Parquet", small.rows, small.seconds);
	report("rebuild enriched", small.rows, await refreshOrgs(0, SMALL));
	const at2m = await timeQueries("2M ", SMALL);
	const large = await loadDelivery(SMALL, LARGE);
	report("generate Parquet, more (not the load)", large.rows, large.generateSeconds);
	report("load fact from Parquet, more", large.rows, large.seconds);
	report("rebuild enriched, more", large.rows, await refreshOrgs(SMALL, LARGE));
	const at20m = await timeQueries("20M", LARGE);
	for (const name of Object.keys(at2m)) {
		const ratio = (at20m[name] as number) / (at2m[name] as number);
		console.log(`  p95 ratio 20M/2M ${name.padEnd(30)} ${ratio.toFixed(2)}x`);
	}
} finally {
	await wh.close();
	rmSync(dir, { recursive: true, force: true });
}
