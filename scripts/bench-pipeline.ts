/**
 * `bun run bench:pipeline [--rows N]`: raw delivery rows from the three DSPs,
 * in the pages their connectors really emit, through the bronze and the
 * silver worker on the embedded stack (embedded bus, local lake, SQLite
 * catalog). Prints rows/s per stage, both stages together, peak memory, and in
 * the same run DuckDB's own rows/s for the same silver SQL over the bronze rows
 * already in memory (the ceiling), and the floor of any pipeline of these
 * steps: DuckDB alone writing the bronze rows to day partitions once, the
 * ceiling's SQL, and writing silver's delivery rows to day partitions once.
 * Targets: ≥ 300,000 rows/s through bronze and silver together, peak RSS
 * < 1.5 GiB.
 *
 * The pages are produced first, in a child process (simulators → connector →
 * embedded bus on disk), so neither their production nor its memory counts:
 * this process only runs the two workers, one after the other, each until its
 * consumer group has nothing left. Each stage's peak RSS is its own (the
 * high-water mark is reset between them, and bronze's DuckDB closed, as its
 * process would be); the pipeline's peak is the larger.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allTopics, BRONZE_DATA_CLEANED, CONNECTOR_DATA_RAW, createEmbeddedBus } from "../lib/bus/index.ts";
import type { Bus } from "../lib/bus/port.ts";
import { loadConfig } from "../lib/config/index.ts";
import { createDatabase, migrateToLatest } from "../lib/db/index.ts";
import type { Database } from "../lib/db/port.ts";
import { createDuckdbEngine } from "../lib/engine/duckdb.ts";
import { type CatalogTables, createLake, fileUri } from "../lib/lake/index.ts";
import { createLocalObjectStore } from "../lib/objectstore/local.ts";
import { createLogger } from "../lib/runtime/logger.ts";
import { startWorker } from "../lib/runtime/worker.ts";
import { SQL_ROOT } from "../workers/bronze/boot.ts";
import { bronzeWorker } from "../workers/bronze/index.ts";
import { createBronzeLedger } from "../workers/bronze/ledger.ts";
import { openBronzeTables } from "../workers/bronze/tables.ts";
import { loadBronzeTransform } from "../workers/bronze/transform.ts";
import { loadSilverProject, silverWorker } from "../workers/silver/index.ts";
import { openModelRun } from "../workers/silver/run-models.ts";

const TARGET_ROWS_PER_S = 300_000;
const TARGET_RSS_BYTES = 1.5 * 1024 ** 3;
const WINDOW = { from: "2026-01-01", to: "2026-12-31" };
/** Delivery rows one org yields per DSP with the world below (measured: ~94 k per 1,600 line items). */
const LINE_ITEMS_PER_ORG_SOURCE = 5_000;

interface Generated {
	orgs: { id: string; timezone: string }[];
	pages: number;
	deliveryRows: number;
	rowsBySource: Record<string, number>;
	seconds: number;
}

function argument(name: string): string | undefined {
	const i = Bun.argv.indexOf(name);
	return i >= 0 ? Bun.argv[i + 1] : undefined;
}

