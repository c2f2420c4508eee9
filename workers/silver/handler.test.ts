import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createEmbeddedBus } from "../../lib/bus/embedded.ts";
import type { Bus } from "../../lib/bus/port.ts";
import { createEnvelope } from "../../lib/envelope/index.ts";
import type { LakeTable } from "../../lib/lake/index.ts";
import { BRONZE_RAW_RECORDS } from "../../lib/pipeline/bronze-tables.ts";
import { createLogger } from "../../lib/runtime/logger.ts";
import { createWorld, DSP_SOURCES, type DspSource } from "../../simulators/world.ts";
import { openTestLake, type TestLake } from "../../test/support/lake.ts";
import { testNamespace } from "../../test/support/namespace.ts";
import { createSilverHandler, createSilverProcessor, type SilverProcessor } from "./handler.ts";
import { loadSilverProject } from "./index.ts";
import { bronzeDeliveryRows } from "./test-bronze.ts";

const ORG = "acme";
const WINDOW = { from: "2026-03-02", to: "2026-03-04" };
const DATES = ["2026-03-02", "2026-03-03", "2026-03-04"];
// Flights all start on 2026-03-01 (days < 60), so every line item delivers in the window.
const world = createWorld({
	orgs: [{ id: ORG, name: "Acme", currency: "USD", timezone: "UTC" }],
	start: "2026-03-01",
	days: 30,
	advertisersPerSource: 1,
	campaignsPerAdvertiser: 1,
	lineItemsPerCampaign: 3,
});

const ns = testNamespace("silver-worker");
let run: TestLake;
let bus: Bus;
let bronze: LakeTable;
let processor: SilverProcessor;

beforeAll(async () => {
	run = await openTestLake({ dir: ns.dir, id: ns.id });
	bus = await createEmbeddedBus({ dir: join(ns.dir, "bus") });
	await bus.ensureTopics([{ name: "silver.data.processed", partitions: 1 }]);
	bronze = await run.lake.createTable(BRONZE_RAW_RECORDS);
	const project = loadSilverProject();
	processor = createSilverProcessor({
		lake: run.lake,
		engine: run.engine,
		project,
		bus,
	});
});
afterAll(async () => {
	await bus?.close();
	await run?.close();
	ns.cleanup();
});

async function fetchAll(requestSuffix: string, fetchedAt: string, sources: readonly DspSource[] = DSP_SOURCES) {
	for (const source of sources) {
		await bronze.append({
			rows: bronzeDeliveryRows(world, ORG, source, WINDOW, { requestId: `${source}-${requestSuffix}`, fetchedAt }),
		});
	}
}

/** Silver totals per source and day, as exact text. */
async function silverTotals() {
	const delivery = await run.lake.loadTable("silver", "delivery_daily");
	return delivery.query<Record<string, string | bigint>>({
		select:
			"source, CAST(report_date AS VARCHAR) AS day, count(*) AS n, sum(impressions) AS impressions, sum(clicks) AS clicks, CAST(sum(spend) AS VARCHAR) AS spend, sum(conversions) AS conversions",
		tail: "GROUP BY ALL ORDER BY source, day",
	});
}

function worldTotals() {
	const out: Record<string, string | bigint>[] = [];
	for (const source of [...DSP_SOURCES].sort()) {
		for (const day of DATES) {
			const rows = world.deliveryFor(ORG, source, { from: day, to: day });
			const spend = rows.reduce((s, r) => s + r.spendMicros, 0n) / 10_000n;
			out.push({
				source,
				day,
				n: BigInt(rows.length),
				impressions: BigInt(rows.reduce((s, r) => s + r.impressions, 0)),
				clicks: BigInt(rows.reduce((s, r) => s + r.clicks, 0)),
				spend: `${spend / 100n}.${String(spend % 100n).padStart(2, "0")}`,
				conversions: BigInt(rows.reduce((s, r) => s + r.conversions, 0)),
			});
		}
	}
	return out;
}

