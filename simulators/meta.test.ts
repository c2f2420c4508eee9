import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { createTestClock } from "../test/support/clock.ts";
import { createMetaSimulator } from "./meta.ts";
import { createWorld } from "./world.ts";

const ORG = { id: "acme", name: "Acme", currency: "USD", timezone: "America/New_York" };
const world = createWorld({
	orgs: [ORG],
	advertisersPerSource: 1,
	campaignsPerAdvertiser: 2,
	lineItemsPerCampaign: 3,
	days: 120,
});
const account = world.org("acme").advertisers.find((a) => a.source === "meta")?.id as string;
const WINDOW = { from: "2026-02-01", to: "2026-02-28" };
const auth = { authorization: "Bearer any-token" };

function setup() {
	const clock = createTestClock();
	const sim = createMetaSimulator(world, { now: clock.nowMs });
	const parent = new Hono().route("/meta", sim.app);
	const call = (path: string, init: RequestInit = {}) =>
		parent.request(`http://sim.test/meta${path}`, { ...init, headers: { ...auth, ...(init.headers ?? {}) } });
	return { clock, sim, call };
}

async function createRun(call: ReturnType<typeof setup>["call"]) {
	const form = new URLSearchParams({
		level: "adset",
		time_increment: "1",
		time_range: JSON.stringify({ since: WINDOW.from, until: WINDOW.to }),
		fields: "account_id,adset_id,impressions,clicks,spend,actions",
	});
	const response = await call(`/v23.0/act_${account}/insights`, { method: "POST", body: form });
	expect(response.status).toBe(200);
	return ((await response.json()) as { report_run_id: string }).report_run_id;
}

