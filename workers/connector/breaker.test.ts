import { afterAll, beforeAll, expect, test } from "bun:test";
import { createTestClock, type TestClock } from "../../test/support/clock.ts";
import {
	type ConnectorHarness,
	createConnectorHarness,
	serveSimulator,
	testConnection,
} from "../../test/support/connector-harness.ts";
import { BREAKER_RULE_ID } from "./breaker-alerts.ts";
import { createFakeApi, createFakeSource, type FakeApi } from "./fake-source.ts";
import type { Connection } from "./source.ts";

const window = { from: "2026-11-21", to: "2026-11-27" };
let api: FakeApi;
let server: { url: string; stop(): Promise<void> };
let clock: TestClock;
let harness: ConnectorHarness;
let connection: Connection;
const source = createFakeSource();

beforeAll(async () => {
	api = createFakeApi({ pages: 2, rowsPerPage: 1 });
	server = await serveSimulator(api.app);
	clock = createTestClock();
	harness = await createConnectorHarness({ clock, breakerCooldownMs: 300_000 });
	connection = testConnection({ source: "ttd", baseUrls: { api: server.url }, accounts: ["a1"] });
});
afterAll(async () => {
	await harness.close();
	await server.stop();
});

test("5 consecutive failed requests open the breaker, alert, show in status; a probe after the cool-down closes it", async () => {
	const failOnce = () => api.faults.script(...Array.from({ length: 4 }, () => ({ status: 503, body: "down" })));
	for (let i = 1; i <= 4; i++) {
		failOnce();
		const run = await harness.run(source, connection, window);
		expect(run.status?.state).toBe("failed");
		expect(run.alerts).toEqual([]);
	}
	failOnce();
	const fifth = await harness.run(source, connection, window);
	expect(fifth.status).toMatchObject({ state: "breaker_open", breaker_state: "open" });
	expect(fifth.alerts).toEqual([
		expect.objectContaining({
			rule_id: BREAKER_RULE_ID,
			state: "firing",
			org_id: "org-test",
			entity: { source: "ttd", account: "a1", connection_id: connection.id },
		}),
	]);
	expect(harness.metrics.gauge("pacer_connector_breaker_state", "").get({ source: "ttd", account: "a1" })).toBe(1);

	// While open, nothing is sent: the request fails at once and is dead-lettered as breaker_open.
	const seen = api.faults.seen.length;
	const blocked = await harness.run(source, connection, window);
	expect(api.faults.seen.length).toBe(seen);
	expect(blocked.deadLetters).toEqual([expect.objectContaining({ kind: "breaker_open", attempts: 0 })]);
	expect(blocked.status).toMatchObject({ state: "breaker_open", breaker_state: "open" });
	const lastSuccess = blocked.status?.last_success_at;

	clock.advance(300_000);
	const recovered = await harness.run(source, connection, window);
	expect(recovered.pages).toHaveLength(2);
	expect(recovered.status).toMatchObject({ state: "ok", breaker_state: "closed" });
	expect(recovered.status?.last_success_at).not.toBe(lastSuccess);
	expect(recovered.alerts).toEqual([expect.objectContaining({ rule_id: BREAKER_RULE_ID, state: "resolved" })]);
});

test("fatal responses (one bad request) never open the breaker", async () => {
	for (let i = 0; i < 6; i++) {
		api.faults.script({ status: 404, body: "nope" });
		const run = await harness.run(source, connection, window);
		expect(run.status?.breaker_state).toBe("closed");
	}
});
