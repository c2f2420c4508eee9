/**
 * The Meta source end to end: the real connector framework against the Meta
 * simulator over HTTP, on a virtual clock: async report runs, cursor paging,
 * entities, re-runs and restated days.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { emittedDelivery, expectedDelivery, type MetaSetup, setupMeta, WINDOW } from "./testing.ts";

let current: MetaSetup | undefined;
afterEach(async () => {
	await current?.close();
	current = undefined;
});
const setup = async (options?: Parameters<typeof setupMeta>[0]) => {
	current = await setupMeta(options);
	return current;
};

describe("meta source", () => {
	test("pages the report run to the end; the delivery sums exactly to the world", async () => {
		const s = await setup();
		const run = await s.run();
		expect(run.result.state).toBe("ok");
		expect(run.deadLetters).toEqual([]);
		const expected = s.world.deliveryFor("acme", "meta", WINDOW, s.account);
		const delivery = run.pages.filter((p) => p.stream === "delivery");
		expect(delivery.map((p) => p.pageKey)).toEqual(
			Array.from(
				{ length: Math.ceil(expected.length / 25) },
				(_, n) => `report:${WINDOW.from}..${WINDOW.to}:adset:page:${n}`,
			),
		);
		expect(emittedDelivery(run)).toEqual(expectedDelivery(s));
		const rows = delivery.flatMap((p) => (JSON.parse(p.body) as { data: Record<string, string>[] }).data);
		const sum = (key: string) => rows.reduce((t, r) => t + Number(r[key]), 0);
		expect(sum("impressions")).toBe(expected.reduce((t, r) => t + r.impressions, 0));
		expect(sum("clicks")).toBe(expected.reduce((t, r) => t + r.clicks, 0));
		const spendCents = rows.reduce((t, r) => t + BigInt(Math.round(Number(r.spend) * 100)), 0n);
		expect(spendCents).toBe(expected.reduce((t, r) => t + r.spendMicros, 0n) / 10_000n);
		// Bodies are the raw responses without `paging` (it names the run id).
		for (const page of delivery) expect(page.body).not.toContain("paging");
		// Polled with growing intervals: Not Started, Started, Running 50 %, Running 100 %, Completed.
		expect(run.sleeps).toEqual([5_000, 10_000, 20_000, 40_000]);
		expect(s.sim.stats.polls).toBe(5);
		expect(run.summary).toEqual({ pages: delivery.length + 2, rows: expected.length + 2 + 6, rejected: 0 });
	});

	test("campaigns and ad sets arrive with budgets in minor units and schedules", async () => {
		const s = await setup({ source: { entityPageSize: 4 } });
		const run = await s.run();
		const adSetPages = run.pages.filter((p) => p.stream === "ad_sets");
		expect(adSetPages.map((p) => p.pageKey)).toEqual(["page:0", "page:1"]);
		const adSets = adSetPages.flatMap((p) => (JSON.parse(p.body) as { data: Record<string, unknown>[] }).data);
		const items = s.world.org("acme").lineItems.filter((li) => li.source === "meta");
		expect(adSets.map((a) => a.id).sort()).toEqual(items.map((li) => li.id).sort());
		for (const li of items) {
			const a = adSets.find((x) => x.id === li.id) as Record<string, unknown>;
			const budget = li.pacing === "EVEN" ? a.daily_budget : a.lifetime_budget;
			const cap = li.pacing === "EVEN" ? li.dailyMaxMicros : li.budgetMicros;
			expect(budget).toBe(String(cap / 10_000n));
			expect(String(a.start_time).slice(0, 10)).toBe(li.flightStart);
			expect(String(a.end_time).slice(0, 10)).toBe(li.flightEnd);
		}
		const campaigns = run.pages.filter((p) => p.stream === "campaigns");
		expect((JSON.parse(campaigns[0]?.body ?? "{}") as { data: unknown[] }).data).toHaveLength(2);
	});

	test("level campaign reports per campaign and adds up to the same delivery", async () => {
		const s = await setup({ settings: { level: "campaign", pageSize: 500 } });
		const run = await s.run();
		const rows = run.pages
			.filter((p) => p.stream === "delivery")
			.flatMap((p) => (JSON.parse(p.body) as { data: Record<string, string>[] }).data);
		expect(rows.every((r) => r.campaign_id && r.adset_id === undefined)).toBe(true);
		const expected = s.world.deliveryFor("acme", "meta", WINDOW, s.account);
		expect(rows.reduce((t, r) => t + Number(r.impressions), 0)).toBe(expected.reduce((t, r) => t + r.impressions, 0));
	});

	test("re-running the window publishes the same request ids; a restated day arrives on the re-pull", async () => {
		const s = await setup();
		const first = await s.run();
		const second = await s.run();
		const ids = (run: typeof first) => run.envelopes.map((e) => e.request_id);
		expect(ids(second)).toEqual(ids(first));
		expect(second.pages.map((p) => p.body)).toEqual(first.pages.map((p) => p.body));

		const day = "2026-02-10";
		const before = emittedDelivery(first);
		s.world.restate("acme", "meta", day);
		const third = await s.run();
		const after = emittedDelivery(third);
		expect(after).toEqual(expectedDelivery(s));
		const changed = [...after].filter(([key, value]) => before.get(key) !== value).map(([key]) => key.split(":")[1]);
		expect(changed.length).toBeGreaterThan(0);
		expect(new Set(changed)).toEqual(new Set([day]));
		const changedPages = third.envelopes.filter((e, i) => e.request_id !== first.envelopes[i]?.request_id);
		expect(changedPages.length).toBeGreaterThan(0);
		expect(changedPages.every((e) => e.stream === "delivery")).toBe(true);
	});

	test("a report stuck at 0 % is polled with intervals growing to the cap, then completes", async () => {
		const s = await setup();
		s.sim.faults.stuckReport(8);
		const run = await s.run();
		expect(run.deadLetters).toEqual([]);
		expect(run.sleeps).toEqual([
			5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000, 300_000, 300_000, 300_000,
		]);
		expect(emittedDelivery(run)).toEqual(expectedDelivery(s));
	});

	test("Job Failed and Job Skipped start a new run; a run failing every time ends in the DLQ with its status", async () => {
		const s = await setup();
		s.sim.faults.failReport(1, "Job Failed");
		s.sim.faults.failReport(1, "Job Skipped");
		const recovered = await s.run();
		expect(s.sim.stats.reportsCreated).toBe(3);
		expect(recovered.deadLetters).toEqual([]);
		expect(emittedDelivery(recovered)).toEqual(expectedDelivery(s));

		s.sim.faults.failReport(3, "Job Failed");
		const failed = await s.run();
		expect(failed.rejected).toHaveLength(1);
		expect(failed.rejected[0]?.reason).toContain("Job Failed (attempt 3 of 3)");
		expect(JSON.parse(failed.rejected[0]?.page.body ?? "{}").async_status).toBe("Job Failed");
		expect(failed.deadLetters.map((d) => d.kind)).toEqual(["rejected"]);
		// Entities still arrive: the run goes on.
		expect(failed.pages.map((p) => p.stream).sort()).toEqual(["ad_sets", "campaigns"]);
	});

	test("a run still going after the job timeout is abandoned and started again", async () => {
		const s = await setup({ source: { jobTimeoutMs: 600_000 } });
		s.sim.faults.stuckReport(50);
		const run = await s.run();
		expect(s.sim.stats.reportsCreated).toBe(2);
		expect(emittedDelivery(run)).toEqual(expectedDelivery(s));
	});
});
