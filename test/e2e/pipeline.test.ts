/**
 * End to end through the embedded stack: the four API simulators → the
 * connector (real framework, virtual clock) → the embedded bus → the bronze
 * worker → the silver worker → Iceberg tables that ClickHouse's own reader
 * opens. Silver totals per org, source and day must equal the simulated
 * world's truth to the cent; a restated day must replace, never add.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { allTopics, BRONZE_DATA_CLEANED, CONNECTOR_DATA_RAW, createEmbeddedBus } from "../../lib/bus/index.ts";
import type { Bus } from "../../lib/bus/port.ts";
import { createDatabase, migrateToLatest } from "../../lib/db/index.ts";
import type { Database } from "../../lib/db/port.ts";
import { createDuckdbEngine } from "../../lib/engine/duckdb.ts";
import type { TransformEngine } from "../../lib/engine/port.ts";
import { type CatalogTables, createLake, fileUri } from "../../lib/lake/index.ts";
import { createLocalObjectStore } from "../../lib/objectstore/local.ts";
import { createLogger } from "../../lib/runtime/logger.ts";
import { type RunningWorker, startWorker } from "../../lib/runtime/worker.ts";
import { type RunningSimulators, startSimulators } from "../../simulators/index.ts";
import { createWorld, type DspSource, datesBetween, type World } from "../../simulators/world.ts";
import { SQL_ROOT } from "../../workers/bronze/boot.ts";
import { bronzeWorker } from "../../workers/bronze/index.ts";
import { createBronzeLedger } from "../../workers/bronze/ledger.ts";
import { openBronzeTables } from "../../workers/bronze/tables.ts";
import { loadBronzeTransform } from "../../workers/bronze/transform.ts";
import { connectionsOf } from "../../workers/connector/config.ts";
import { createDemoConfig } from "../../workers/connector/demo-config.ts";
import { createConnectorRuntime } from "../../workers/connector/runtime.ts";
import type { Connection, Source, SourceName } from "../../workers/connector/source.ts";
import { loadSources } from "../../workers/connector/source-registry.ts";
import { createStatusStore } from "../../workers/connector/status.ts";
import { silverWorker } from "../../workers/silver/index.ts";
import { createTestClock } from "../support/clock.ts";
import { type ClickhouseIceberg, openClickhouseIceberg } from "../support/lake-readers.ts";
import { testNamespace, waitFor } from "../support/namespace.ts";

const ns = testNamespace("e2e");
const root = join(ns.dir, "objects");
// A week in which every DSP of the simulated "acme" delivers.
const window = { from: "2026-06-01", to: "2026-06-07" };
const clock = createTestClock("2026-11-28T06:00:00Z");
const logger = createLogger({ level: "error", write: () => {} });
let world: World;
let simulators: RunningSimulators;
let bus: Bus;
let database: Database;
const engines: TransformEngine[] = [];
const workers: RunningWorker[] = [];
let connections: Connection[];
let sources: Partial<Record<SourceName, Source>>;
let runtime: ReturnType<typeof createConnectorRuntime>;
let clickhouse: ClickhouseIceberg;

async function openLake() {
	const engine = await createDuckdbEngine({ threads: 1 });
	engines.push(engine);
	const store = createLocalObjectStore({ root });
	const lake = await createLake({
		store,
		warehouseUri: fileUri(root),
		database: database as unknown as Database<CatalogTables>,
		engine,
		tempDir: join(ns.dir, `lake-${engines.length}`),
		localRoot: root,
	});
	return { lake, engine, store };
}

beforeAll(async () => {
	world = createWorld();
	simulators = await startSimulators({ world, now: clock.nowMs });
	connections = connectionsOf(createDemoConfig(world, simulators)).filter((c) => c.orgId === "acme");
	sources = await loadSources(logger);
	database = await createDatabase({ sqlitePath: join(ns.dir, "app.sqlite") });
	await migrateToLatest(database);
	bus = await createEmbeddedBus({ dir: join(ns.dir, "bus"), defaultPartitions: 1, onHandlerError: () => {} });
	await bus.ensureTopics(allTopics(1));

	const bronze = await openLake();
	const bronzeDefinition = bronzeWorker({
		bus,
		store: bronze.store,
		engine: bronze.engine,
		tables: await openBronzeTables(bronze.lake),
		ledger: createBronzeLedger(database.db as never),
		transform: loadBronzeTransform(SQL_ROOT),
		timezoneFor: async () => "America/New_York",
		tempDir: join(ns.dir, "bronze-stage"),
	});
	const silver = await openLake();
	const silverDefinition = silverWorker({
		lake: silver.lake,
		engine: silver.engine,
		bus,
	});
	for (const definition of [bronzeDefinition, silverDefinition]) {
		workers.push(startWorker({ ...definition, initialBackoffMs: 10 }, { bus, logger }));
	}
	runtime = createConnectorRuntime({
		bus,
		objectStore: bronze.store,
		status: createStatusStore(database as never),
		logger,
		clock,
	});
	clickhouse = await openClickhouseIceberg(join(ns.dir, "chdb"), root);
});

afterAll(async () => {
	for (const worker of workers) await worker.stop();
	await clickhouse?.close();
	for (const engine of engines) await engine.close();
	await bus?.close();
	await database?.close();
	await simulators?.stop();
	ns.cleanup();
});

async function pull(only?: SourceName[]): Promise<void> {
	for (const connection of connections.filter((c) => !only || only.includes(c.source))) {
		const source = sources[connection.source];
		if (!source) throw new Error(`no source ${connection.source}`);
		const result = await runtime.run(source, connection, window);
		expect({ connection: connection.id, deadLetters: result.deadLetters, error: result.error }).toEqual({
			connection: connection.id,
			deadLetters: 0,
			error: null,
		});
	}
	const drained = async (group: string, topic: string) => (await bus.lag(group, topic)).every((p) => p.lag === 0);
	await waitFor(
		async () =>
			(await drained("pacer-bronze", CONNECTOR_DATA_RAW)) && (await drained("pacer-silver", BRONZE_DATA_CLEANED)),
		{
			timeoutMs: 120_000,
			what: "bronze and silver to consume everything",
		},
	);
}

/** Cents from a decimal string, exactly. */
function cents(text: string): bigint {
	const [whole = "0", fraction = ""] = text.split(".");
	const sign = whole.startsWith("-") ? -1n : 1n;
	return sign * (BigInt(whole.replace("-", "")) * 100n + BigInt(`${fraction}00`.slice(0, 2)));
}

