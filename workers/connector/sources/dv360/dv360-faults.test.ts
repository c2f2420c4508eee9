/**
 * The DV360 source under the simulator's faults, through the real framework
 * on a virtual clock: throttles waited out without losing data, 5xx retried
 * then dead-lettered, expired tokens refreshed without spending a retry,
 * reports stuck or FAILED, expired signed links, malformed responses.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import {
	createConnectorHarness,
	type HarnessOptions,
	runSourceForTest,
} from "../../../../test/support/connector-harness.ts";
import { createDv360Source } from "./index.ts";
import { type Dv360Fixture, deliveryTotals, expectedTotals, startDv360Fixture } from "./test-fixture.ts";

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

const run = (options: Partial<HarnessOptions> = {}, source = createDv360Source()) =>
	runSourceForTest(source, fx.connection(), WINDOW, { clock: fx.resetClock(), ...options });

/** The whole window's delivery arrived, to the micro. */
function expectComplete(result: Awaited<ReturnType<typeof run>>) {
	const got = deliveryTotals(result.pages);
	const expected = expectedTotals(fx.world, "acme", WINDOW);
	expect({ rows: got.rows, impressions: got.impressions, spendMicros: got.spendMicros }).toEqual(expected);
	expect(result.pages.filter((p) => p.stream === "line_items")).toHaveLength(2);
}

const backoffs = (sleeps: number[]) => sleeps.filter((ms) => ms === 1_000 || ms === 2_000 || ms === 4_000);

