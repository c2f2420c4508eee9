import { describe, expect, test } from "bun:test";
import { createTtdSimulator } from "../../../simulators/ttd.ts";
import { createWorld } from "../../../simulators/world.ts";
import { createTestClock } from "../../../test/support/clock.ts";
import { createTtdTokenAuth, TtdAuthError } from "./ttd-token.ts";

const world = createWorld();
const AUTH_URL = "http://ttd.test/v3/authentication";

function setup(options: { minutes?: number; login?: string; password?: string; token?: string } = {}) {
	const clock = createTestClock();
	const sim = createTtdSimulator(world, {
		now: clock.nowMs,
		credentials: { login: "api@acme.test", password: "s3cret" },
	});
	const fetchSim = ((input: string | URL | Request, init?: RequestInit) =>
		sim.app.request(input, init)) as typeof fetch;
	const auth = createTtdTokenAuth({
		authUrl: AUTH_URL,
		login: options.login ?? "api@acme.test",
		password: options.password ?? "s3cret",
		token: options.token,
		tokenExpirationInMinutes: options.minutes ?? 60,
		fetch: fetchSim,
		now: clock.now,
	});
	const advertiserId = world.org("acme").advertisers.find((a) => a.source === "ttd")?.id as string;
	const call = async () => {
		const response = await sim.app.request(`http://ttd.test/v3/advertiser/${advertiserId}`, {
			headers: await auth.headers(),
		});
		return response.status;
	};
	const logins = () => sim.requests.filter((r) => r.path === "/v3/authentication").length;
	return { clock, sim, auth, call, logins };
}

describe("TTD token auth", () => {
	test("logs in once, sends TTD-Auth, and reuses the token", async () => {
		const { auth, call, logins } = setup();
		const headers = await auth.headers();
		expect(headers["TTD-Auth"]).toStartWith("ttdsim.");
		expect(await call()).toBe(200);
		expect(await call()).toBe(200);
		expect(logins()).toBe(1);
	});

	test("logs in again at 90 % of the lifetime it asked for, before the token expires", async () => {
		const { clock, call, logins } = setup({ minutes: 60 });
		expect(await call()).toBe(200);
		clock.advance(53 * 60_000);
		expect(await call()).toBe(200);
		expect(logins()).toBe(1);
		clock.advance(60_000 + 1); // past 54 min: renewed while the old token still had 6 min to live
		expect(await call()).toBe(200);
		expect(logins()).toBe(2);
	});

	test("refresh() after a server-side expiry gets a working token", async () => {
		const { sim, auth, call, logins } = setup();
		expect(await call()).toBe(200);
		sim.faults.expireTokens();
		expect(await call()).toBe(401);
		await auth.refresh();
		expect(await call()).toBe(200);
		expect(logins()).toBe(2);
	});

	test("concurrent callers share one login", async () => {
		const { auth, logins } = setup();
		await Promise.all([auth.headers(), auth.headers(), auth.headers(), auth.headers()]);
		expect(logins()).toBe(1);
	});

	test("refused credentials are a non-retriable TtdAuthError without the password in it", async () => {
		const { auth } = setup({ password: "wrong-password" });
		const error = await auth.headers().catch((e: unknown) => e);
		expect(error).toBeInstanceOf(TtdAuthError);
		expect((error as TtdAuthError).retriable).toBe(false);
		expect((error as TtdAuthError).message).toContain("401");
		expect(JSON.stringify(error) + String(error)).not.toContain("wrong-password");
	});

	test("a long-lived token is used as is and cannot be refreshed", async () => {
		const { auth, logins } = setup({ login: "", password: "", token: "long-lived-token" });
		expect(await auth.headers()).toEqual({ "TTD-Auth": "long-lived-token" });
		await expect(auth.refresh()).rejects.toBeInstanceOf(TtdAuthError);
		expect(logins()).toBe(0);
	});
});
