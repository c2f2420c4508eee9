/**
 * The DV360 source end to end through the real connector framework
 * (harness: policy, auth, limiter, DLQ, envelopes) against the DV360 and
 * Google token simulators, on a virtual clock.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { runSourceForTest } from "../../../../test/support/connector-harness.ts";
import { createDv360Source } from "./index.ts";
import { type Dv360Fixture, deliveryTotals, expectedTotals, pageKeys, startDv360Fixture } from "./test-fixture.ts";

const WINDOW = { from: "2026-06-01", to: "2026-06-07" };
let fx: Dv360Fixture;

beforeAll(async () => {
	fx = await startDv360Fixture();
});
afterAll(async () => {
	await fx.stop();
});
beforeEach(() => {
	fx.sim.faults.reset();
	fx.sim.calls.length = 0;
});

const run = (source = createDv360Source(), connection = fx.connection(), window = WINDOW) =>
	runSourceForTest(source, connection, window, { clock: fx.resetClock() });

describe("DV360 source", () => {
	test("the report flow: create, run, poll with growing waits, download unauthenticated, delete; rows add up to the world", async () => {
		const result = await run();
		expect(result.deadLetters).toEqual([]);
		expect(result.rejected).toEqual([]);
		const flow = fx.sim.calls.filter((c) => !c.startsWith("GET /v4/"));
		expect(flow).toEqual([
			"POST /v2/queries",
			expect.stringMatching(/^POST \/v2\/queries\/\d+:run$/),
			expect.stringMatching(/^GET \/v2\/queries\/\d+\/reports\/\d+$/),
			expect.stringMatching(/^GET \/v2\/queries\/\d+\/reports\/\d+$/),
			expect.stringMatching(/^GET \/storage\/.+\.csv$/),
			expect.stringMatching(/^DELETE \/v2\/queries\/\d+$/),
		]);
		// One poll said RUNNING: one 5 s wait, which is neither a retry nor a failure.
		expect(result.sleeps.filter((ms) => ms >= 1_000)).toEqual([5_000]);

		const expected = expectedTotals(fx.world, "acme", WINDOW);
		expect(expected.rows).toBeGreaterThan(0);
		const got = deliveryTotals(result.pages);
		expect({ rows: got.rows, impressions: got.impressions, spendMicros: got.spendMicros }).toEqual(expected);
		// The grand-total row repeats the sums with empty dimension cells; it is not a data row.
		expect(got.totalsRow?.slice(0, 6)).toEqual(["", "", "", "", "", ""]);
		expect(got.totalsRow?.[6]).toBe(String(expected.impressions));
		expect(new Set(got.dates)).toEqual(
			new Set(["2026/06/01", "2026/06/02", "2026/06/03", "2026/06/04", "2026/06/05", "2026/06/06", "2026/06/07"]),
		);

		const delivery = result.pages.find((p) => p.stream === "delivery");
		expect(delivery?.pageKey).toBe("report:2026-06-01..2026-06-07:chunk:0");
		expect(delivery?.request.url).not.toContain("Signature");
		expect(delivery?.body).toContain("\n\nReport Time:,");
	});

	test("entities: advertisers by partner, then campaigns, insertion orders and line items of each, archived ones included", async () => {
		const result = await run();
		const org = fx.world.org("acme");
		const advertisers = org.advertisers.filter((a) => a.source === "dv360");
		expect(pageKeys(result.pages, "advertisers")).toEqual([`advertisers|${fx.connection().settings.partnerId}|page:0`]);
		for (const stream of ["campaigns", "insertion_orders", "line_items"]) {
			expect(pageKeys(result.pages, stream).sort()).toEqual(advertisers.map((a) => `${stream}|${a.id}|page:0`).sort());
		}
		const lineItems = result.pages
			.filter((p) => p.stream === "line_items")
			.flatMap((p) => JSON.parse(p.body).lineItems as { lineItemId: string; entityStatus: string; budget: unknown }[]);
		expect(lineItems.map((li) => li.lineItemId).sort()).toEqual(
			org.lineItems
				.filter((li) => li.source === "dv360")
				.map((li) => li.id)
				.sort(),
		);
		expect(lineItems.some((li) => li.entityStatus === "ENTITY_STATUS_ARCHIVED")).toBe(true);
		const entityRows =
			lineItems.length + 2 * org.campaigns.filter((c) => c.source === "dv360").length + advertisers.length;
		expect(result.summary?.rows).toBe(expectedTotals(fx.world, "acme", WINDOW).rows + entityRows);
		expect(result.status?.state).not.toBe("failing");
	});

	test("configured advertiser ids without a partner: advertisers.get each, report filtered to them", async () => {
		const [first] = fx.world.org("acme").advertisers.filter((a) => a.source === "dv360");
		const id = first?.id ?? "";
		const result = await run(createDv360Source(), fx.connection({ settings: {}, accounts: [id] }));
		expect(pageKeys(result.pages, "advertisers")).toEqual([`advertisers|${id}|advertiser`]);
		const expected = fx.world.deliveryFor("acme", "dv360", WINDOW, id);
		const got = deliveryTotals(result.pages);
		expect(got.rows).toBe(expected.length);
		expect(got.spendMicros).toBe(expected.reduce((n, r) => n + r.spendMicros, 0n));
	});

	test("a window without delivery comes back as the empty-report line: emitted, zero rows", async () => {
		const result = await run(createDv360Source(), fx.connection(), { from: "2025-06-01", to: "2025-06-07" });
		const delivery = result.pages.filter((p) => p.stream === "delivery");
		expect(delivery.map((p) => p.body)).toEqual(["No data returned by the reporting service.\n"]);
		expect(deliveryTotals(result.pages).rows).toBe(0);
		expect(result.rejected).toEqual([]);
	});

	test("a large report is emitted in chunks on line boundaries, header in each, stable chunk keys", async () => {
		const result = await run(createDv360Source({ maxChunkChars: 400 }));
		const chunks = result.pages.filter((p) => p.stream === "delivery");
		expect(chunks.length).toBeGreaterThan(2);
		expect(chunks.map((p) => p.pageKey)).toEqual(chunks.map((_, i) => `report:2026-06-01..2026-06-07:chunk:${i}`));
		const header = chunks[0]?.body.split("\n")[0];
		for (const chunk of chunks) expect(chunk.body.split("\n")[0]).toBe(header);
		const got = deliveryTotals(result.pages);
		expect(got.spendMicros).toBe(expectedTotals(fx.world, "acme", WINDOW).spendMicros);
	});

	test("re-running the same window gives the same pages, keys and request ids", async () => {
		const first = await run();
		const second = await run();
		const view = (r: typeof first) =>
			r.pages.map((p) => ({ key: `${p.stream}|${p.account}|${p.pageKey}`, body: p.body }));
		expect(view(second)).toEqual(view(first));
		expect(second.envelopes.map((e) => e.request_id)).toEqual(first.envelopes.map((e) => e.request_id));
	});

	test("a restated day changes that day's numbers on the next pull", async () => {
		const world = fx.world;
		const before = deliveryTotals((await run()).pages);
		world.restate("acme", "dv360", "2026-06-03");
		const after = deliveryTotals((await run()).pages);
		expect(after.spendMicros).toBe(expectedTotals(world, "acme", WINDOW).spendMicros);
		expect(after.spendMicros).not.toBe(before.spendMicros);
	});
});

describe("DV360 entity paging", () => {
	let big: Dv360Fixture;
	beforeAll(async () => {
		big = await startDv360Fixture({ advertisersPerSource: 1, campaignsPerAdvertiser: 3, lineItemsPerCampaign: 90 });
	});
	afterAll(async () => {
		await big.stop();
	});

	test("line items are paged with pageToken to the end (270 items, 200 a page)", async () => {
		const result = await runSourceForTest(createDv360Source(), big.connection(), WINDOW, { clock: big.resetClock() });
		const pages = result.pages.filter((p) => p.stream === "line_items");
		expect(pages.map((p) => p.pageKey)).toEqual(["page:0", "page:1"]);
		expect(JSON.parse(pages[0]?.body ?? "{}").nextPageToken).toBeString();
		expect(JSON.parse(pages[1]?.body ?? "{}").nextPageToken).toBeUndefined();
		const ids = pages.flatMap((p) =>
			(JSON.parse(p.body).lineItems as { lineItemId: string }[]).map((li) => li.lineItemId),
		);
		expect(new Set(ids).size).toBe(270);
		expect(big.sim.calls.filter((c) => c.endsWith("/lineItems"))).toHaveLength(2);
	});
});