/** Child process: the simulated world's year of delivery for `orgs` orgs, pulled by the real connectors. */
async function generate(dir: string, orgCount: number): Promise<void> {
	const { startSimulators } = await import("../simulators/index.ts");
	const { createWorld, DSP_SOURCES } = await import("../simulators/world.ts");
	const { createTestClock } = await import("../test/support/clock.ts");
	const { createConnectorRuntime } = await import("../workers/connector/runtime.ts");
	const { loadSources } = await import("../workers/connector/source-registry.ts");
	const { createStatusStore } = await import("../workers/connector/status.ts");
	const started = performance.now();
	const zones = ["America/New_York", "Europe/Berlin", "UTC", "Asia/Tokyo", "America/Los_Angeles", "Europe/London"];
	const orgs = Array.from({ length: orgCount }, (_, i) => ({
		id: `org${i + 1}`,
		name: `Bench Org ${i + 1}`,
		currency: i % 2 === 0 ? "USD" : "EUR",
		timezone: zones[i % zones.length] as string,
	}));
	const world = createWorld({ orgs, advertisersPerSource: 10, campaignsPerAdvertiser: 25, lineItemsPerCampaign: 20 });
	const clock = createTestClock("2027-01-02T06:00:00Z");
	const sims = await startSimulators({
		world,
		now: clock.nowMs,
		checkGoogleTokens: false,
		meta: { pollsToComplete: 1 },
	});
	const logger = createLogger({ level: "error" });
	const bus = await createEmbeddedBus({ dir: join(dir, "bus"), defaultPartitions: 1 });
	await bus.ensureTopics(allTopics(1));
	const objectStore = createLocalObjectStore({ root: join(dir, "objects") });
	const database = await createDatabase({ sqlitePath: join(dir, "connector.sqlite") });
	await migrateToLatest(database);
	const runtime = createConnectorRuntime({
		bus,
		objectStore,
		status: createStatusStore(database as never),
		logger,
		clock,
	});
	const sources = await loadSources(logger, [...DSP_SOURCES]);
	let pages = 0;
	const rowsBySource: Record<string, number> = {};
	try {
		for (const org of orgs) {
			for (const name of DSP_SOURCES) {
				const source = sources[name];
				if (!source) throw new Error(`source ${name} is not available`);
				const result = await runtime.run(
					source,
					{
						id: `bench-${org.id}-${name}`,
						orgId: org.id,
						source: name,
						accounts: sims.accounts(name, org.id),
						settings: sims.settings(name, org.id),
						credentials: sims.credentials(name),
						baseUrls: sims.baseUrls(name),
						schedule: null,
						lookbackDays: 0,
						timezone: org.timezone,
					},
					WINDOW,
				);
				if (result.error) throw new Error(`${org.id}/${name}: ${result.error}`);
				pages += result.pages;
				const delivery = world.deliveryFor(org.id, name, WINDOW).length;
				rowsBySource[name] = (rowsBySource[name] ?? 0) + delivery;
				process.stderr.write(`  ${org.id} ${name}: ${delivery.toLocaleString("en")} delivery rows\n`);
			}
		}
	} finally {
		runtime.stop();
		await sims.stop();
		await bus.close();
		await objectStore.close();
		await database.close();
	}
	const generated: Generated = {
		orgs: orgs.map((o) => ({ id: o.id, timezone: o.timezone })),
		pages,
		deliveryRows: Object.values(rowsBySource).reduce((a, b) => a + b, 0),
		rowsBySource,
		seconds: (performance.now() - started) / 1000,
	};
	writeFileSync(join(dir, "generated.json"), JSON.stringify(generated));
}

/** Peak and current resident memory of this process (VmHWM is the kernel's high-water mark). */
function memory(): { peak: number; rss: number } {
	const status = readFileSync("/proc/self/status", "utf8");
	const kib = (field: string) => Number(status.match(new RegExp(`${field}:\\s+(\\d+) kB`))?.[1] ?? 0) * 1024;
	return { peak: kib("VmHWM"), rss: kib("VmRSS") };
}

/** Starts a new high-water mark (Linux clear_refs 5), so each stage's peak is its own. */
function resetPeak(): void {
	writeFileSync("/proc/self/clear_refs", "5");
}

const mib = (bytes: number) => `${Math.round(bytes / 1024 ** 2).toLocaleString("en")} MiB`;
const rate = (rows: number, seconds: number) => Math.round(rows / seconds).toLocaleString("en");

async function drain(bus: Bus, group: string, topic: string): Promise<void> {
	for (;;) {
		const lag = await bus.lag(group, topic);
		if (lag.length > 0 && lag.every((p) => p.lag === 0)) return;
		await Bun.sleep(50);
	}
}

