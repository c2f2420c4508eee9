/**
 * The TTD source end to end: the real connector framework (auth, throttle
 * waits, retries, DLQ) against the TTD simulator over HTTP, on a virtual clock.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { createTtdSimulator } from "../../../../simulators/ttd.ts";
import { createWorld } from "../../../../simulators/world.ts";
import { createTestClock } from "../../../../test/support/clock.ts";
import {
	createConnectorHarness,
	type HarnessRun,
	serveSimulator,
	testConnection,
} from "../../../../test/support/connector-harness.ts";
import type { Connection } from "../../source.ts";
import { parseLine } from "./csv.ts";
import { createTtdSource } from "./index.ts";

const world = createWorld({ orgs: [{ id: "acme", name: "Acme Media", currency: "USD", timezone: "UTC" }] });
const WINDOW = { from: "2026-06-01", to: "2026-06-07" };
const advertisers = world.org("acme").advertisers.filter((a) => a.source === "ttd");
const source = createTtdSource();

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
	await Promise.all(cleanups.map((cleanup) => cleanup()));
});

/** A fresh simulator mounted under /ttd on its own loopback server, a virtual clock, and a harness on that clock. */
async function setup(options: { settings?: Record<string, unknown>; fetch?: typeof fetch } = {}) {
	const clock = createTestClock();
	const sim = createTtdSimulator(world, { now: clock.nowMs });
	const root = new Hono();
	root.route("/ttd", sim.app);
	const server = await serveSimulator(root);
	const harness = await createConnectorHarness({ clock, fetch: options.fetch });
	cleanups.push(
		() => harness.close(),
		() => server.stop(),
	);
	const connection: Connection = testConnection({
		source: "ttd",
		orgId: "acme",
		accounts: advertisers.map((a) => a.id),
		baseUrls: { api: `${server.url}/ttd/v3` },
		credentials: { login: "api@acme.test", password: "s3cret", tokenExpirationInMinutes: 60 },
		settings: { pageSize: 2, ...options.settings },
	});
	return { clock, sim, harness, connection, run: () => harness.run(source, connection, WINDOW) };
}
/** Sums the delivery CSVs of a run per (ad group, date). */
function deliveryTotals(run: HarnessRun) {
	const totals = new Map<string, { impressions: number; clicks: number; spendCents: number; conversions: number }>();
	for (const page of run.pages.filter((p) => p.stream === "delivery")) {
		const [head, ...lines] = page.body.split("\r\n").filter((l) => l !== "");
		const columns = parseLine(head as string);
		const at = (name: string) => columns.indexOf(name);
		for (const line of lines) {
			const f = parseLine(line);
			const key = `${f[at("Ad Group ID")]}:${(f[at("Date")] as string).slice(0, 10)}`;
			const t = totals.get(key) ?? { impressions: 0, clicks: 0, spendCents: 0, conversions: 0 };
			t.impressions += Number(f[at("Impressions")]);
			t.clicks += Number(f[at("Clicks")]);
			t.spendCents += Math.round(Number(f[at("Advertiser Cost (Adv Currency)")]) * 100);
			t.conversions += Number(f[at("All Last Click + View Conversions")]);
			totals.set(key, t);
		}
	}
	return totals;
}

function expectedTotals() {
	const rows = world.deliveryFor("acme", "ttd", WINDOW);
	return new Map(
		rows.map((r) => [
			`${r.lineItemId}:${r.date}`,
			{
				impressions: r.impressions,
				clicks: r.clicks,
				spendCents: Number(r.spendMicros / 10_000n),
				conversions: r.conversions,
			},
		]),
	);
}

const ids = (run: HarnessRun, stream: string, field: string) =>
	run.pages
		.filter((p) => p.stream === stream)
		.flatMap((p) => (JSON.parse(p.body).Result as Record<string, string>[]).map((r) => r[field]))
		.sort();

