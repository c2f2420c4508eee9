/**
 * The gold handler against a real lake (Iceberg on local disk, SQLite
 * catalog, DuckDB) and real chDB: silver snapshots in, gold rows and
 * gold.data.ready out; the same snapshot twice changes nothing; a restating
 * snapshot replaces the old numbers.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createEmbeddedBus } from "../../lib/bus/embedded.ts";
import { allTopics } from "../../lib/bus/topics.ts";
import {
	createEnvelope,
	type GoldReadyEnvelope,
	parseEnvelope,
	type TableChangedEnvelope,
} from "../../lib/envelope/index.ts";
import {
	addDays,
	bookings,
	clients,
	deliveryFirstFetch,
	deliveryRestatements,
	exchangeRates,
	FIXTURE_ORGS,
	todayIn,
} from "../../lib/gold/gold.fixture.ts";
import {
	createGoldLedger,
	createGoldLoader,
	createLakeSilverReader,
	loadGoldProject,
	migrateGold,
} from "../../lib/gold/index.ts";
import type { LakeTable } from "../../lib/lake/index.ts";
import { SILVER_TABLES } from "../../lib/pipeline/silver-tables.ts";
import { publishEnvelopes } from "../../lib/runtime/envelope-io.ts";
import { createLogger } from "../../lib/runtime/logger.ts";
import { startWorker } from "../../lib/runtime/worker.ts";
import { createChdbWarehouse } from "../../lib/warehouse/chdb.ts";
import type { Warehouse } from "../../lib/warehouse/port.ts";
import { openTestLake, type TestLake } from "../../test/support/lake.ts";
import { testNamespace, waitFor } from "../../test/support/namespace.ts";
import { createGoldHandler, type GoldOutcome } from "./handler.ts";
import { goldWorker } from "./index.ts";

type Row = Record<string, unknown>;

describe("gold handler (lake + chDB)", () => {
	const ns = testNamespace("gold-handler");
	const t = todayIn("Europe/Berlin");
	let testLake: TestLake;
	let wh: Warehouse;
	const tables = new Map<string, LakeTable>();
	const published: Omit<GoldReadyEnvelope, "v" | "id" | "produced_at">[] = [];
	let handle: (envelope: TableChangedEnvelope) => Promise<GoldOutcome>;

	// Writes rows as silver would (whole partitions replaced) and returns the envelope it would publish.
	async function silverCommit(table: string, rows: Row[]): Promise<TableChangedEnvelope> {
		const lakeTable = tables.get(table) as LakeTable;
		const commit = await lakeTable.overwrite({ rows });
		const orgs = [...new Set(rows.map((r) => String(r.org_id)))];
		if (orgs.length !== 1) throw new Error("one org per commit in this test");
		return createEnvelope("silver.data.processed", {
			org_id: orgs[0] as string,
			source: "silver",
			table: `silver.${table}`,
			snapshot_id: String(commit.snapshotId),
			dates: [...new Set(rows.map((r) => String(r.report_date)))],
			row_counts: { [table]: rows.length },
			request_ids: [],
		});
	}

	const pacing = async (booking: string) =>
		(
			await wh.query<Row>(`SELECT * FROM booking_pacing WHERE booking_id = {b:String}`, {
				params: { b: booking },
			})
		).rows[0];

	beforeAll(async () => {
		testLake = await openTestLake({ dir: ns.dir, id: ns.id });
		for (const definition of SILVER_TABLES) tables.set(definition.name, await testLake.lake.createTable(definition));
		wh = await createChdbWarehouse({ path: join(ns.dir, "chdb"), database: "gold_handler" });
		const migrated = await migrateGold(wh);
		if (migrated.error) throw migrated.error;
		const project = loadGoldProject();
		const loader = createGoldLoader({ warehouse: wh, project });
		await loader.deployViews();
		await loader.upsertOrgs(FIXTURE_ORGS);
		handle = createGoldHandler({
			loader,
			project,
			reader: createLakeSilverReader(testLake.lake),
			ledger: createGoldLedger(wh),
			publish: async (ready) => {
				published.push(ready);
			},
		});
	});

	afterAll(async () => {
		await wh?.close();
		await testLake?.close();
		ns.cleanup();
	});

	test("loads each silver snapshot's partitions and publishes gold.data.ready", async () => {
		for (const [table, rows] of [
			["bookings", bookings(t)],
			["clients", clients(t)],
			["exchange_rates", exchangeRates(t)],
		] as const) {
			const outcome = await handle(await silverCommit(table, rows));
			expect(outcome.status).toBe("loaded");
		}
		const orgA = deliveryFirstFetch(t).filter((r) => r.org_id === "org_a");
		const envelope = await silverCommit("delivery_daily", orgA);
		const outcome = await handle(envelope);
		expect(outcome).toMatchObject({ status: "loaded", rows: orgA.length, snapshotRead: envelope.snapshot_id });
		expect(published.at(-1)).toEqual({
			org_id: "org_a",
			source: "silver",
			trace_id: envelope.trace_id,
			tables: [
				"gold.fct_delivery_daily",
				"gold.fct_delivery_enriched",
				"gold.agg_booking_daily",
				"gold.agg_daily",
				"gold.agg_monthly",
				"gold.agg_weekly",
				"gold.booking_pacing",
			],
			dates: [...envelope.dates].sort(),
		});
		expect((await pacing("B_LIVE"))?.delivered_impressions).toBe("6100");

		// The same snapshot again: skipped by the ledger, nothing published, nothing changed.
		const count = published.length;
		expect(await handle(envelope)).toEqual({ status: "skipped", reason: "snapshot already loaded" });
		expect(published.length).toBe(count);
		expect((await pacing("B_LIVE"))?.delivered_impressions).toBe("6100");
	});

	test("a restating snapshot replaces the day; only its partitions are read", async () => {
		const restated = deliveryRestatements(t).filter((r) => r.org_id === "org_a");
		const day = addDays(t, -2);
		const partition = [
			...deliveryFirstFetch(t).filter((r) => r.org_id === "org_a" && r.report_date === day && r.line_item_id !== "LI1"),
			...restated.filter((r) => r.report_date === day),
		];
		const outcome = await handle(await silverCommit("delivery_daily", partition));
		expect(outcome).toMatchObject({ status: "loaded", rows: partition.length });
		expect(published.at(-1)?.dates).toEqual([day]);
		const live = await pacing("B_LIVE");
		expect(live).toMatchObject({ delivered_impressions: "6300", actual_spend: "590.00", pacing_rate: 157.5 });
	});

	test("the worker consumes silver.data.processed from the bus and publishes gold.data.ready", async () => {
		const bus = await createEmbeddedBus({ dir: join(ns.dir, "bus"), defaultPartitions: 2 });
		await bus.ensureTopics(allTopics(2));
		const ready: GoldReadyEnvelope[] = [];
		const probe = bus.subscribe({ groupId: "probe", topics: ["gold.data.ready"] }, async (batch) => {
			for (const m of batch.messages) ready.push(parseEnvelope("gold.data.ready", m.value, m.key));
		});
		const project = loadGoldProject();
		const worker = startWorker(
			goldWorker({
				bus,
				project,
				loader: createGoldLoader({ warehouse: wh, project }),
				reader: createLakeSilverReader(testLake.lake),
				ledger: createGoldLedger(wh),
			}),
			{ bus, logger: createLogger({ level: "error" }) },
		);
		try {
			await probe.ready;
			const rows = deliveryFirstFetch(t).filter((r) => r.org_id === "org_b");
			const envelope = await silverCommit("delivery_daily", rows);
			await publishEnvelopes(bus, "silver.data.processed", [envelope]);
			const got = await waitFor(() => ready.find((r) => r.trace_id === envelope.trace_id), { what: "gold.data.ready" });
			expect(got).toMatchObject({ org_id: "org_b", dates: [...envelope.dates].sort() });
			const { rows: month } = await wh.query<Row>(
				`SELECT sum(impressions) AS n FROM agg_monthly WHERE org_id = 'org_b' AND month_start = '2026-03-01'`,
			);
			expect(month).toEqual([{ n: "600" }]);
		} finally {
			await worker.stop();
			await probe.stop();
			await bus.close();
		}
	});

	test("tables gold does not read are skipped", async () => {
		const envelope = createEnvelope("silver.data.processed", {
			org_id: "org_a",
			source: "silver",
			table: "silver.quality",
			snapshot_id: "1",
			dates: [t],
			row_counts: {},
			request_ids: [],
		});
		expect(await handle(envelope)).toEqual({ status: "skipped", reason: "no gold table reads silver.quality" });
	});
});
