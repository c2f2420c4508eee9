import { afterAll, beforeAll, expect, test } from "bun:test";
import { allTopics, CONNECTOR_DATA_RAW, createEmbeddedBus } from "../../lib/bus/index.ts";
import type { Bus } from "../../lib/bus/port.ts";
import { createDatabase, migrateToLatest } from "../../lib/db/index.ts";
import type { ConnectorTables } from "../../lib/db/migrations/0002-connectors.ts";
import type { Database } from "../../lib/db/port.ts";
import { createLocalObjectStore } from "../../lib/objectstore/index.ts";
import type { ObjectStore } from "../../lib/objectstore/port.ts";
import { createLogger } from "../../lib/runtime/logger.ts";
import { serveSimulator, testConnection } from "../../test/support/connector-harness.ts";
import { testNamespace } from "../../test/support/namespace.ts";
import { createFakeApi, createFakeSource } from "./fake-source.ts";
import { type ConnectorWorker, connectorWorker } from "./service.ts";

const ns = testNamespace("connector-service");
let bus: Bus;
let database: Database<ConnectorTables>;
let store: ObjectStore;
let server: { url: string; stop(): Promise<void> };
let worker: ConnectorWorker;

beforeAll(async () => {
	bus = await createEmbeddedBus({ dir: `${ns.dir}/bus`, defaultPartitions: 1 });
	await bus.ensureTopics(allTopics(1));
	database = await createDatabase<ConnectorTables>({ sqlitePath: `${ns.dir}/app.sqlite` });
	await migrateToLatest(database);
	store = createLocalObjectStore({ root: `${ns.dir}/objects` });
	server = await serveSimulator(createFakeApi({ pages: 2, rowsPerPage: 3 }).app);
	const connection = testConnection({
		source: "ttd",
		id: "c1",
		baseUrls: { api: server.url },
		accounts: ["a1"],
		schedule: "0 6 * * *",
		timezone: "Europe/Berlin",
	});
	worker = connectorWorker({
		bus,
		database,
		objectStore: store,
		logger: createLogger({ write: () => {} }),
		connections: [connection],
		sources: { ttd: createFakeSource() },
		backpressure: { cacheMs: 0 },
	});
});
afterAll(async () => {
	await worker.stop();
	await server.stop();
	await bus.close();
	await store.close();
	await database.close();
	ns.cleanup();
});

test("POST /connections/:id/run answers 202 with a run id, 409 while it runs; GET /connections shows the status", async () => {
	const started = await worker.app.request("/connections/c1/run", {
		method: "POST",
		headers: { "content-type": "application/json" },
		body: JSON.stringify({ from: "2026-11-01", to: "2026-11-03" }),
	});
	expect(started.status).toBe(202);
	const body = (await started.json()) as { run_id: string; window: unknown };
	expect(body.window).toEqual({ from: "2026-11-01", to: "2026-11-03" });
	const again = await worker.app.request("/connections/c1/run", { method: "POST" });
	expect(again.status).toBe(409);
	await worker.runner.idle();

	const list = (await (await worker.app.request("/connections")).json()) as { connections: Record<string, unknown>[] };
	expect(list.connections[0]).toMatchObject({
		id: "c1",
		source: "ttd",
		breakers: [{ account: "a1", state: "closed" }],
		status: { state: "ok", rows_last_run: 6, pages_last_run: 2 },
	});
	expect(String(list.connections[0]?.next_run_at)).toMatch(/T0[45]:00:00/);
	const runs = (await (await worker.app.request("/connections/c1/runs")).json()) as {
		runs: { runId: string; result: { state: string } }[];
	};
	expect(runs.runs[0]).toMatchObject({ runId: body.run_id, result: { state: "ok" } });
	const lag = await bus.lag("pacer-bronze", CONNECTOR_DATA_RAW);
	expect(lag.reduce((n, p) => n + p.lag, 0)).toBe(2);
	const metrics = await (await worker.app.request("/metrics")).text();
	expect(metrics).toContain('pacer_connector_pages_total{source="ttd",stream="items"} 2');
	expect(metrics).toContain("pacer_connector_backpressure_state");
});

test("bad windows and unknown connections are refused", async () => {
	expect(
		(await worker.app.request("/connections/c1/run?from=2026-11-05&to=2026-11-01", { method: "POST" })).status,
	).toBe(400);
	expect(
		(await worker.app.request("/connections/c1/run?from=yesterday&to=2026-11-01", { method: "POST" })).status,
	).toBe(400);
	expect((await worker.app.request("/connections/nope/run", { method: "POST" })).status).toBe(404);
});