async function silverTotals(): Promise<Map<string, { impressions: number; spendCents: bigint }>> {
	const rows = await clickhouse.query<{ source: string; day: string; impressions: string; spend: string }>(
		`SELECT source, toString(report_date) AS day, toString(sum(impressions)) AS impressions, toString(sum(spend)) AS spend
		 FROM icebergLocal('${join(root, "silver", "delivery_daily")}') WHERE org_id = 'acme' GROUP BY source, day`,
	);
	return new Map(
		rows.map((r) => [`${r.source} ${r.day}`, { impressions: Number(r.impressions), spendCents: cents(r.spend) }]),
	);
}

function truth(): Map<string, { impressions: number; spendCents: bigint }> {
	const expected = new Map<string, { impressions: number; spendCents: bigint }>();
	for (const source of ["dv360", "ttd", "meta"] as DspSource[]) {
		for (const row of world.deliveryFor("acme", source, window)) {
			const key = `${source} ${row.date}`;
			const entry = expected.get(key) ?? { impressions: 0, spendCents: 0n };
			entry.impressions += row.impressions;
			entry.spendCents += row.spendMicros / 10_000n;
			expected.set(key, entry);
		}
	}
	return expected;
}

describe("pipeline end to end (embedded)", () => {
	test("silver totals per org, source and day equal the simulators' truth to the cent, read by ClickHouse", async () => {
		await pull();
		const expected = truth();
		expect(expected.size).toBeGreaterThan(0);
		expect(await silverTotals()).toEqual(expected);
		const bronze = await clickhouse.query<{ n: string }>(
			`SELECT toString(count()) AS n FROM icebergLocal('${join(root, "bronze", "raw_records")}') WHERE org_id = 'acme'`,
		);
		expect(Number(bronze[0]?.n)).toBeGreaterThan(0);
	}, 180_000);

	test("a restated day fetched again replaces the old numbers; pulling the same window again changes nothing", async () => {
		const day = [...truth().keys()].find((k) => k.startsWith("meta "))?.slice(5) ?? "";
		expect(datesBetween(window.from, window.to)).toContain(day);
		const before = truth().get(`meta ${day}`);
		world.restate("acme", "meta", day);
		expect(truth().get(`meta ${day}`)).not.toEqual(before);
		clock.advance(3_600_000);
		await pull(["meta"]);
		const after = await silverTotals();
		expect(after).toEqual(truth());
		await pull(["meta"]);
		expect(await silverTotals()).toEqual(after);
	}, 180_000);
});