describe("TTD source through the connector framework", () => {
	test("pulls advertisers, every page of campaigns and ad groups, and delivery that sums to the world", async () => {
		const { run } = await setup();
		const result = await run();
		expect(result.deadLetters).toEqual([]);
		expect(result.result.state).toBe("ok");
		const world$ = world.org("acme");
		expect(ids(result, "campaigns", "CampaignId")).toEqual(
			world$.campaigns
				.filter((c) => c.source === "ttd")
				.map((c) => c.id)
				.sort(),
		);
		// 6 ad groups per advertiser at PageSize 2: pages at offsets 0, 2, 4, each advertiser.
		expect(ids(result, "ad_groups", "AdGroupId")).toEqual(
			world$.lineItems
				.filter((l) => l.source === "ttd")
				.map((l) => l.id)
				.sort(),
		);
		expect(result.pages.filter((p) => p.stream === "ad_groups").map((p) => p.pageKey)).toEqual(
			expect.arrayContaining(["page:0", "page:2", "page:4"]),
		);
		expect(result.pages.filter((p) => p.stream === "advertisers")).toHaveLength(advertisers.length);
		const expected = expectedTotals();
		expect(expected.size).toBeGreaterThan(0);
		expect(deliveryTotals(result)).toEqual(expected);
		const delivery = result.pages.filter((p) => p.stream === "delivery");
		expect(delivery.map((p) => p.pageKey)).toEqual(advertisers.map(() => "report:2026-06-01..2026-06-07"));
		expect(delivery.every((p) => !p.request.url.includes("signature"))).toBe(true);
		const entityRows = ids(result, "campaigns", "CampaignId").length + ids(result, "ad_groups", "AdGroupId").length;
		expect(result.summary?.rows).toBe(advertisers.length + entityRows + expected.size);
	});

	test("re-running the same window publishes the same pages and request ids", async () => {
		const { run } = await setup();
		const identity = (r: HarnessRun) =>
			r.envelopes.map((e, i) => `${e.request_id} ${r.pages[i]?.stream} ${r.pages[i]?.pageKey}`).sort();
		const first = await run();
		const second = await run();
		expect(identity(second)).toEqual(identity(first));
		const bodies = (r: HarnessRun) => r.pages.map((p) => `${p.stream}:${p.account}:${p.pageKey}:${p.body}`).sort();
		expect(bodies(second)).toEqual(bodies(first));
	});

	test("polls a Pending execution with growing waits, then downloads", async () => {
		const { sim, run } = await setup();
		sim.faults.stuckPending(4, advertisers.length);
		const result = await run();
		expect(result.deadLetters).toEqual([]);
		expect(result.sleeps.filter((ms) => ms >= 5000)).toEqual([
			5000, 5000, 10_000, 10_000, 20_000, 20_000, 40_000, 40_000,
		]);
		expect(deliveryTotals(result)).toEqual(expectedTotals());
	});

	test("a token rejected mid-run (401, then 403) is refreshed and the request replayed, not retried", async () => {
		for (const status of [401, 403] as const) {
			let armed = true;
			let expire = () => {};
			const fetchWith = (async (input: string | URL | Request, init?: RequestInit) => {
				const response = await fetch(input, init);
				if (armed && String(input).includes("/campaign/query")) {
					armed = false;
					expire();
				}
				return response;
			}) as typeof fetch;
			const { sim, run } = await setup({ fetch: fetchWith });
			expire = () => sim.faults.expireTokens(status);
			const result = await run();
			expect(result.deadLetters).toEqual([]);
			expect(result.sleeps).toEqual([]);
			expect(sim.requests.filter((r) => r.status === status).length).toBeGreaterThan(0);
			expect(sim.requests.filter((r) => r.path === "/v3/authentication").length).toBeGreaterThanOrEqual(2);
			expect(deliveryTotals(result)).toEqual(expectedTotals());
			expect(ids(result, "ad_groups", "AdGroupId")).toHaveLength(12);
		}
	});

	test("a token near the end of the lifetime asked for is renewed before it expires", async () => {
		const { sim, run } = await setup();
		sim.faults.stuckPending(12, advertisers.length);
		const result = await run();
		expect(result.sleeps.reduce((a, b) => a + b, 0)).toBeGreaterThan(60 * 60_000);
		expect(sim.requests.filter((r) => r.path === "/v3/authentication").length).toBe(2);
		expect(sim.requests.filter((r) => r.status === 401)).toEqual([]);
		expect(result.deadLetters).toEqual([]);
		expect(deliveryTotals(result)).toEqual(expectedTotals());
	});

	test("429 waits exactly Retry-After, in seconds or as an HTTP date, and loses nothing", async () => {
		for (const form of ["seconds", "date"] as const) {
			const { clock, sim, run } = await setup();
			if (form === "seconds") sim.faults.throttle(1, 7, "/adgroup/query");
			else sim.faults.throttle(1, new Date(clock.nowMs() + 30_000), "/adgroup/query");
			const result = await run();
			expect(result.sleeps).toEqual([form === "seconds" ? 7000 : 30_000]);
			expect(sim.requests.filter((r) => r.status === 429)).toHaveLength(1);
			expect(result.deadLetters).toEqual([]);
			expect(ids(result, "campaigns", "CampaignId")).toHaveLength(4);
			expect(ids(result, "ad_groups", "AdGroupId")).toHaveLength(12);
			expect(deliveryTotals(result)).toEqual(expectedTotals());
		}
	});

	test("240 and 503 are retried after 1 s and 2 s and recover", async () => {
		const { sim, run } = await setup({ settings: { concurrency: 1 } });
		sim.faults.fail(1, 240, "/campaign/query");
		sim.faults.fail(1, 503, "/campaign/query");
		const result = await run();
		expect(result.sleeps).toEqual([1000, 2000]);
		expect(result.deadLetters).toEqual([]);
		expect(ids(result, "campaigns", "CampaignId")).toHaveLength(4);
	});

	test("503 four times goes to the DLQ after 1 s, 2 s, 4 s; the run goes on", async () => {
		const { sim, run } = await setup({ settings: { pageSize: 100, concurrency: 1 } });
		sim.faults.fail(4, 503, "/adgroup/query");
		const result = await run();
		expect(result.sleeps).toEqual([1000, 2000, 4000]);
		expect(result.deadLetters).toHaveLength(1);
		expect(result.deadLetters[0]).toMatchObject({ kind: "transient", attempts: 4, status: 503 });
		expect(result.deadLetters[0]?.request.url).toEndWith("/v3/adgroup/query/advertiser");
		expect(ids(result, "ad_groups", "AdGroupId")).toHaveLength(6);
		expect(deliveryTotals(result)).toEqual(expectedTotals());
	});

	test("a 400 with {Message, ErrorDetails} goes to the DLQ at once with TTD's message", async () => {
		const { run } = await setup({ settings: { reportTemplateId: 999 } });
		const result = await run();
		expect(result.deadLetters.map((d) => d.kind)).toEqual(["fatal", "fatal"]);
		expect(result.deadLetters[0]?.attempts).toBe(1);
		expect(result.deadLetters[0]?.reason).toContain("HTTP 400: The request failed validation");
		expect(result.deadLetters[0]?.reason).toContain("ReportTemplateId: The report template does not exist");
		expect(result.sleeps).toEqual([]);
		expect(ids(result, "ad_groups", "AdGroupId")).toHaveLength(12);
	});

	test("malformed JSON is rejected with the raw body and the run goes on", async () => {
		const { sim, run } = await setup();
		sim.faults.malformed(1, "/campaign/query");
		const result = await run();
		expect(result.rejected).toHaveLength(1);
		expect(result.rejected[0]?.reason).toBe("query response is not a JSON object");
		expect(result.rejected[0]?.page.body).toStartWith('{"Result":[');
		expect(result.deadLetters).toMatchObject([{ kind: "rejected", body: result.rejected[0]?.page.body }]);
		expect(ids(result, "ad_groups", "AdGroupId")).toHaveLength(12);
		expect(deliveryTotals(result)).toEqual(expectedTotals());
	});

	test("a CSV with an unexpected header is rejected with its body", async () => {
		const { sim, run } = await setup();
		sim.faults.unexpectedCsvHeader(1);
		const result = await run();
		expect(result.rejected).toHaveLength(1);
		expect(result.rejected[0]?.reason).toStartWith('unexpected CSV header: missing "Advertiser Cost (Adv Currency)"');
		expect(result.rejected[0]?.page.body).toContain("Advertiser Cost (USD)");
		expect(result.pages.filter((p) => p.stream === "delivery")).toHaveLength(1);
		expect(result.summary?.rejected).toBe(1);
	});

	test("a Failed execution is run again; Failed every time quarantines the chunk", async () => {
		const once = await setup();
		once.sim.faults.failExecutions(1);
		const recovered = await once.run();
		expect(recovered.deadLetters).toEqual([]);
		expect(recovered.sleeps).toEqual([1000]);
		expect(deliveryTotals(recovered)).toEqual(expectedTotals());

		const always = await setup({ settings: { concurrency: 1 } });
		always.sim.faults.failExecutions(3);
		const failed = await always.run();
		expect(failed.sleeps).toEqual([1000, 2000]);
		expect(failed.rejected.map((r) => r.reason)).toEqual([
			"report execution Failed: The report failed to run. (3 executions)",
		]);
		expect(failed.pages.filter((p) => p.stream === "delivery")).toHaveLength(1);
		// Every schedule it created was deleted again.
		const created = always.sim.requests.filter((r) => r.method === "POST" && r.path === "/v3/myreports/reportschedule");
		const deleted = always.sim.requests.filter((r) => r.method === "DELETE" && r.status === 200);
		expect(deleted).toHaveLength(created.length);
	});

	test("an expired download link is refreshed by querying the execution again", async () => {
		const { sim, run } = await setup();
		sim.faults.expireDownloadUrls(1);
		const result = await run();
		expect(result.deadLetters).toEqual([]);
		const downloads = sim.requests.filter((r) => r.path.startsWith("/download/")).map((r) => r.status);
		expect(downloads.sort()).toEqual([200, 200, 403]);
		expect(deliveryTotals(result)).toEqual(expectedTotals());
	});

	test("5 requests failing in a row open the advertiser's breaker; after the cool-down a run closes it", async () => {
		const { clock, sim, harness, connection } = await setup({
			settings: { reportChunkDays: 3, concurrency: 1, reportTemplateId: 4242 },
		});
		const one = { ...connection, accounts: [advertisers[0]?.id as string] };
		sim.faults.fail(1000, 503);
		const broken = await harness.run(source, one, WINDOW);
		expect(broken.status).toMatchObject({ state: "breaker_open", breaker_state: "open" });
		expect(broken.deadLetters.filter((d) => d.kind === "transient")).toHaveLength(5);
		expect(broken.deadLetters.some((d) => d.kind === "breaker_open")).toBe(true);
		expect(broken.alerts).toEqual([expect.objectContaining({ state: "firing" })]);

		sim.faults.reset();
		clock.advance(300_000);
		const recovered = await harness.run(source, one, WINDOW);
		expect(recovered.status).toMatchObject({ state: "ok", breaker_state: "closed" });
		expect(recovered.deadLetters).toEqual([]);
		expect(recovered.pages.filter((p) => p.stream === "delivery").map((p) => p.pageKey)).toEqual([
			"report:2026-06-01..2026-06-03",
			"report:2026-06-04..2026-06-06",
			"report:2026-06-07..2026-06-07",
		]);
	});
});
