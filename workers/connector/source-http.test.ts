import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestClock, type TestClock } from "../../test/support/clock.ts";
import {
	type ConnectorHarness,
	createConnectorHarness,
	serveSimulator,
	testConnection,
} from "../../test/support/connector-harness.ts";
import { createFakeApi, createFakeSource, type FakeApi } from "./fake-source.ts";
import type { Connection } from "./source.ts";

const window = { from: "2026-11-21", to: "2026-11-27" };

describe("connector HTTP policy through the harness", () => {
	let api: FakeApi;
	let server: { url: string; stop(): Promise<void> };
	let clock: TestClock;
	let harness: ConnectorHarness;
	let connection: Connection;
	const source = createFakeSource();

	beforeAll(async () => {
		api = createFakeApi({ pages: 3, rowsPerPage: 2 });
		server = await serveSimulator(api.app);
		clock = createTestClock();
		harness = await createConnectorHarness({ clock });
		connection = testConnection({
			source: "ttd",
			baseUrls: { api: server.url },
			accounts: ["a1"],
			credentials: { password: "hunter2-secret" },
		});
	});
	afterAll(async () => {
		await harness.close();
		await server.stop();
	});

	test("pages to the end and records status ok", async () => {
		const run = await harness.run(source, connection, window);
		expect(run.pages.map((p) => p.pageKey)).toEqual(["page:0", "page:1", "page:2"]);
		expect(run.summary).toEqual({ pages: 3, rows: 6, rejected: 0 });
		expect(run.deadLetters).toEqual([]);
		expect(run.sleeps).toEqual([]);
		expect(run.status).toMatchObject({ state: "ok", breaker_state: "closed", rows_last_run: 6, pages_last_run: 3 });
		expect(run.envelopes[0]).toMatchObject({
			org_id: "org-test",
			connection_id: connection.id,
			stream: "items",
			window,
			page: 0,
		});
		expect(run.envelopes[0]?.body).toMatchObject({
			kind: "inline",
			content_type: "application/json",
			data: run.pages[0]?.body,
		});
	});

	test("an expired token is refreshed once and replayed, not an attempt", async () => {
		api.faults.expireToken();
		const run = await harness.run(source, connection, window);
		expect(run.pages).toHaveLength(3);
		expect(run.sleeps).toEqual([]);
		expect(run.deadLetters).toEqual([]);
		expect(harness.metrics.counter("pacer_connector_retries_total", "").get({ source: "ttd" })).toBe(0);
	});

	test("throttles are waited out (Retry-After) and not counted as attempts", async () => {
		api.faults.script(
			{ status: 429, headers: { "retry-after": "30" } },
			{ status: 429, headers: { "retry-after": "30" } },
			{ status: 429, headers: { "retry-after": "30" } },
			{ status: 429, headers: { "retry-after": "30" } },
		);
		const run = await harness.run(source, connection, window);
		expect(run.sleeps).toEqual([30_000, 30_000, 30_000, 30_000]);
		expect(run.pages).toHaveLength(3);
		expect(run.deadLetters).toEqual([]);
	});

	test("transient failures retry after 1 s, 2 s, 4 s, then the DLQ with the raw body", async () => {
		api.faults.script(...Array.from({ length: 4 }, () => ({ status: 503, body: "Woops, try later" })));
		const run = await harness.run(source, connection, window);
		expect(run.sleeps).toEqual([1000, 2000, 4000]);
		expect(run.deadLetters).toHaveLength(1);
		expect(run.deadLetters[0]).toMatchObject({ kind: "transient", attempts: 4, status: 503, body: "Woops, try later" });
		expect(run.status).toMatchObject({ state: "failed", breaker_state: "closed" });
		expect(run.status?.last_error).toContain("HTTP 503");
	});

	test("a transient failure that recovers within the retries loses nothing", async () => {
		api.faults.script({ status: 500 }, { status: 502 });
		const run = await harness.run(source, connection, window);
		expect(run.sleeps).toEqual([1000, 2000]);
		expect(run.pages).toHaveLength(3);
		expect(run.status?.state).toBe("ok");
	});

	test("a fatal response goes to the DLQ at once with the raw body", async () => {
		api.faults.script({ status: 400, body: '{"error":"INVALID_ARGUMENT"}' });
		const run = await harness.run(source, connection, window);
		expect(run.sleeps).toEqual([]);
		expect(run.deadLetters).toEqual([
			expect.objectContaining({ kind: "fatal", attempts: 1, status: 400, body: '{"error":"INVALID_ARGUMENT"}' }),
		]);
		expect(run.status?.state).toBe("failed");
	});

	test("a malformed page is rejected to the DLQ and the run goes on", async () => {
		const two = { ...connection, accounts: ["a1", "a2"] };
		api.faults.script({ status: 200, body: "{not json" });
		const run = await harness.run(source, two, window);
		expect(run.rejected).toHaveLength(1);
		expect(run.rejected[0]?.page.body).toBe("{not json");
		expect(run.deadLetters).toEqual([
			expect.objectContaining({ kind: "rejected", body: "{not json", stream: "items" }),
		]);
		expect(run.pages.map((p) => p.account)).toEqual(["a2", "a2", "a2"]);
		expect(run.status?.state).toBe("ok");
	});

	test("the same response gets the same request_id; a restated body a new one", async () => {
		const first = await harness.run(source, connection, window);
		const second = await harness.run(source, connection, window);
		expect(second.envelopes.map((e) => e.request_id)).toEqual(first.envelopes.map((e) => e.request_id));
		expect(new Set(first.envelopes.map((e) => e.trace_id)).size).toBe(1);
		expect(second.envelopes[0]?.trace_id).not.toBe(first.envelopes[0]?.trace_id);
		api.config.version = 2;
		const restated = await harness.run(source, connection, window);
		api.config.version = 1;
		expect(restated.envelopes[1]?.request_id).not.toBe(first.envelopes[1]?.request_id);
	});
});
