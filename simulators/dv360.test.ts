import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { createTestClock } from "../test/support/clock.ts";
import { createDv360Simulator, dv360PartnerId } from "./dv360.ts";
import { createWorld } from "./world.ts";

const world = createWorld();
const clock = createTestClock("2026-11-28T06:00:00Z");
const auth = { authorization: "Bearer test-token", "content-type": "application/json" };
const partner = dv360PartnerId("acme");
const advertiser = world.org("acme").advertisers.find((a) => a.source === "dv360")?.id ?? "";

function sim() {
	const s = createDv360Simulator(world, { now: clock.nowMs, signedUrlTtlMs: 60_000 });
	// Mounted under a prefix, as the platform mounts it: links must carry the prefix.
	const app = new Hono().route("/dv360", s.app);
	const call = (path: string, init: RequestInit = {}) =>
		app.request(`http://sim.test/dv360${path}`, { ...init, headers: { ...auth, ...(init.headers ?? {}) } });
	return { ...s, app, call };
}

const query = (groupBys: string[], metrics = ["METRIC_IMPRESSIONS", "METRIC_REVENUE_ADVERTISER"]) => ({
	metadata: {
		dataRange: {
			range: "CUSTOM_DATES",
			customStartDate: { year: 2026, month: 6, day: 1 },
			customEndDate: { year: 2026, month: 6, day: 3 },
		},
	},
	params: { type: "STANDARD", groupBys, metrics, filters: [{ type: "FILTER_PARTNER", value: partner }] },
});

async function reportCsv(s: ReturnType<typeof sim>, groupBys: string[]) {
	const created = await (await s.call("/v2/queries", { method: "POST", body: JSON.stringify(query(groupBys)) })).json();
	const ran = await (await s.call(`/v2/queries/${created.queryId}:run`, { method: "POST" })).json();
	expect(ran.metadata.status.state).toBe("QUEUED");
	const path = `/v2/queries/${created.queryId}/reports/${ran.key.reportId}`;
	const running = await (await s.call(path)).json();
	expect(running.metadata.status.state).toBe("RUNNING");
	expect(running.metadata.googleCloudStoragePath).toBeUndefined();
	const done = await (await s.call(path)).json();
	expect(done.metadata.status.state).toBe("DONE");
	return { link: done.metadata.googleCloudStoragePath as string, queryId: created.queryId as string };
}

describe("DV360 simulator", () => {
	test("a bearer token is required; errors use Google's JSON shape", async () => {
		const res = await sim().app.request("/dv360/v4/advertisers?partnerId=1");
		expect(res.status).toBe(401);
		expect((await res.json()).error.status).toBe("UNAUTHENTICATED");
	});

	test("the report CSV: signed link on the request's origin and prefix, totals row, footer; bad signature and expiry refused", async () => {
		const s = sim();
		const { link, queryId } = await reportCsv(s, ["FILTER_DATE", "FILTER_LINE_ITEM"]);
		expect(link).toStartWith("http://sim.test/dv360/storage/");
		const url = new URL(link);
		const download = (search: string) => s.app.request(`http://sim.test${url.pathname}${search}`);
		const tampered = await download(url.search.replace(/Signature=[^&]+/, "Signature=forged"));
		expect(tampered.status).toBe(403);
		const csv = await (await download(url.search)).text();
		const [header, ...rest] = csv.split("\n");
		expect(header).toBe("Date,Line Item ID,Impressions,Revenue (Advertiser Currency)");
		const blank = rest.indexOf("");
		const data = rest.slice(0, blank - 1).map((l) => l.split(","));
		const totals = rest[blank - 1]?.split(",");
		const expected = world.deliveryFor("acme", "dv360", { from: "2026-06-01", to: "2026-06-03" });
		expect(data).toHaveLength(expected.length);
		expect(data[0]?.[0]).toBe("2026/06/01");
		expect(totals?.slice(0, 2)).toEqual(["", ""]);
		expect(Number(totals?.[2])).toBe(expected.reduce((n, r) => n + r.impressions, 0));
		expect(rest[blank + 1]).toStartWith("Report Time:,");
		expect(rest).toContain("Group By:,Line Item ID");
		clock.advance(61_000);
		const expired = await download(url.search);
		expect(expired.status).toBe(400);
		expect(await expired.text()).toContain("ExpiredToken");
		expect((await s.call(`/v2/queries/${queryId}`, { method: "DELETE" })).status).toBe(200);
		expect((await s.call(`/v2/queries/${queryId}`)).status).toBe(404);
	});

	test("fewer dimensions aggregate to that grain; totals still add up", async () => {
		const s = sim();
		const { link } = await reportCsv(s, ["FILTER_DATE"]);
		const csv = await (await s.app.request(link)).text();
		const lines = csv.split("\n");
		expect(lines.slice(1, 4).map((l) => l.split(",")[0])).toEqual(["2026/06/01", "2026/06/02", "2026/06/03"]);
		expect(lines[4]?.startsWith(",")).toBe(true);
	});

	test("an unknown metric is 400 INVALID_ARGUMENT", async () => {
		const body = JSON.stringify(query(["FILTER_DATE"], ["METRIC_NOPE"]));
		const res = await sim().call("/v2/queries", { method: "POST", body });
		expect(res.status).toBe(400);
		expect((await res.json()).error.message).toBe("The request you submitted is invalid.");
	});

	test("entity lists: pageSize bounds, archived left out unless entityStatus is filtered, partner required", async () => {
		const s = sim();
		expect((await s.call(`/v4/advertisers/${advertiser}/lineItems?pageSize=0`)).status).toBe(400);
		expect((await s.call("/v4/advertisers")).status).toBe(400);
		expect((await s.call("/v4/advertisers?partnerId=1")).status).toBe(403);
		const all = world.org("acme").lineItems.filter((li) => li.advertiserId === advertiser);
		const plain = await (await s.call(`/v4/advertisers/${advertiser}/lineItems`)).json();
		const filter = encodeURIComponent('entityStatus="ENTITY_STATUS_ACTIVE" OR entityStatus="ENTITY_STATUS_ARCHIVED"');
		const everything = await (await s.call(`/v4/advertisers/${advertiser}/lineItems?filter=${filter}`)).json();
		expect(everything.lineItems).toHaveLength(all.length);
		expect((plain.lineItems ?? []).length).toBeLessThan(all.length);
		const io = (await (await s.call(`/v4/advertisers/${advertiser}/insertionOrders?filter=${filter}`)).json())
			.insertionOrders[0];
		expect(io.budget.budgetSegments.length).toBeGreaterThan(0);
	});
});
