import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { createTestClock } from "../test/support/clock.ts";
import { createTtdSimulator, TTD_REPORT_COLUMNS, TTD_TEMPLATE } from "./ttd.ts";
import { createWorld } from "./world.ts";

const world = createWorld();
const adv = world.org("acme").advertisers.find((a) => a.source === "ttd")?.id as string;

function setup() {
	const clock = createTestClock();
	const sim = createTtdSimulator(world, { now: clock.nowMs });
	const root = new Hono();
	root.route("/ttd", sim.app);
	let token = "";
	const call = async (method: string, path: string, body?: unknown) => {
		const response = await root.request(`http://sim.test/ttd${path}`, {
			method,
			headers: { "content-type": "application/json", "TTD-Auth": token },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await response.text();
		return { status: response.status, text, json: () => JSON.parse(text), headers: response.headers };
	};
	const login = async () => {
		token = (
			await call("POST", "/v3/authentication", { Login: "u", Password: "p", TokenExpirationInMinutes: 10 })
		).json().Token;
	};
	return { clock, sim, root, call, login };
}

describe("TTD simulator", () => {
	test("requires a live TTD-Auth token and validates the login body", async () => {
		const { clock, call, login } = setup();
		expect((await call("GET", `/v3/advertiser/${adv}`)).status).toBe(401);
		const bad = await call("POST", "/v3/authentication", { Login: "u" });
		expect(bad.status).toBe(400);
		expect(bad.json().ErrorDetails[0].Property).toBe("Password");
		await login();
		expect((await call("GET", `/v3/advertiser/${adv}`)).json().AdvertiserId).toBe(adv);
		clock.advance(10 * 60_000);
		expect((await call("GET", `/v3/advertiser/${adv}`)).status).toBe(401);
	});

	test("pages with PageStartIndex/PageSize and reports TotalFilteredCount", async () => {
		const { call, login } = setup();
		await login();
		const first = (
			await call("POST", "/v3/adgroup/query/advertiser", { AdvertiserId: adv, PageStartIndex: 0, PageSize: 4 })
		).json();
		expect(first).toMatchObject({ ResultCount: 4, TotalFilteredCount: 6, TotalUnfilteredCount: 6 });
		expect(first.Result[0].RTBAttributes.BudgetSettings.AdGroupFlights).toHaveLength(1);
		const rest = (
			await call("POST", "/v3/adgroup/query/advertiser", { AdvertiserId: adv, PageStartIndex: 4, PageSize: 4 })
		).json();
		expect(rest.ResultCount).toBe(2);
		const all = (await call("POST", "/v3/campaign/query/advertiser", { AdvertiserId: adv, PageSize: null })).json();
		expect(all.ResultCount).toBe(2);
		expect(all.Result[0].CampaignFlights[0]).toHaveProperty("EndDateExclusiveUTC");
		const tooBig = await call("POST", "/v3/campaign/query/advertiser", { AdvertiserId: adv, PageSize: 5000 });
		expect(tooBig.status).toBe(400);
		expect(tooBig.json().ErrorDetails[0].Property).toBe("PageSize");
	});

	test("report schedule -> Pending execution -> Complete with a signed link under the mount prefix -> CSV; the link expires", async () => {
		const { clock, sim, call, login, root } = setup();
		await login();
		sim.faults.stuckPending(1);
		const schedule = (
			await call("POST", "/v3/myreports/reportschedule", {
				ReportScheduleName: "t",
				ReportTemplateId: TTD_TEMPLATE.ReportTemplateId,
				AdvertiserFilters: [adv],
				ReportStartDateInclusive: "2026-06-01T00:00:00",
				ReportEndDateExclusive: "2026-06-08T00:00:00",
				ReportFileFormat: "CSV",
			})
		).json();
		const query = { AdvertiserIds: [adv], ReportScheduleIds: [schedule.ReportScheduleId], PageSize: 10 };
		const pending = (await call("POST", "/v3/myreports/reportexecution/query/advertisers", query)).json().Result[0];
		expect(pending.ReportExecutionState).toBe("Pending");
		expect(pending.ReportDeliveries[0].DownloadURL).toBeNull();
		const done = (await call("POST", "/v3/myreports/reportexecution/query/advertisers", query)).json().Result[0];
		expect(done.ReportExecutionState).toBe("Complete");
		const url: string = done.ReportDeliveries[0].DownloadURL;
		expect(url).toStartWith("http://sim.test/ttd/download/");
		const csv = await (await root.request(url)).text();
		const [header, ...rows] = csv.trim().split("\r\n");
		expect(header).toBe(TTD_REPORT_COLUMNS.join(","));
		expect(rows).toHaveLength(world.deliveryFor("acme", "ttd", { from: "2026-06-01", to: "2026-06-07" }, adv).length);
		clock.advance(3_600_001);
		const expired = await root.request(url);
		expect(expired.status).toBe(403);
		expect(await expired.text()).toContain("Request has expired");
	});

	test("faults: 429 with Retry-After, 240, malformed JSON; then normal service", async () => {
		const { sim, call, login } = setup();
		await login();
		sim.faults.throttle(1, 12);
		sim.faults.fail(1, 240);
		sim.faults.malformed(1);
		const throttled = await call("GET", `/v3/advertiser/${adv}`);
		expect(throttled.status).toBe(429);
		expect(throttled.headers.get("retry-after")).toBe("12");
		expect((await call("GET", `/v3/advertiser/${adv}`)).status).toBe(240);
		const malformed = await call("GET", `/v3/advertiser/${adv}`);
		expect(() => malformed.json()).toThrow();
		expect((await call("GET", `/v3/advertiser/${adv}`)).json().AdvertiserId).toBe(adv);
	});

	test("serves a year of delivery CSV at well over 50,000 rows/s", async () => {
		const big = createWorld({ campaignsPerAdvertiser: 10, lineItemsPerCampaign: 10 });
		const sim = createTtdSimulator(big);
		const advertiser = big.org("acme").advertisers.find((a) => a.source === "ttd")?.id as string;
		const token = (
			await (
				await sim.app.request("http://sim.test/v3/authentication", {
					method: "POST",
					body: JSON.stringify({ Login: "u", Password: "p" }),
				})
			).json()
		).Token;
		const post = (path: string, body: unknown) =>
			sim.app.request(`http://sim.test${path}`, {
				method: "POST",
				headers: { "TTD-Auth": token },
				body: JSON.stringify(body),
			});
		const schedule = await (
			await post("/v3/myreports/reportschedule", {
				ReportTemplateId: TTD_TEMPLATE.ReportTemplateId,
				AdvertiserFilters: [advertiser],
				ReportStartDateInclusive: "2026-01-01T00:00:00",
				ReportEndDateExclusive: "2027-01-01T00:00:00",
			})
		).json();
		const execution = (
			await (await post("/v3/myreports/reportexecution/query/advertisers", { AdvertiserIds: [advertiser] })).json()
		).Result.find((e: { ReportScheduleId: number }) => e.ReportScheduleId === schedule.ReportScheduleId);
		const started = performance.now();
		const csv = await (await sim.app.request(execution.ReportDeliveries[0].DownloadURL)).text();
		const seconds = (performance.now() - started) / 1000;
		const rows = csv.split("\r\n").length - 2;
		expect(rows).toBeGreaterThan(3000);
		expect(rows / seconds).toBeGreaterThan(50_000);
	});
});
