/**
 * Lake benchmark (prints figures; not a test). `bun run bench:lake`
 *   1. append 10M rows over 10 orgs x 60 days, beside DuckDB's own
 *      partitioned COPY ... TO parquet of the same rows (the ceiling);
 *   2. full scan rows/s through the lake against read_parquet on the same files;
 *   3. scan planning for one org and one month on a table of 10,000 data files.
 * BENCH_ROWS overrides the row count. Everything lives in a temp dir removed at the end.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDatabase } from "../lib/db/index.ts";
import { createDuckdbEngine } from "../lib/engine/index.ts";
import { type CatalogTables, createLake, fileUri, type TableDefinition } from "../lib/lake/index.ts";
import { createLocalObjectStore } from "../lib/objectstore/index.ts";

const ROWS = Number(process.env.BENCH_ROWS ?? 10_000_000);
const ORGS = 10;
const DAYS = 60;
const PLAN_FILES = 10_000;

const dir = mkdtempSync(join(tmpdir(), "pacer-bench-lake-"));
const root = join(dir, "warehouse");
const store = createLocalObjectStore({ root });
const database = await createDatabase<CatalogTables>({ sqlitePath: join(dir, "catalog.sqlite") });
const engine = await createDuckdbEngine();
const lakeOptions = {
	store,
	warehouseUri: fileUri(root),
	database,
	engine,
	tempDir: join(dir, "tmp"),
	localRoot: root,
};
const lake = await createLake(lakeOptions);

const definition = (name: string): TableDefinition => ({
	layer: "bronze",
	name,
	columns: [
		{ name: "org_id", type: "string", required: true },
		{ name: "report_date", type: "date", required: true },
		{ name: "campaign_id", type: "long", required: true },
		{ name: "impressions", type: "long", required: true },
		{ name: "clicks", type: "int" },
		{ name: "spend", type: "decimal(18, 6)" },
	],
	partitionBy: { org: "org_id", date: "report_date" },
});

const seconds = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
	const started = performance.now();
	const result = await work();
	return [result, (performance.now() - started) / 1000];
};
const rate = (rows: number, s: number) => `${Math.round(rows / s).toLocaleString("en-US")} rows/s`;
const line = (label: string, value: string) => console.log(`${label.padEnd(48)} ${value}`);

try {
	console.log(
		`lake benchmark: ${ROWS.toLocaleString("en-US")} rows, ${ORGS} orgs x ${DAYS} days, ${navigator.hardwareConcurrency} cores`,
	);
	await engine.run(`CREATE TABLE src AS SELECT
		'org' || (i % ${ORGS}) AS org_id,
		DATE '2026-01-01' + ((i // ${ORGS}) % ${DAYS})::INTEGER AS report_date,
		(i % 5000)::BIGINT AS campaign_id,
		(hash(i) % 100000)::BIGINT AS impressions,
		CASE WHEN i % 7 = 0 THEN NULL ELSE (hash(i) % 1000)::INTEGER END AS clicks,
		((hash(i) % 10000000)::DECIMAL(18, 6) / 1000)::DECIMAL(18, 6) AS spend
		FROM range(${ROWS}) t(i)`);

	const fieldIds = "{'org_id': 1, 'report_date': 2, 'campaign_id': 3, 'impressions': 4, 'clicks': 5, 'spend': 6}";
	const [, copySeconds] = await seconds(() =>
		engine.run(
			`SET partitioned_write_max_open_files = 4096; COPY src TO '${join(dir, "ceiling")}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (org_id, report_date), WRITE_PARTITION_COLUMNS true, FIELD_IDS ${fieldIds})`,
		),
	);
	const table = await lake.createTable(definition("bench"));
	const [, appendSeconds] = await seconds(() => table.append({ sql: "SELECT * FROM src" }));
	line("DuckDB COPY TO parquet (partitioned, ceiling)", `${rate(ROWS, copySeconds)} (${copySeconds.toFixed(2)} s)`);
	line("lake append (one commit)", `${rate(ROWS, appendSeconds)} (${appendSeconds.toFixed(2)} s)`);
	line("lake append / ceiling", `${((copySeconds / appendSeconds) * 100).toFixed(0)} % (target >= 50 %)`);

	const plan = await table.planScan();
	const paths = plan.files.map((f) => `'${new URL(f.dataFile.file_path).pathname}'`).join(", ");
	// Alternating, best of three each, so neither side profits alone from a warm page cache.
	const scan = "count(*) AS n, sum(impressions) AS s, sum(spend) AS m";
	let directSeconds = Number.POSITIVE_INFINITY;
	let lakeSeconds = Number.POSITIVE_INFINITY;
	let direct: { n: bigint }[] = [];
	let viaLake: { n: bigint }[] = [];
	for (let round = 0; round < 3; round++) {
		const [d, ds] = await seconds(() => engine.all<{ n: bigint }>(`SELECT ${scan} FROM read_parquet([${paths}])`));
		const [l, ls] = await seconds(() => table.query<{ n: bigint }>({ select: scan }));
		[direct, viaLake] = [d, l];
		directSeconds = Math.min(directSeconds, ds);
		lakeSeconds = Math.min(lakeSeconds, ls);
	}
	if (direct[0]?.n !== viaLake[0]?.n) throw new Error(`scan mismatch: ${direct[0]?.n} vs ${viaLake[0]?.n}`);
	line(
		`full scan, DuckDB read_parquet (${plan.files.length} files)`,
		`${rate(ROWS, directSeconds)} (${directSeconds.toFixed(2)} s)`,
	);
	line("full scan through the lake (plan + read)", `${rate(ROWS, lakeSeconds)} (${lakeSeconds.toFixed(2)} s)`);

	// A table of 10,000 small data files: appends of one row per partition.
	const many = await lake.createTable(definition("many_files"));
	const partitions = ORGS * DAYS;
	const appends = Math.ceil(PLAN_FILES / partitions);
	const [, buildSeconds] = await seconds(async () => {
		for (let a = 0; a < appends; a++) {
			const limit = Math.min(partitions, PLAN_FILES - a * partitions);
			await many.append({
				sql: `SELECT * FROM (SELECT DISTINCT ON (org_id, report_date) * FROM src) ORDER BY org_id, report_date LIMIT ${limit}`,
			});
		}
	});
	const filter = { orgIds: ["org3"], dateFrom: "2026-01-01", dateTo: "2026-01-31" };
	const coldLake = await createLake(lakeOptions);
	const cold = await coldLake.loadTable("bronze", "many_files");
	const [coldPlan, coldSeconds] = await seconds(() => cold.planScan(filter));
	const warm: number[] = [];
	for (let i = 0; i < 5; i++) warm.push((await seconds(() => cold.planScan(filter)))[1]);
	line(`built ${PLAN_FILES.toLocaleString("en-US")}-file table`, `${appends} commits in ${buildSeconds.toFixed(1)} s`);
	line(
		"scan planning, one org one month, cold",
		`${(coldSeconds * 1000).toFixed(1)} ms -> ${coldPlan.files.length} files`,
	);
	const median = warm.sort((a, b) => a - b)[2] ?? 0;
	line("scan planning, one org one month, warm (median)", `${(median * 1000).toFixed(1)} ms (target < 200 ms)`);
} finally {
	await engine.close();
	await database.close();
	rmSync(dir, { recursive: true, force: true });
}
