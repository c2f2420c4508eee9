/**
 * The Meta source under the simulator's faults, through the real framework
 * on a virtual clock: every throttling signal waited out without losing
 * data, the pre-emptive pause, transient errors retried then dead-lettered,
 * malformed pages rejected, and token expiry.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { ThrottleCode } from "../../../../simulators/meta.ts";
import { emittedDelivery, expectedDelivery, type MetaSetup, setupMeta } from "./testing.ts";

let current: MetaSetup | undefined;
afterEach(async () => {
	await current?.close();
	current = undefined;
});
const setup = async (options?: Parameters<typeof setupMeta>[0]) => {
	current = await setupMeta(options);
	return current;
};
const POLLS = [5_000, 10_000, 20_000, 40_000];
const TEN_MINUTES = 600_000;

describe("meta source throttling", () => {
	// [code, header that carries the wait, waits expected before the first request gets through]
	const signals: [ThrottleCode, string, number[]][] = [
		[80000, "X-Business-Use-Case-Usage estimated_time_to_regain_access (ads_insights)", [TEN_MINUTES]],
		[80004, "X-Business-Use-Case-Usage estimated_time_to_regain_access (ads_management)", [TEN_MINUTES]],
		[17, "X-Ad-Account-Usage reset_time_duration", [TEN_MINUTES]],
		[613, "X-Ad-Account-Usage reset_time_duration", [TEN_MINUTES]],
		[4, "X-App-Usage only (no time: 1 min pauses)", Array(10).fill(60_000)],
		[32, "X-App-Usage only (no time: 1 min pauses)", Array(10).fill(60_000)],
	];
	for (const [code, signal, waits] of signals) {
		test(`code ${code} as HTTP 400 (${signal}) is waited out without losing data`, async () => {
			const s = await setup();
			s.sim.faults.throttle({ code, forMs: TEN_MINUTES });
			const run = await s.run();
			expect(run.deadLetters).toEqual([]);
			expect(run.sleeps).toEqual([...waits, ...POLLS]);
			expect(s.sim.stats.throttled).toBe(waits.length);
			expect(emittedDelivery(run)).toEqual(expectedDelivery(s));
		});
	}

	test("usage at 96 % on a successful response pauses before the next request, so no throttle is hit", async () => {
		const s = await setup();
		s.sim.faults.nearLimit({ forMs: 45_000 });
		const run = await s.run();
		expect(s.sim.stats.throttled).toBe(0);
		expect(run.sleeps[0]).toBe(60_000);
		expect(emittedDelivery(run)).toEqual(expectedDelivery(s));
	});
});

describe("meta source failures", () => {
	test("5xx and code 2 are retried after 1 s and 2 s and recover", async () => {
		const s = await setup();
		s.sim.faults.serverError({ times: 1, route: "status", kind: "5xx" });
		s.sim.faults.serverError({ times: 1, route: "status", kind: "code2" });
		const run = await s.run();
		expect(run.deadLetters).toEqual([]);
		expect(run.sleeps.slice(0, 2)).toEqual([1_000, 2_000]);
		expect(emittedDelivery(run)).toEqual(expectedDelivery(s));
	});

	test("a request failing 4 times is retried 1 s, 2 s, 4 s then dead-lettered; the run goes on", async () => {
		const s = await setup();
		s.sim.faults.serverError({ times: 4, route: "campaigns", kind: "5xx" });
		const run = await s.run();
		expect(run.sleeps.slice(0, 3)).toEqual([1_000, 2_000, 4_000]);
		expect(run.deadLetters).toHaveLength(1);
		expect(run.deadLetters[0]).toMatchObject({ kind: "transient", attempts: 4, status: 503 });
		expect(run.pages.some((p) => p.stream === "campaigns")).toBe(false);
		expect(run.pages.some((p) => p.stream === "ad_sets")).toBe(true);
		expect(emittedDelivery(run)).toEqual(expectedDelivery(s));
	});

	test("bad JSON is rejected with the raw body; the run goes on with the next request", async () => {
		const s = await setup();
		s.sim.faults.badJson(1, "campaigns");
		const run = await s.run();
		expect(run.rejected).toHaveLength(1);
		expect(run.rejected[0]?.reason).toContain("not JSON");
		expect(run.deadLetters[0]).toMatchObject({ kind: "rejected", stream: "campaigns" });
		expect(run.deadLetters[0]?.body).toBe(run.rejected[0]?.page.body ?? "");
		expect(emittedDelivery(run)).toEqual(expectedDelivery(s));
	});

	test("an insights page missing required fields is rejected; the following pages still arrive", async () => {
		const s = await setup();
		s.sim.faults.missingFields(1, "results");
		const run = await s.run();
		expect(run.rejected).toHaveLength(1);
		expect(run.rejected[0]?.reason).toContain("lacks required field(s) date_start");
		expect(run.rejected[0]?.page.pageKey).toMatch(/:page:0$/);
		const emitted = emittedDelivery(run);
		const expected = expectedDelivery(s);
		expect(emitted.size).toBe(expected.size - 25);
		for (const [key, value] of emitted) expect(expected.get(key)).toBe(value);
		expect(run.summary?.rejected).toBe(1);
	});
	test("a field Meta no longer knows (code 100) is fatal at once: no retries, the run goes on", async () => {
		const s = await setup();
		s.sim.faults.removeField("actions");
		const run = await s.run();
		expect(run.deadLetters).toHaveLength(1);
		expect(run.deadLetters[0]).toMatchObject({ kind: "fatal", attempts: 1, status: 400 });
		expect(run.deadLetters[0]?.reason).toContain("Meta error 100");
		expect(run.sleeps).toEqual([]);
		expect(run.pages.map((p) => p.stream).sort()).toEqual(["ad_sets", "campaigns"]);
	});

	test("5 consecutive failures open the account's breaker, the status shows it, recovery closes it", async () => {
		const s = await setup();
		// Three requests per run (report, campaigns, ad sets), each tried 4 times: two runs reach 5 failures.
		s.sim.faults.serverError({ times: 20, kind: "5xx" });
		await s.run();
		const second = await s.run();
		expect(second.result.state).toBe("breaker_open");
		expect(second.status).toMatchObject({ state: "breaker_open", breaker_state: "open" });
		expect(second.deadLetters.map((d) => d.kind)).toEqual(["transient", "transient", "breaker_open"]);
		expect(second.alerts.length).toBeGreaterThan(0);
		s.clock.advance(300_000);
		const recovered = await s.run();
		expect(recovered.result.state).toBe("ok");
		expect(recovered.status?.breaker_state).toBe("closed");
		expect(emittedDelivery(recovered)).toEqual(expectedDelivery(s));
	});
});

describe("meta source tokens", () => {
	test("code 190/463 refreshes through fb_exchange_token and replays, not counted as an attempt", async () => {
		const s = await setup({ credentials: { appId: "sim-app", appSecret: "sim-secret" }, token: { type: "USER" } });
		s.sim.faults.authFailures(1, 463);
		const run = await s.run();
		expect(run.deadLetters).toEqual([]);
		expect(run.sleeps).toEqual(POLLS);
		expect(await s.harness.metrics.render()).toContain('pacer_connector_auth_refreshes_total{source="meta"} 1');
		expect(emittedDelivery(run)).toEqual(expectedDelivery(s));
	});

	test("an expired token cannot be exchanged: the run fails with a clear reason", async () => {
		const s = await setup({ credentials: { appId: "sim-app", appSecret: "sim-secret" }, token: { type: "USER" } });
		s.sim.tokens.expire(s.accessToken);
		const run = await s.run();
		expect(run.result.state).not.toBe("ok");
		expect(run.pages).toEqual([]);
		expect(run.deadLetters).toHaveLength(1);
		expect(run.deadLetters[0]?.reason).toContain("Meta refused to exchange the access token (code 190/463");
		expect(run.status?.last_error ?? "").toContain("issue a new long-lived or system-user token");
	});

	test("without app id and secret a rejected token is fatal at once", async () => {
		const s = await setup({ token: { type: "USER" } });
		s.sim.tokens.revoke(s.accessToken, 460);
		const run = await s.run();
		expect(run.pages).toEqual([]);
		expect(run.deadLetters[0]?.reason).toContain("no appId/appSecret");
		expect(run.deadLetters[0]?.body ?? "").not.toContain(s.accessToken);
	});
});
