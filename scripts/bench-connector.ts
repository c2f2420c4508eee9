/**
 * `bun run bench:connector`: rows/s and pages/s per source, from the
 * simulators through the real connector framework (HTTP policy, limiter,
 * breaker, request ids, envelopes, embedded bus) without throttling. The
 * clock is virtual so async-report polls cost no wall time: what is measured
 * is HTTP, parsing in the source and publishing. Target: ≥ 50,000 rows/s per source.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allTopics, createEmbeddedBus } from "../lib/bus/index.ts";
import { createDatabase, migrateToLatest } from "../lib/db/index.ts";
import type { ConnectorTables } from "../lib/db/migrations/0002-connectors.ts";
import { createLocalObjectStore } from "../lib/objectstore/index.ts";
import { createLogger } from "../lib/runtime/logger.ts";
import { startSimulators } from "../simulators/index.ts";
import { createWorld } from "../simulators/world.ts";
import { createTestClock } from "../test/support/clock.ts";
import { createFakeApi, createFakeSource } from "../workers/connector/fake-source.ts";
import { createConnectorRuntime } from "../workers/connector/runtime.ts";
import type { Connection, SourceName } from "../workers/connector/source.ts";
import { loadSources } from "../workers/connector/source-registry.ts";
import { createStatusStore } from "../workers/connector/status.ts";

const args = new Set(Bun.argv.slice(2));
const only = (["dv360", "ttd", "meta", "sheets"] as const).filter((s) => args.size === 0 || args.has(s));
const withFramework = args.size === 0 || args.has("framework");
const window = { from: "2026-01-01", to: "2026-12-31" };
const TARGET_ROWS_PER_S = 50_000;

const dir = mkdtempSync(join(tmpdir(), "pacer-bench-connector-"));
const clock = createTestClock("2027-01-01T06:00:00Z");
const world = createWorld({
	orgs: [{ id: "bench", name: "Bench Co", currency: "USD", timezone: "UTC" }],
	advertisersPerSource: 4,
	campaignsPerAdvertiser: 20,
	lineItemsPerCampaign: 20,
});
const sims = await startSimulators({
	world,
	now: clock.nowMs,
	checkGoogleTokens: false,
	sheets: { userQuotaPerMinute: 1e9, projectQuotaPerMinute: 1e9, extraBookings: 200_000 },
	meta: { pollsToComplete: 1 },
});
const logger = createLogger({ level: "error" });
const bus = await createEmbeddedBus({ dir: join(dir, "bus"), defaultPartitions: 1 });
await bus.ensureTopics(allTopics(1));
const objectStore = createLocalObjectStore({ root: join(dir, "objects") });
const database = await createDatabase<ConnectorTables>({ sqlitePath: join(dir, "app.sqlite") });
await migrateToLatest(database);
const runtime = createConnectorRuntime({ bus, objectStore, status: createStatusStore(database), logger, clock });
const sources = await loadSources(logger, only);

const BIG_PAGES: Partial<Record<SourceName, Record<string, unknown>>> = {
	meta: { pageSize: 5000 },
	ttd: { pageSize: 1000 },
};
const results: { source: string; rows: number; pages: number; seconds: number; state: string }[] = [];
try {
	for (const name of only) {
		const source = sources[name];
		if (!source) {
			results.push({ source: name, rows: 0, pages: 0, seconds: 0, state: "not available" });
			continue;
		}
		const connection: Connection = {
			id: `bench-${name}`,
			orgId: "bench",
			source: name,
			accounts: sims.accounts(name, "bench"),
			settings: { ...sims.settings(name, "bench"), ...BIG_PAGES[name] },
			credentials: sims.credentials(name),
			baseUrls: sims.baseUrls(name),
			schedule: null,
			lookbackDays: 0,
			timezone: "UTC",
		};
		const started = performance.now();
		const result = await runtime.run(source, connection, window);
		const seconds = (performance.now() - started) / 1000;
		results.push({
			source: name,
			rows: result.summary?.rows ?? 0,
			pages: result.pages,
			seconds,
			state: result.error ? `${result.state}: ${result.error.slice(0, 80)}` : result.state,
		});
	}
	if (withFramework) {
		// The framework alone: a trivial API serving big JSON pages, so nothing but HTTP + policy + publish is measured.
		const api = createFakeApi({ pages: 40, rowsPerPage: 5000 });
		const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: api.app.fetch });
		const connection: Connection = {
			id: "bench-framework",
			orgId: "bench",
			source: "ttd",
			accounts: ["a1"],
			settings: {},
			credentials: {},
			baseUrls: { api: `http://127.0.0.1:${server.port}` },
			schedule: null,
			lookbackDays: 0,
			timezone: "UTC",
		};
		const started = performance.now();
		const result = await runtime.run(createFakeSource(), connection, window);
		const seconds = (performance.now() - started) / 1000;
		await server.stop(true);
		results.push({
			source: "framework",
			rows: result.summary?.rows ?? 0,
			pages: result.pages,
			seconds,
			state: result.state,
		});
	}
} finally {
	runtime.stop();
	await sims.stop();
	await bus.close();
	await objectStore.close();
	await database.close();
	rmSync(dir, { recursive: true, force: true });
}

console.log(
	`connector bench, window ${window.from}..${window.to}, target ≥ ${TARGET_ROWS_PER_S.toLocaleString("en")} rows/s per source`,
);
console.log("source     rows        pages   seconds   rows/s      pages/s   state");
for (const r of results) {
	const rowsPerS = r.seconds > 0 ? r.rows / r.seconds : 0;
	console.log(
		`${r.source.padEnd(10)} ${String(r.rows).padStart(9)}  ${String(r.pages).padStart(6)}  ${r.seconds.toFixed(2).padStart(7)}  ${Math.round(rowsPerS).toLocaleString("en").padStart(9)}  ${(r.seconds > 0 ? r.pages / r.seconds : 0).toFixed(1).padStart(8)}   ${r.state}${rowsPerS >= TARGET_ROWS_PER_S ? "" : "  (below target)"}`,
	);
}