describe("meta simulator", () => {
	test("a report run moves through async_status one poll at a time, then pages with cursors", async () => {
		const { call } = setup();
		const runId = await createRun(call);
		const seen: string[] = [];
		for (let i = 0; i < 5; i++) {
			const status = (await (await call(`/v23.0/${runId}`)).json()) as Record<string, unknown>;
			seen.push(`${status.async_status} ${status.async_percent_completion}`);
		}
		expect(seen).toEqual([
			"Job Not Started 0",
			"Job Started 0",
			"Job Running 50",
			"Job Running 100",
			"Job Completed 100",
		]);
		let url: string | undefined = `http://sim.test/meta/v23.0/${runId}/insights?limit=50`;
		const rows: Record<string, unknown>[] = [];
		let pages = 0;
		while (url) {
			const page = (await (await call(url.replace("http://sim.test/meta", ""))).json()) as {
				data: Record<string, unknown>[];
				paging: { next?: string };
			};
			rows.push(...page.data);
			pages++;
			url = page.paging.next;
			// Absolute, under the mount prefix, from the request's own origin.
			if (url) expect(url.startsWith(`http://sim.test/meta/v23.0/${runId}/insights?`)).toBe(true);
		}
		const expected = world.deliveryFor("acme", "meta", WINDOW, account);
		expect(pages).toBe(Math.ceil(expected.length / 50));
		expect(rows.length).toBe(expected.length);
		expect(typeof rows[0]?.impressions).toBe("string");
		const spend = rows.reduce((s, r) => s + Math.round(Number(r.spend) * 100), 0);
		expect(spend).toBe(Number(expected.reduce((s, r) => s + r.spendMicros, 0n) / 10_000n));
	});

	test("a throttle keeps answering HTTP 400 until its window resets on the injected clock", async () => {
		const { clock, sim, call } = setup();
		sim.faults.throttle({ code: 80000, forMs: 5 * 60_000 });
		const first = await call(`/v23.0/act_${account}/campaigns?fields=id,name`);
		expect(first.status).toBe(400);
		expect(((await first.json()) as { error: { code: number } }).error.code).toBe(80000);
		const buc = JSON.parse(first.headers.get("x-business-use-case-usage") ?? "{}")[account];
		expect(buc.find((e: { type: string }) => e.type === "ads_insights").estimated_time_to_regain_access).toBe(5);
		clock.advance(4_000);
		expect((await call(`/v23.0/act_${account}/campaigns`)).status).toBe(400);
		clock.advance(5 * 60_000);
		expect((await call(`/v23.0/act_${account}/campaigns`)).status).toBe(200);

		sim.faults.throttle({ code: 17, forMs: 30_000 });
		const second = await call(`/v23.0/act_${account}/adsets`);
		expect(second.status).toBe(400);
		expect(JSON.parse(second.headers.get("x-ad-account-usage") ?? "{}").reset_time_duration).toBe(30);
	});

	test("tokens: expired ones answer 190/463 and cannot be exchanged; system users never expire", async () => {
		const { clock, sim, call } = setup();
		const user = sim.tokens.issue({ type: "USER", expiresInMs: 3 * 86_400_000 });
		const system = sim.tokens.issue({ type: "SYSTEM_USER" });
		const debug = async (token: string) =>
			(
				(await (
					await call(`/v23.0/debug_token?input_token=${token}`, {
						headers: { authorization: "Bearer sim-app|sim-secret" },
					})
				).json()) as { data: { expires_at: number; is_valid: boolean } }
			).data;
		expect((await debug(system)).expires_at).toBe(0);
		expect((await debug(user)).expires_at).toBe(Math.floor((clock.nowMs() + 3 * 86_400_000) / 1000));
		clock.advance(4 * 86_400_000);
		const expired = await call(`/v23.0/act_${account}/campaigns`, { headers: { authorization: `Bearer ${user}` } });
		expect(expired.status).toBe(400);
		expect(((await expired.json()) as { error: { code: number; error_subcode: number } }).error).toMatchObject({
			code: 190,
			error_subcode: 463,
		});
		const exchange = await call(
			`/v23.0/oauth/access_token?grant_type=fb_exchange_token&client_id=sim-app&client_secret=sim-secret&fb_exchange_token=${user}`,
		);
		expect(exchange.status).toBe(400);
	});

	test("faults: bad JSON, missing fields, unknown fields, stuck and failed runs", async () => {
		const { sim, call } = setup();
		sim.faults.badJson(1, "campaigns");
		const bad = await call(`/v23.0/act_${account}/campaigns?fields=id`);
		expect(bad.status).toBe(200);
		await expect(bad.clone().json()).rejects.toThrow();
		sim.faults.missingFields(1, "adsets");
		const missing = (await (await call(`/v23.0/act_${account}/adsets?fields=id,name`)).json()) as { data: object[] };
		expect(missing.data.every((r) => !("id" in r))).toBe(true);
		const unknown = await call(`/v23.0/act_${account}/adsets?fields=id,not_a_field`);
		expect(((await unknown.json()) as { error: { code: number } }).error.code).toBe(100);

		sim.faults.stuckReport(3);
		sim.faults.failReport(1, "Job Failed");
		const runId = await createRun(call);
		const states: string[] = [];
		for (let i = 0; i < 8; i++) {
			const s = (await (await call(`/v23.0/${runId}`)).json()) as Record<string, unknown>;
			states.push(`${s.async_status} ${s.async_percent_completion}`);
		}
		expect(states.slice(0, 3)).toEqual(["Job Running 0", "Job Running 0", "Job Running 0"]);
		expect(states.at(-1)).toBe("Job Failed 0");
	});

	// A smoke floor only: the machine is shared; `bun run bench:connector` gates 50,000 rows/s end to end.
	test("throughput: a two-month report of 400 ad sets is served in 5,000-row pages (floor 20,000 rows/s)", async () => {
		const big = createWorld({
			orgs: [ORG],
			advertisersPerSource: 1,
			campaignsPerAdvertiser: 20,
			lineItemsPerCampaign: 20,
			days: 120,
		});
		const bigAccount = big.org("acme").advertisers.find((a) => a.source === "meta")?.id as string;
		const sim = createMetaSimulator(big, { pollsToComplete: 0 });
		const started = performance.now();
		const form = new URLSearchParams({
			level: "adset",
			time_increment: "1",
			time_range: JSON.stringify({ since: "2026-02-01", until: "2026-03-31" }),
			fields:
				"account_id,account_currency,campaign_id,campaign_name,adset_id,adset_name,impressions,clicks,spend,actions",
		});
		const get = (path: string) => sim.app.request(`http://sim.test${path}`, { headers: auth });
		const created = await sim.app.request(`http://sim.test/v23.0/act_${bigAccount}/insights`, {
			method: "POST",
			body: form,
			headers: auth,
		});
		const runId = ((await created.json()) as { report_run_id: string }).report_run_id;
		await get(`/v23.0/${runId}`);
		let url: string | undefined = `http://sim.test/v23.0/${runId}/insights?limit=5000`;
		let rows = 0;
		while (url) {
			const page = JSON.parse(await (await get(url.slice("http://sim.test".length))).text()) as {
				data: unknown[];
				paging: { next?: string };
			};
			rows += page.data.length;
			url = page.paging.next;
		}
		const perSecond = rows / ((performance.now() - started) / 1000);
		console.log(`meta simulator: ${rows} rows at ${Math.round(perSecond)} rows/s`);
		expect(rows).toBe(big.deliveryFor("acme", "meta", { from: "2026-02-01", to: "2026-03-31" }).length);
		expect(perSecond).toBeGreaterThan(20_000);
	});
});
