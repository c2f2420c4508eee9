/**
 * The bronze worker end to end: real pages from the simulators through the
 * real connector framework, onto an embedded bus, into a real lake (local
 * directory, SQLite catalog, DuckDB), with the dedupe ledger in SQLite.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CONNECTOR_DATA_RAW } from "../../lib/bus/index.ts";
import { createEnvelope, type RawDataEnvelope } from "../../lib/envelope/index.ts";
import { publishEnvelopes } from "../../lib/runtime/envelope-io.ts";
import { type RunningSimulators, startSimulators } from "../../simulators/index.ts";
import { createWorld, type World } from "../../simulators/world.ts";
import { createTestClock } from "../../test/support/clock.ts";
import { type ConnectorHarness, createConnectorHarness, testConnection } from "../../test/support/connector-harness.ts";
import { testNamespace, waitFor } from "../../test/support/namespace.ts";
import type { SourceName } from "../connector/source.ts";
import { createDv360Source } from "../connector/sources/dv360/index.ts";
import { createMetaSource } from "../connector/sources/meta/index.ts";
import { createSheetsSource } from "../connector/sources/sheets/index.ts";
import { createTtdSource } from "../connector/sources/ttd/index.ts";
import type { LedgerRow } from "./ledger.ts";
import { type BronzeFixture, boot, rawCounts } from "./test-fixture.ts";

// The one stretch where a line item of every DSP is in flight in this small world.
const WINDOW = { from: "2026-04-21", to: "2026-04-23" };
const FETCH_DAY = "2026-11-28"; // the harness clock's day in America/New_York
const ns = testNamespace("bronze");
let world: World;
let sims: RunningSimulators;
let harness: ConnectorHarness;
let fx: BronzeFixture;
const envelopes: RawDataEnvelope[] = [];

beforeAll(async () => {
	world = createWorld({ advertisersPerSource: 1, campaignsPerAdvertiser: 1, lineItemsPerCampaign: 2 });
	const clock = createTestClock();
	sims = await startSimulators({ world, now: () => clock.nowMs() });
	// A small inline limit sends the larger pages through the object store as pointers.
	harness = await createConnectorHarness({ clock, maxInlineBytes: 1500 });
	const sources = {
		dv360: createDv360Source(),
		ttd: createTtdSource(),
		meta: createMetaSource(),
		sheets: createSheetsSource(),
	};
	for (const name of Object.keys(sources) as SourceName[]) {
		const connection = testConnection({
			id: `acme-${name}`,
			source: name,
			orgId: "acme",
			timezone: "America/New_York",
			accounts: sims.accounts(name, "acme"),
			settings: sims.settings(name, "acme"),
			credentials: sims.credentials(name),
			baseUrls: sims.baseUrls(name),
		});
		const run = await harness.run(sources[name], connection, WINDOW);
		expect(run.deadLetters).toEqual([]);
		envelopes.push(...run.envelopes);
	}
	fx = await boot(ns, harness.objectStore);
});
afterAll(async () => {
	await fx?.close();
	await harness?.close();
	await sims?.stop();
	ns.cleanup();
});

describe("bronze worker", () => {
	test("every source and stream lands with the world's record counts and report dates", async () => {
		expect(envelopes.some((e) => e.body.kind === "object")).toBe(true);
		await publishEnvelopes(fx.bus, CONNECTOR_DATA_RAW, envelopes);
		await fx.settled(envelopes.length);
		const org = world.org("acme");
		const counts = await rawCounts(fx.lake);
		const lineItems = (source: string) => org.lineItems.filter((li) => li.source === source).length;
		for (const source of ["dv360", "ttd", "meta"] as const) {
			const truth = world.deliveryFor("acme", source, WINDOW);
			expect(truth.length).toBeGreaterThan(0);
			// DV360: the totals row and footer are not records, so the counts match the world exactly.
			expect(counts[`${source}/delivery`]).toBe(truth.length);
			const dates = await fx.lake.tables.raw.query<{ d: string }>({
				select: "DISTINCT report_date::VARCHAR AS d",
				where: `source = '${source}' AND stream = 'delivery'`,
				tail: "ORDER BY 1",
			});
			expect(dates.map((d) => d.d)).toEqual([...new Set(truth.map((r) => r.date))].sort());
		}
		expect(counts["dv360/line_items"]).toBe(lineItems("dv360"));
		expect(counts["ttd/ad_groups"]).toBe(lineItems("ttd"));
		expect(counts["meta/ad_sets"]).toBe(lineItems("meta"));
		expect(counts["sheets/clients"]).toBe(org.clients.length);
		expect(counts["sheets/bookings"]).toBe(org.bookings.length);
		expect(counts["sheets/exchange_rates"]).toBe(org.exchangeRates.length);
		const entityDates = await fx.lake.tables.raw.query<{ d: string }>({
			select: "DISTINCT report_date::VARCHAR AS d",
			where: "stream <> 'delivery'",
		});
		expect(entityDates).toEqual([{ d: FETCH_DAY }]);
		const [versions] = await fx.lake.tables.raw.query<{ n: bigint }>({
			select: "count(DISTINCT transform_version) AS n",
			where: "transform_version LIKE 'bronze.checked_records@v3+%, bronze.raw_records@v1+%'",
		});
		expect(Number(versions?.n)).toBe(1);

		// One ledger row per page, every one reconciled; every page that wrote rows is in exactly one
		// cleaned event (pages handled together share one event per org, source and stream).
		const ledger = await fx.ledgerRows();
		expect(ledger).toHaveLength(new Set(envelopes.map((e) => e.request_id)).size);
		// The simulators send nothing bronze rejects.
		expect(ledger.filter((r) => r.rows_quarantined > 0)).toEqual([]);
		for (const row of ledger) {
			expect(row.state).toBe("ingested");
			expect(row.rows_in).toBe(row.rows_written + row.rows_quarantined);
			expect(JSON.parse(row.checks ?? "{}")).toMatchObject({ rows_checked: row.rows_in });
		}
		const cleaned = await fx.cleaned();
		const announced = cleaned.flatMap((c) => c.request_ids).sort();
		expect(announced).toEqual(
			ledger
				.filter((r) => r.rows_written > 0)
				.map((r) => r.request_id)
				.sort(),
		);
		const byRequest = new Map(ledger.map((r) => [r.request_id, r]));
		for (const event of cleaned) {
			const members = event.request_ids.map((id) => byRequest.get(id) as LedgerRow);
			expect(event.row_counts).toEqual({
				in: members.reduce((n, r) => n + r.rows_in, 0),
				written: members.reduce((n, r) => n + r.rows_written, 0),
				quarantined: members.reduce((n, r) => n + r.rows_quarantined, 0),
			});
			expect(event.dates).toEqual([...new Set(members.flatMap((r) => JSON.parse(r.dates) as string[]))].sort());
			expect(new Set(members.map((r) => `${r.org_id}/${r.source}/${r.stream}`)).size).toBe(1);
		}
		const dvDelivery = new Set(
			envelopes.filter((e) => e.source === "dv360" && e.stream === "delivery").map((e) => e.request_id),
		);
		const dvEvents = cleaned.filter((c) => c.request_ids.some((id) => dvDelivery.has(id)));
		expect(dvEvents.every((e) => e.table === "bronze.raw_records" && e.org_id === "acme")).toBe(true);
		expect([...new Set(dvEvents.flatMap((e) => e.dates))].sort()).toEqual(
			[...new Set(world.deliveryFor("acme", "dv360", WINDOW).map((r) => r.date))].sort(),
		);
		expect(dvEvents.reduce((n, e) => n + (e.row_counts.written ?? 0), 0)).toBe(counts["dv360/delivery"] as number);
	});

	test("the same page delivered again, and after a bus restart, is stored once", async () => {
		const before = await rawCounts(fx.lake);
		const cleanedBefore = (await fx.cleaned()).length;
		const page = envelopes.find((e) => e.source === "meta" && e.stream === "delivery") as RawDataEnvelope;
		await publishEnvelopes(fx.bus, CONNECTOR_DATA_RAW, [page, { ...page, id: "redelivery-1" }]);
		await fx.drained();
		await fx.restartBus();
		await publishEnvelopes(fx.bus, CONNECTOR_DATA_RAW, [{ ...page, id: "after-restart" }]);
		await fx.drained();
		expect(await rawCounts(fx.lake)).toEqual(before);
		expect((await fx.cleaned()).length).toBe(cleanedBefore);
	});

	test("a page that cannot be split is quarantined whole and dead-lettered with the reason", async () => {
		const broken = rawEnvelope("meta", "delivery", '{"data": [{"date_start": "2026-06-01"');
		await publishEnvelopes(fx.bus, CONNECTOR_DATA_RAW, [broken]);
		const letter = await waitFor(async () => (await fx.deadLetters()).find((d) => d.request_id === broken.request_id));
		expect(letter.reason).toContain("page quarantined: page is not JSON");
		const [row] = await fx.lake.tables.quarantine.query<{ record_index: number; reason: string; raw: string }>({
			where: `request_id = '${broken.request_id}'`,
		});
		expect(row).toMatchObject({ record_index: -1, reason: expect.stringContaining("page is not JSON") });
		expect(row?.raw).toBe('{"data": [{"date_start": "2026-06-01"');

		// A pointer whose object does not match the checksum the connector recorded.
		await harness.objectStore.put("raw/test/tampered", '{"data": []}');
		const tampered = rawEnvelope("meta", "delivery", "");
		tampered.body = {
			kind: "object",
			content_type: "application/json",
			key: "raw/test/tampered",
			size_bytes: 12,
			sha256: "0".repeat(64),
		};
		await publishEnvelopes(fx.bus, CONNECTOR_DATA_RAW, [tampered]);
		const mismatch = await waitFor(async () =>
			(await fx.deadLetters()).find((d) => d.request_id === tampered.request_id),
		);
		expect(mismatch.reason).toContain("does not match its envelope");
	});

	test("bad records are quarantined with their reason; rows in = written + quarantined; the event says so", async () => {
		const head =
			"Date,Advertiser ID,Advertiser Currency,Campaign ID,Insertion Order ID,Line Item ID,Impressions,Clicks,Media Cost (Advertiser Currency),Revenue (Advertiser Currency),Total Conversions";
		const row = (date: string, li: string) => `${date},101,USD,7,8,${li},10,1,1.00,1.50,0`;
		const csv = [
			head,
			row("2026/06/01", "1"),
			row("2026/06/02", "2"),
			row("2026/13/45", "3"),
			row("2026/06/01", ""),
			row("2026/05/01", "5"),
			",,,,,,50,5,5.00,7.50,0",
			"",
			"Report Time:,x",
			"",
		].join("\n");
		const page = rawEnvelope("dv360", "delivery", csv);
		await publishEnvelopes(fx.bus, CONNECTOR_DATA_RAW, [page]);
		const event = await waitFor(async () => (await fx.cleaned()).find((c) => c.request_ids[0] === page.request_id));
		expect(event).toMatchObject({
			dates: ["2026-06-01", "2026-06-02"],
			row_counts: { in: 5, written: 2, quarantined: 3 },
		});
		const reasons = await fx.lake.tables.quarantine.query<{ record_index: number; reason: string }>({
			select: "record_index, reason",
			where: `request_id = '${page.request_id}'`,
			tail: "ORDER BY record_index",
		});
		expect(reasons).toEqual([
			{ record_index: 2, reason: "bad_date: '2026/13/45'" },
			{ record_index: 3, reason: "missing_id: Line Item ID" },
			{ record_index: 4, reason: "date_out_of_range: 2026-05-01 outside the window 2026-06-01..2026-06-07" },
		]);
		const ledger = (await fx.ledgerRows()).find((r) => r.request_id === page.request_id);
		expect(ledger).toMatchObject({ rows_in: 5, rows_written: 2, rows_quarantined: 3 });
		expect(JSON.parse(ledger?.checks ?? "{}")).toEqual({
			rows_checked: 5,
			structure_failed: 0,
			required_fields_failed: 1,
			date_failed: 1,
			freshness_failed: 2,
		});
	});

	test("a crash between the lake commit and the ledger, or before the event, neither doubles nor loses the page", async () => {
		for (const step of ["lake-committed", "ledger-completed"] as const) {
			const page = rawEnvelope("meta", "delivery", JSON.stringify({ data: [meta("2026-06-02"), meta("2026-06-03")] }));
			const handle = fx.handler({ crashAt: step, requestId: page.request_id });
			await expect(handle.handleOne(page)).rejects.toThrow(`crash at ${step}`);
			await handle.handleOne(page); // the redelivery
			expect(await storedRows(page.request_id)).toBe(2);
			const events = (await fx.cleaned()).filter((c) => c.request_ids.includes(page.request_id));
			expect(events.map((e) => e.row_counts)).toEqual([{ in: 2, written: 2, quarantined: 0 }]);
		}
	});

	test("pages handled together: one commit per table; a crash mid-batch leaves them for the one-page path, which neither doubles nor loses them", async () => {
		const good = rawEnvelope("meta", "delivery", JSON.stringify({ data: [meta("2026-06-02"), meta("2026-06-04")] }));
		const mixed = rawEnvelope("meta", "delivery", JSON.stringify({ data: [meta("2026-06-03"), meta("2026-05-01")] }));
		const broken = rawEnvelope("meta", "delivery", "not json");
		const snapshots = (await fx.lake.tables.raw.history()).length;
		const handle = fx.handler({ crashAt: "lake-committed", requestId: mixed.request_id });
		await expect(handle.handleMany([good, mixed, broken])).rejects.toThrow("crash at lake-committed");
		// Both tables were committed once for the two good pages; none of the three is complete.
		expect((await fx.lake.tables.raw.history()).length).toBe(snapshots + 1);
		expect(await storedRows(good.request_id)).toBe(2);

		// The redelivered batch: every page is pending now, so all go back for one-page handling.
		const left = await handle.handleMany([good, mixed, broken, good]);
		expect(left.map((e) => e.request_id).sort()).toEqual([good, mixed, broken, good].map((e) => e.request_id).sort());
		await handle.handleOne(good);
		await handle.handleOne(mixed);
		await expect(handle.handleOne(broken)).rejects.toThrow("page quarantined");
		await handle.handleOne(good);
		expect((await fx.lake.tables.raw.history()).length).toBe(snapshots + 1);
		expect(await storedRows(good.request_id)).toBe(2);
		expect(await storedRows(mixed.request_id)).toBe(1);
		const quarantined = await fx.lake.tables.quarantine.query<{ request_id: string; record_index: number }>({
			select: "request_id, record_index",
			where: `request_id IN ('${mixed.request_id}', '${broken.request_id}')`,
			tail: "ORDER BY record_index",
		});
		expect(quarantined).toEqual([
			{ request_id: broken.request_id, record_index: -1 },
			{ request_id: mixed.request_id, record_index: 1 },
		]);
		const rows = new Map((await fx.ledgerRows()).map((r) => [r.request_id, r]));
		expect(rows.get(good.request_id)).toMatchObject({
			state: "ingested",
			rows_in: 2,
			rows_written: 2,
			rows_quarantined: 0,
		});
		expect(rows.get(mixed.request_id)).toMatchObject({
			state: "ingested",
			rows_in: 2,
			rows_written: 1,
			rows_quarantined: 1,
		});
		expect(rows.get(broken.request_id)).toMatchObject({ state: "page_quarantined" });
		const events = (await fx.cleaned()).filter((c) =>
			c.request_ids.some((id) => id === good.request_id || id === mixed.request_id),
		);
		expect(events.flatMap((e) => e.request_ids).sort()).toEqual([good.request_id, mixed.request_id].sort());
	});

	test("fresh pages in one batch share one transform, one commit per table and one event", async () => {
		const a = rawEnvelope("meta", "delivery", JSON.stringify({ data: [meta("2026-06-05")] }));
		const b = rawEnvelope("meta", "delivery", JSON.stringify({ data: [meta("2026-06-06"), meta("2026-04-01")] }));
		const raw = (await fx.lake.tables.raw.history()).length;
		const quarantine = (await fx.lake.tables.quarantine.history()).length;
		const handle = fx.handler({ crashAt: "lake-committed", requestId: "none" });
		expect(await handle.handleMany([a, b])).toEqual([]);
		expect((await fx.lake.tables.raw.history()).length).toBe(raw + 1);
		expect((await fx.lake.tables.quarantine.history()).length).toBe(quarantine + 1);
		const events = (await fx.cleaned()).filter((c) => c.request_ids.includes(a.request_id));
		expect(events).toHaveLength(1);
		expect(events[0]).toMatchObject({
			request_ids: [a.request_id, b.request_id],
			dates: ["2026-06-05", "2026-06-06"],
			row_counts: { in: 3, written: 2, quarantined: 1 },
		});
	});

	test("a batch bigger than the record or text limit is transformed in chunks and committed once, every page once", async () => {
		const pages = ["2026-06-02", "2026-06-03", "2026-06-04"].map((day) =>
			rawEnvelope("meta", "delivery", JSON.stringify({ data: [meta(day), meta(day)] })),
		);
		const oneRecord = JSON.stringify(meta("2026-06-02")).length;
		for (const limits of [{ maxBatchRecords: 4 }, { maxBatchChars: oneRecord * 5 }]) {
			const batch = pages.map((p) => ({ ...p, request_id: `test-${crypto.randomUUID()}` }));
			const raw = (await fx.lake.tables.raw.history()).length;
			const handle = fx.handler({ crashAt: "lake-committed", requestId: "none" }, limits);
			expect(await handle.handleMany(batch)).toEqual([]);
			// Two pages (4 records, 4 record lengths of text) fit a chunk; the third starts the next. Both chunks'
			// rows go into one commit.
			expect((await fx.lake.tables.raw.history()).length).toBe(raw + 1);
			for (const page of batch) expect(await storedRows(page.request_id)).toBe(2);
		}
	});
});

async function storedRows(requestId: string): Promise<number> {
	const [stored] = await fx.lake.tables.raw.query<{ n: bigint }>({
		select: "count(*) AS n",
		where: `request_id = '${requestId}'`,
	});
	return Number(stored?.n);
}

function meta(date: string) {
	return { date_start: date, date_stop: date, account_id: "303", adset_id: "11", impressions: "5", spend: "1.23" };
}

function rawEnvelope(source: string, stream: string, data: string): RawDataEnvelope {
	return createEnvelope(CONNECTOR_DATA_RAW, {
		org_id: "acme",
		source,
		request_id: `test-${crypto.randomUUID()}`,
		connection_id: `acme-${source}`,
		stream,
		window: { from: "2026-06-01", to: "2026-06-07" },
		page: 0,
		body: { kind: "inline", content_type: "text/plain", data },
	});
}
