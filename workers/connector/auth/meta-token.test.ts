/** The Meta token provider against the Meta simulator over HTTP, on a virtual clock. */
import { afterAll, describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { createLogger } from "../../../lib/runtime/logger.ts";
import { createMetaSimulator } from "../../../simulators/meta.ts";
import { createWorld } from "../../../simulators/world.ts";
import { createTestClock } from "../../../test/support/clock.ts";
import { serveSimulator } from "../../../test/support/connector-harness.ts";
import { createMetaTokenAuth, MetaAuthError } from "./meta-token.ts";

const clock = createTestClock();
const sim = createMetaSimulator(createWorld({ advertisersPerSource: 1 }), { now: clock.nowMs });
const server = await serveSimulator(new Hono().route("/meta", sim.app));
afterAll(() => server.stop());

function provider(accessToken: string, app = true) {
	const lines: Record<string, unknown>[] = [];
	const logger = createLogger({ level: "debug", write: (line) => void lines.push(JSON.parse(line)) });
	const auth = createMetaTokenAuth({
		accessToken,
		...(app ? { appId: sim.appId, appSecret: sim.appSecret } : {}),
		graphUrl: `${server.url}/meta/v23.0`,
		fetch,
		now: clock.now,
		logger,
	});
	return { auth, lines };
}

describe("meta token provider", () => {
	test("a system-user token never expires; a user token 3 days from expiry warns, without the token in the log", async () => {
		const system = provider(sim.tokens.issue({ type: "SYSTEM_USER" }), false);
		expect(await system.auth.daysUntilExpiry?.()).toBeNull();
		expect(system.lines).toEqual([]);
		const token = sim.tokens.issue({ type: "USER", expiresInMs: 3.5 * 86_400_000 });
		const user = provider(token);
		expect(await user.auth.headers()).toEqual({ authorization: `Bearer ${token}` });
		expect(user.lines).toHaveLength(1);
		expect(user.lines[0]).toMatchObject({
			level: "warn",
			msg: "meta access token expires soon; renew it",
			days_left: 3,
		});
		expect(JSON.stringify(user.lines)).not.toContain(token);
	});

	test("refresh exchanges a valid token for a new long-lived one", async () => {
		const token = sim.tokens.issue({ type: "USER", expiresInMs: 86_400_000 });
		const { auth } = provider(token);
		await auth.refresh();
		const renewed = (await auth.headers()).authorization?.slice(7) as string;
		expect(renewed).not.toBe(token);
		expect(await auth.daysUntilExpiry?.()).toBe(60);
	});

	test("an expired token cannot be exchanged; without app credentials refresh fails at once", async () => {
		const token = sim.tokens.issue({ type: "USER", expiresInMs: 1000 });
		clock.advance(2000);
		const withApp = provider(token);
		expect(await withApp.auth.daysUntilExpiry?.()).toBe(0);
		const refused = withApp.auth.refresh();
		await expect(refused).rejects.toBeInstanceOf(MetaAuthError);
		await expect(refused).rejects.toThrow("code 190/463");
		await expect(provider(token, false).auth.refresh()).rejects.toThrow("no appId/appSecret");
	});
});