describe("DV360 source under faults", () => {
	test("429 RESOURCE_EXHAUSTED on the DV360 API waits for the next minute window, then goes on", async () => {
		fx.sim.faults.throttle(2, { api: "displayvideo" });
		const result = await run();
		expect(result.deadLetters).toEqual([]);
		expectComplete(result);
		// Virtual clock starts at 06:00:00 and has moved a few seconds: the wait ends on the minute.
		const waits = result.sleeps.filter((ms) => ms > 30_000 && ms <= 60_000);
		expect(waits).toHaveLength(2);
		expect(backoffs(result.sleeps)).toEqual([]);
	});

	test("the legacy 403 userRateLimitExceeded from Bid Manager is a throttle, not a permission error", async () => {
		fx.sim.faults.throttle(3, { api: "bidmanager", legacy: true });
		const result = await run();
		expect(result.deadLetters).toEqual([]);
		expectComplete(result);
		expect(backoffs(result.sleeps)).toEqual([]);
	});

	test("403 dailyLimitExceeded waits until midnight Pacific, then the report completes", async () => {
		fx.sim.faults.exhaustDailyQuota();
		const result = await run({ http: { maxThrottleWaitMs: 86_400_000 } });
		expect(result.deadLetters).toEqual([]);
		expectComplete(result);
		// The clock reads 06:00 UTC on 28 November, 22:00 PST on the 27th: 2 h to go.
		expect(result.sleeps[0]).toBe(2 * 3_600_000);
	});

	test("5xx ('Woops') is retried after 1 s, 2 s, 4 s and then dead-lettered; the run goes on", async () => {
		fx.sim.faults.serverError(4, { api: "bidmanager" });
		const result = await run();
		expect(backoffs(result.sleeps)).toEqual([1_000, 2_000, 4_000]);
		expect(result.deadLetters).toHaveLength(1);
		expect(result.deadLetters[0]).toMatchObject({ kind: "transient", attempts: 4, status: 503 });
		expect(result.deadLetters[0]?.body).toContain("Woops");
		expect(result.pages.filter((p) => p.stream === "delivery")).toEqual([]);
		expect(result.pages.filter((p) => p.stream === "line_items")).toHaveLength(2);
	});

	test("5xx twice then success: retried, nothing lost, nothing dead-lettered", async () => {
		fx.sim.faults.serverError(2, { api: "displayvideo", status: 500 });
		const result = await run();
		expect(backoffs(result.sleeps)).toEqual([1_000, 2_000]);
		expect(result.deadLetters).toEqual([]);
		expectComplete(result);
	});

	test("an expired token mid-run is refreshed and replayed without spending a retry", async () => {
		const issuedBefore = fx.tokens.tokens.issued;
		let expired = false;
		const hooked: typeof fetch = Object.assign(
			(input: string | URL | Request, init?: RequestInit) => {
				if (!expired && String(input).includes("/reports/")) {
					expired = true;
					fx.sim.faults.expireTokens();
				}
				return fetch(input, init);
			},
			{ preconnect: fetch.preconnect },
		);
		const result = await run({ fetch: hooked });
		expect(expired).toBe(true);
		expect(fx.tokens.tokens.issued - issuedBefore).toBe(2);
		expect(result.deadLetters).toEqual([]);
		expect(backoffs(result.sleeps)).toEqual([]);
		expectComplete(result);
	});

	test("a report stuck RUNNING is polled with growing waits (5 s doubling) until DONE", async () => {
		fx.sim.faults.stuckRunning(5);
		const result = await run();
		expect(result.sleeps.filter((ms) => ms >= 5_000)).toEqual([5_000, 10_000, 20_000, 40_000, 80_000, 160_000]);
		expect(result.deadLetters).toEqual([]);
		expectComplete(result);
	});

	test("a report that never finishes is given up after 5 h with the last report body; entities still land", async () => {
		fx.sim.faults.stuckRunning(10_000);
		const result = await run();
		const polls = result.sleeps.filter((ms) => ms >= 5_000);
		expect(Math.max(...polls)).toBe(300_000);
		expect(result.rejected).toHaveLength(1);
		expect(result.rejected[0]?.reason).toContain("still RUNNING");
		expect(JSON.parse(result.rejected[0]?.page.body ?? "{}").metadata.status.state).toBe("RUNNING");
		expect(result.deadLetters.map((d) => d.kind)).toEqual(["rejected"]);
		expect(result.pages.filter((p) => p.stream === "line_items")).toHaveLength(2);
	});

	test("a FAILED report is run once more; FAILED twice goes to the DLQ", async () => {
		fx.sim.faults.failReports(1);
		const once = await run();
		expect(fx.sim.calls.filter((c) => c.endsWith(":run"))).toHaveLength(2);
		expectComplete(once);

		fx.sim.faults.failReports(2);
		const twice = await run();
		expect(twice.rejected.map((r) => r.reason)).toEqual(["Bid Manager report FAILED"]);
		expect(twice.pages.filter((p) => p.stream === "delivery")).toEqual([]);
	});

	test("an expired signed link is replaced by re-getting the report", async () => {
		fx.sim.faults.expireSignedUrls(1);
		const result = await run();
		expect(fx.sim.calls.filter((c) => c.startsWith("GET /storage/"))).toHaveLength(2);
		expect(result.deadLetters).toEqual([]);
		expectComplete(result);
	});

	test("a CSV with an unexpected header is rejected with its raw body; the run goes on", async () => {
		fx.sim.faults.malformedCsvHeader(1);
		const result = await run();
		expect(result.rejected).toHaveLength(1);
		expect(result.rejected[0]?.reason).toContain("unexpected report CSV header");
		expect(result.rejected[0]?.page.body).toContain("Impressions (beta)");
		expect(result.deadLetters[0]).toMatchObject({ kind: "rejected" });
		expect(result.pages.filter((p) => p.stream === "delivery")).toEqual([]);
		expect(result.pages.filter((p) => p.stream === "line_items")).toHaveLength(2);
	});

	test("the empty-report fault is the documented single line, kept as a page", async () => {
		fx.sim.faults.emptyReports(1);
		const result = await run();
		expect(result.pages.find((p) => p.stream === "delivery")?.body).toBe(
			"No data returned by the reporting service.\n",
		);
		expect(result.rejected).toEqual([]);
	});

	test("malformed JSON from the DV360 API is rejected with the raw body; the other lists still land", async () => {
		fx.sim.faults.malformedJson(1, { path: "/insertionOrders" });
		const result = await run();
		expect(result.rejected).toHaveLength(1);
		expect(result.rejected[0]?.page.stream).toBe("insertion_orders");
		expect(result.rejected[0]?.page.body).toBe('{"error": false, "items": [{"id": "12');
		expect(result.deadLetters).toEqual([expect.objectContaining({ kind: "rejected" })]);
		expect(result.pages.filter((p) => p.stream === "insertion_orders")).toHaveLength(1);
		expectComplete(result);
	});

	test("one advertiser's outage opens its breaker after 5 failures, the status shows it, recovery closes it", async () => {
		const [sick] = fx.world.org("acme").advertisers.filter((a) => a.source === "dv360");
		const id = sick?.id ?? "";
		const clock = fx.resetClock();
		const harness = await createConnectorHarness({ clock, breakerCooldownMs: 300_000 });
		try {
			fx.sim.faults.serverError(1_000, { path: `/advertisers/${id}/` });
			const source = createDv360Source();
			const first = await harness.run(source, fx.connection(), WINDOW);
			expect(first.deadLetters.map((d) => d.kind)).toEqual(["transient", "transient", "transient"]);
			const second = await harness.run(source, fx.connection(), WINDOW);
			// Failures 4 and 5 open it; the third list is not even sent.
			expect(second.deadLetters.map((d) => d.kind)).toEqual(["transient", "transient", "breaker_open"]);
			expect(second.status?.breaker_state).toBe("open");
			expect(second.alerts.length).toBeGreaterThan(0);
			// The other advertiser and the report were not held back by the sick one.
			expect(deliveryTotals(second.pages).rows).toBe(expectedTotals(fx.world, "acme", WINDOW).rows);

			fx.sim.faults.reset();
			clock.advance(300_001);
			const third = await harness.run(source, fx.connection(), WINDOW);
			expect(third.deadLetters).toEqual([]);
			expect(third.status?.breaker_state).toBe("closed");
			expectComplete(third);
		} finally {
			await harness.close();
		}
	});
});