async function measure(dir: string, generated: Generated): Promise<void> {
	const logger = createLogger({ level: "warn" });
	const root = join(dir, "objects");
	const database = await createDatabase({ sqlitePath: join(dir, "app.sqlite") });
	await migrateToLatest(database);
	const bus = await createEmbeddedBus({ dir: join(dir, "bus"), defaultPartitions: 1 });
	const store = createLocalObjectStore({ root });
	// The workers' own DuckDB settings (lib/pipeline/lake-boot.ts): two threads, the configured memory
	// ceiling (PACER_DUCKDB_MEMORY_LIMIT), spilling to the worker's scratch directory.
	const { duckdbMemoryLimit } = loadConfig(process.env);
	const openLake = async (name: string) => {
		const engine = await createDuckdbEngine({
			threads: 2,
			memoryLimit: duckdbMemoryLimit,
			tempDirectory: join(dir, `${name}-duckdb`),
		});
		const lake = await createLake({
			store,
			warehouseUri: fileUri(root),
			database: database as unknown as Database<CatalogTables>,
			engine,
			tempDir: join(dir, `${name}-lake`),
			localRoot: root,
		});
		return { engine, lake };
	};
	const zones = new Map(generated.orgs.map((o) => [o.id, o.timezone]));
	const baseline = memory();

	// Stage 2: bronze.
	const bronze = await openLake("bronze");
	const bronzeRunning = startWorker(
		bronzeWorker({
			bus,
			store,
			engine: bronze.engine,
			tables: await openBronzeTables(bronze.lake),
			ledger: createBronzeLedger(database.db as never),
			transform: loadBronzeTransform(SQL_ROOT),
			timezoneFor: async (envelope) => zones.get(envelope.org_id) ?? "UTC",
			tempDir: join(dir, "bronze-stage"),
		}),
		{ bus, logger },
	);
	let started = performance.now();
	await drain(bus, "pacer-bronze", CONNECTOR_DATA_RAW);
	const bronzeSeconds = (performance.now() - started) / 1000;
	await bronzeRunning.stop();
	const afterBronze = memory();
	// Bronze is done: its DuckDB goes, as it would with the worker's process, before silver starts.
	await bronze.engine.close();
	Bun.gc(true);
	resetPeak();
	const [ledger] = await database.db
		.selectFrom("bronze_requests" as never)
		.select((eb) => [
			eb.fn.sum<number>("rows_in" as never).as("rows_in"),
			eb.fn.sum<number>("rows_written" as never).as("rows_written"),
			eb.fn.sum<number>("rows_quarantined" as never).as("rows_quarantined"),
			eb.fn.countAll<number>().as("pages"),
		])
		.execute();
	const bronzeRows = Number(ledger?.rows_in ?? 0);
	console.error(`  bronze done: ${bronzeRows.toLocaleString("en")} records in ${bronzeSeconds.toFixed(2)} s`);

	// Stage 3: silver.
	const silver = await openLake("silver");
	const silverRunning = startWorker(silverWorker({ lake: silver.lake, engine: silver.engine, bus }), {
		bus,
		logger,
	});
	started = performance.now();
	await drain(bus, "pacer-silver", BRONZE_DATA_CLEANED);
	const silverSeconds = (performance.now() - started) / 1000;
	await silverRunning.stop();
	// The pipeline's own high-water mark, before the ceiling below loads rows of its own.
	const afterSilver = memory();
	const delivery = await silver.lake.loadTable("silver", "delivery_daily");
	const [silverCount] = await delivery.query<{ n: bigint }>({ select: "count(*) AS n" });
	const silverRows = Number(silverCount?.n ?? 0);

	// The ceiling: DuckDB alone running the silver models over one org's bronze rows, already in memory
	// (one org, so the figure is comparable across --rows and fits in memory at 5M rows).
	const ceiling = await createDuckdbEngine({ threads: 2 });
	const raw = await silver.lake.loadTable("bronze", "raw_records");
	const ceilingOrg = generated.orgs[0]?.id ?? "";
	const plan = await raw.planScan({ orgIds: [ceilingOrg] });
	const files = plan.files.map(
		(f) => `'${join(root, f.dataFile.file_path.replace(fileUri(root), "").replace(/^\//, ""))}'`,
	);
	const run = await openModelRun(ceiling);
	await run.create("bronze.raw_records", `SELECT * FROM read_parquet([${files.join(", ")}])`);
	const models = loadSilverProject().order.filter((m) => m.layer === "silver");
	started = performance.now();
	const perModel: [string, number][] = [];
	for (const model of models) {
		const at = performance.now();
		await run.materialise(model);
		perModel.push([model.name, (performance.now() - at) / 1000]);
	}
	const ceilingSeconds = (performance.now() - started) / 1000;
	console.error(
		`  ceiling by model: ${perModel
			.sort((a, b) => b[1] - a[1])
			.map(([name, s]) => `${name} ${s.toFixed(2)} s`)
			.join(", ")}`,
	);
	const [ceilingCount] = await ceiling.all<{ n: bigint }>(
		`SELECT count(*) AS n FROM ${run.name("silver.delivery_daily")}`,
	);
	const [ceilingIn] = await ceiling.all<{ n: bigint }>(`SELECT count(*) AS n FROM ${run.name("bronze.raw_records")}`);
	const ceilingRows = Number(ceilingIn?.n ?? 0);
	// The floor of any pipeline with these three steps, on the same rows: DuckDB alone writing the bronze rows
	// to day partitions once, the silver SQL above, and writing silver's delivery rows to day partitions once.
	// No splitting, bus, staging, catalog, dedupe or memory ceiling: the most such a design can reach here.
	const writeOnce = async (logical: string, out: string) => {
		const at = performance.now();
		await ceiling.run(
			`SET partitioned_write_max_open_files = 4096; COPY (SELECT * FROM ${run.name(logical)}) TO '${join(dir, out)}' (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, PARTITION_BY (org_id, report_date))`,
		);
		return (performance.now() - at) / 1000;
	};
	const floorBronze = await writeOnce("bronze.raw_records", "floor-bronze");
	const floorSilver = await writeOnce("silver.delivery_daily", "floor-silver");
	const floorSeconds = floorBronze + ceilingSeconds + floorSilver;
	await run.close();
	await ceiling.close();

	await silver.engine.close();
	await bus.close();
	await store.close();
	await database.close();
	const end = memory();

	const together = bronzeSeconds + silverSeconds;
	const peak = Math.max(afterBronze.peak, afterSilver.peak);
	console.log(
		`pipeline bench: ${generated.deliveryRows.toLocaleString("en")} delivery rows of ${generated.orgs.length} orgs (${Object.entries(
			generated.rowsBySource,
		)
			.map(([s, n]) => `${s} ${n.toLocaleString("en")}`)
			.join(
				", ",
			)}), ${generated.pages.toLocaleString("en")} pages; produced in ${generated.seconds.toFixed(1)} s (not counted)`,
	);
	console.log(
		`bronze   ${bronzeRows.toLocaleString("en")} raw records (${Number(ledger?.rows_written ?? 0).toLocaleString("en")} written, ${Number(ledger?.rows_quarantined ?? 0).toLocaleString("en")} quarantined, ${Number(ledger?.pages ?? 0)} pages) in ${bronzeSeconds.toFixed(2)} s: ${rate(bronzeRows, bronzeSeconds)} rows/s`,
	);
	console.log(
		`silver   ${bronzeRows.toLocaleString("en")} bronze records → ${silverRows.toLocaleString("en")} silver.delivery_daily rows (truth ${generated.deliveryRows.toLocaleString("en")}) in ${silverSeconds.toFixed(2)} s: ${rate(bronzeRows, silverSeconds)} rows/s`,
	);
	console.log(
		`together ${bronzeRows.toLocaleString("en")} rows in ${together.toFixed(2)} s: ${rate(bronzeRows, together)} rows/s (target ≥ ${TARGET_ROWS_PER_S.toLocaleString("en")})${bronzeRows / together >= TARGET_ROWS_PER_S ? "" : "  BELOW TARGET"}`,
	);
	console.log(
		`ceiling  DuckDB alone, the silver models over ${ceilingOrg}'s ${ceilingRows.toLocaleString("en")} in-memory bronze rows (→ ${Number(ceilingCount?.n ?? 0).toLocaleString("en")}): ${ceilingSeconds.toFixed(2)} s, ${rate(ceilingRows, ceilingSeconds)} rows/s`,
	);
	console.log(
		`floor    DuckDB alone on the same rows: bronze rows to day partitions ${floorBronze.toFixed(2)} s + the silver SQL ${ceilingSeconds.toFixed(2)} s + delivery rows to day partitions ${floorSilver.toFixed(2)} s = ${floorSeconds.toFixed(2)} s: ${rate(ceilingRows, floorSeconds)} rows/s, the most a pipeline of these steps reaches here`,
	);
	console.log(
		`memory   peak RSS ${mib(peak)} (bronze ${mib(afterBronze.peak)}, silver ${mib(afterSilver.peak)}), DuckDB ceiling ${duckdbMemoryLimit} per worker (target < ${mib(TARGET_RSS_BYTES)})${peak < TARGET_RSS_BYTES ? "" : "  ABOVE TARGET"}; RSS before ${mib(baseline.rss)}, after bronze ${mib(afterBronze.rss)}, after silver ${mib(afterSilver.rss)}; silver with the ceiling run ${mib(end.peak)}`,
	);
	if (silverRows !== generated.deliveryRows) {
		console.log(
			`MISMATCH: silver.delivery_daily holds ${silverRows} rows, the world delivered ${generated.deliveryRows}`,
		);
		process.exitCode = 1;
	}
}