describe("silver worker over a real lake (local store, SQLite catalog)", () => {
	test("silver totals per org, source and day equal the simulated world to the cent", async () => {
		await fetchAll("f1", "2026-03-05T06:00:00Z");
		const result = await processor.process({ orgId: ORG, dates: DATES, requestIds: ["r"] });
		expect(await silverTotals()).toEqual(worldTotals());
		expect(result.quality).toMatchObject({ rowsRejected: 0, rowsSuperseded: 0, score: 100 });
		expect(result.quality.rowsIn).toBe(result.quality.rowsWritten);
		const delivery = result.published.find((e) => e.table === "silver.delivery_daily");
		expect(delivery?.row_counts).toMatchObject({ rows: result.quality.rowsWritten, quality_score: 100 });
		expect(delivery?.dates).toEqual(DATES);
	});

	test("the same bronze event twice changes nothing: no new snapshot, same rows", async () => {
		const delivery = await run.lake.loadTable("silver", "delivery_daily");
		const before = await delivery.history();
		const handler = createSilverHandler(processor);
		const envelope = createEnvelope("bronze.data.cleaned", {
			org_id: ORG,
			source: "bronze",
			table: "bronze.raw_records",
			snapshot_id: "1",
			dates: DATES,
			row_counts: {},
			request_ids: [],
		});
		const message = {
			topic: "bronze.data.cleaned",
			partition: 0,
			offset: "0",
			key: ORG,
			value: new TextEncoder().encode(JSON.stringify(envelope)),
			headers: {},
			timestamp: Date.now(),
		};
		const context = { signal: new AbortController().signal, logger: createLogger({ level: "error" }) };
		await handler(message, context);
		await handler(message, context);
		expect((await delivery.history()).length).toBe(before.length);
		expect(await silverTotals()).toEqual(worldTotals());
	});

	test("a restated day fetched again replaces the old numbers, never adds to them", async () => {
		const day = "2026-03-03";
		const old = world.deliveryFor(ORG, "meta", { from: day, to: day });
		world.restate(ORG, "meta", day);
		expect(world.deliveryFor(ORG, "meta", { from: day, to: day })).not.toEqual(old);
		await fetchAll("f2", "2026-03-06T06:00:00Z", ["meta"]);
		const result = await processor.process({ orgId: ORG, dates: DATES });
		expect(await silverTotals()).toEqual(worldTotals());
		// Every meta row of the window was fetched twice: the older fetch is superseded, not added.
		expect(result.quality.rowsSuperseded).toBe(world.deliveryFor(ORG, "meta", WINDOW).length);
		expect(result.quality.rowsIn).toBe(
			result.quality.rowsWritten + result.quality.rowsSuperseded + result.quality.rowsRejected,
		);
		const rejected = result.tables.find((t) => t.table === "silver.rejected_records");
		expect(rejected?.rows).toBe(0);
	});

	test("bad records are excluded, kept with their reason and scored; rows in = written + superseded + rejected", async () => {
		const day = "2026-03-04";
		const [good] = bronzeDeliveryRows(
			world,
			ORG,
			"ttd",
			{ from: day, to: day },
			{ requestId: "x", fetchedAt: "2026-03-07T06:00:00Z" },
		);
		const record = JSON.parse(String(good?.record)) as Record<string, string>;
		const bad = (i: number, patch: Record<string, string>) => ({
			...good,
			request_id: "ttd-bad",
			record_index: i,
			fetched_at: "2026-03-07T06:00:00Z",
			ingested_at: "2026-03-07T06:00:30Z",
			record: JSON.stringify({ ...record, "Ad Group ID": `bad-${i}`, ...patch }),
		});
		await bronze.append({
			rows: [
				bad(0, { "Advertiser Cost (Adv Currency)": "-4.00" }),
				bad(1, { "Advertiser Currency Code": "ZZZ" }),
				bad(2, { Impressions: "many" }),
			],
		});
		const result = await processor.process({ orgId: ORG, dates: [day] });
		expect(result.quality.rowsRejected).toBe(3);
		expect(result.quality.score).toBeLessThan(100);
		const reasons = await (await run.lake.loadTable("silver", "rejected_records")).query<{ reason: string }>({
			select: "reason",
			tail: "ORDER BY record_index",
		});
		expect(reasons.map((r) => r.reason)).toEqual(["negative_value", "unknown_currency", "bad_number"]);
		const [quality] = await (await run.lake.loadTable("silver", "quality")).query<Record<string, unknown>>({
			partitions: [{ orgId: ORG, date: day }],
		});
		expect(quality).toMatchObject({ rows_rejected: 3n, validity: expect.any(Number) });
		expect(Number(quality?.rows_in)).toBe(
			Number(quality?.rows_written) + Number(quality?.rows_superseded) + Number(quality?.rows_rejected),
		);
		expect(await silverTotals()).toEqual(worldTotals());
	});
});