const generateInto = argument("--generate");
if (generateInto) {
	await generate(generateInto, Number(argument("--orgs") ?? 1));
} else {
	const rows = Number(argument("--rows") ?? 5_000_000);
	// ~59 delivery days per line item over the year: rows per org ≈ 3 DSPs × line items × 59.
	const orgs = Math.max(1, Math.round(rows / (3 * LINE_ITEMS_PER_ORG_SOURCE * 59)));
	const dir = argument("--dir") ?? mkdtempSync(join(tmpdir(), "pacer-bench-pipeline-"));
	try {
		const source = join(dir, "generated");
		if (!Bun.argv.includes("--reuse")) {
			console.error(`producing ~${rows.toLocaleString("en")} delivery rows (${orgs} orgs) through the connectors ...`);
			const child = Bun.spawn([process.execPath, import.meta.path, "--generate", source, "--orgs", String(orgs)], {
				stdout: "inherit",
				stderr: "inherit",
			});
			if ((await child.exited) !== 0) throw new Error("producing the pages failed");
		}
		// Each measurement works on a copy, so `--keep` then `--reuse --dir` reruns on the same pages.
		const work = join(dir, `run-${Date.now()}`);
		cpSync(source, work, { recursive: true });
		const generated = JSON.parse(readFileSync(join(work, "generated.json"), "utf8")) as Generated;
		try {
			await measure(work, generated);
		} finally {
			if (!Bun.argv.includes("--keep")) rmSync(work, { recursive: true, force: true });
		}
	} finally {
		if (!Bun.argv.includes("--keep")) rmSync(dir, { recursive: true, force: true });
	}
}
