/**
 * Analyst commands over the SQL transforms in sql/:
 *   bun run sql:test              every model's given/expect cases and data tests, on the real engines
 *   bun run sql:lineage <model>   what a model reads and what reads it, with file versions
 *   bun run sql:plan <file> [--org <id>] [--from <date>] [--to <date>]
 *                                 what a changed transform would change: the committed file (git HEAD) and the
 *                                 working copy run on the same lake data (default: every partition), rows
 *                                 matched on the model's unique(...) key and counted per org/date; writes nothing
 * Exit status 1 when a test fails or the project does not load.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { type Config, loadConfig } from "../lib/config/index.ts";
import { createDatabase } from "../lib/db/index.ts";
import { createDuckdbEngine } from "../lib/engine/duckdb.ts";
import type { TransformEngine } from "../lib/engine/port.ts";
import { type CatalogTables, createLake, fileUri, type Lake, type PartitionFilter } from "../lib/lake/index.ts";
import type { ObjectStore } from "../lib/objectstore/port.ts";
import { diffRows, formatDiff, type RelationDiff } from "../lib/sql/diff.ts";
import { createTestEngines } from "../lib/sql/engines.ts";
import { describeLineage } from "../lib/sql/lineage.ts";
import { type Model, parseModel } from "../lib/sql/model.ts";
import { loadProject } from "../lib/sql/project.ts";
import { testProject } from "../lib/sql/test-runner.ts";
import { openModelRun, stageFromLake } from "../workers/silver/run-models.ts";

const root = resolve(import.meta.dir, "../sql");
const [command, arg] = process.argv.slice(2);

async function main(): Promise<number> {
	if (command === "plan") {
		if (!arg) throw new Error("usage: bun run sql:plan <file> [--org <id>] [--from <date>] [--to <date>]");
		return runPlanCommand(arg, process.argv.slice(4));
	}
	const sources = JSON.parse(readFileSync(join(root, "sources.json"), "utf8")) as string[];
	const project = loadProject(root, { sources });
	if (command === "lineage") {
		if (!arg) throw new Error("usage: bun run sql:lineage <layer.model>");
		console.log(describeLineage(project, arg));
		return 0;
	}
	if (command === "test") {
		const scratch = mkdtempSync(join(tmpdir(), "pacer-sql-test-"));
		const engines = createTestEngines(scratch);
		try {
			const results = await testProject(
				project,
				engines.engineFor,
				arg ? (m) => m.name === arg || m.path.endsWith(arg) : undefined,
			);
			for (const r of results)
				console.log(
					`${r.ok ? "ok  " : "FAIL"} ${r.model} :: ${r.test}${r.detail ? `\n     ${r.detail.replace(/\n/g, "\n     ")}` : ""}`,
				);
			const failed = results.filter((r) => !r.ok).length;
			console.log(`sql:test: ${project.models.length} models, ${results.length - failed} passed, ${failed} failed`);
			return failed === 0 ? 0 : 1;
		} finally {
			await engines.close();
			rmSync(scratch, { recursive: true, force: true });
		}
	}
	console.error("usage: bun scripts/sql.ts test [model] | lineage <model> | plan <file>");
	return 2;
}

/** The file as committed at HEAD in its git repository; null when it is new (not committed yet). */
export function committedText(file: string): string | null {
	const path = resolve(file);
	const top = Bun.spawnSync(["git", "rev-parse", "--show-toplevel"], { cwd: dirname(path) });
	if (top.exitCode !== 0) throw new Error(`${file} is not inside a git repository`);
	const rel = relative(top.stdout.toString().trim(), path);
	const shown = Bun.spawnSync(["git", "show", `HEAD:${rel}`], { cwd: dirname(path) });
	return shown.exitCode === 0 ? shown.stdout.toString() : null;
}

export interface PlanOptions {
	/** The model file under review (its folder is loaded as one layer). */
	file: string;
	/** The file's committed text (git HEAD); null = a new model, every row is added. */
	committed: string | null;
	/** Lake holding the input tables of other layers; only read. */
	lake: Lake;
	/** The lake's DuckDB engine. */
	engine: TransformEngine;
	/** Partitions of the inputs to read; default every partition. */
	filter?: PartitionFilter;
}

/**
 * Runs the committed and the working version of one model over the same
 * inputs: the layer's upstream models (working copies) over the lake's
 * current data. The key is the model's first unique(...) test; partitions
 * are org_id/report_date when the output has them.
 */
export async function planModel(options: PlanOptions): Promise<{ diff: RelationDiff; text: string }> {
	const folder = dirname(resolve(options.file));
	const layerModels = readdirSync(folder)
		.filter((f) => f.endsWith(".sql") && !f.endsWith(".assert.sql"))
		.map((f) => parseModel(join(folder, f), readFileSync(join(folder, f), "utf8")));
	const names = new Set(layerModels.map((m) => m.name));
	const external = [...new Set(layerModels.flatMap((m) => m.inputs).filter((i) => !names.has(i)))];
	const project = loadProject(folder, { sources: external });
	const working = project.models.find((m) => resolve(m.path) === resolve(options.file));
	if (!working) throw new Error(`${options.file} is not a model of ${folder}`);
	const upstream: Model[] = [];
	const visit = (name: string) => {
		const model = project.models.find((m) => m.name === name);
		if (!model || upstream.includes(model)) return;
		for (const input of model.inputs) visit(input);
		upstream.push(model);
	};
	for (const input of working.inputs) visit(input);
	const unique = working.tests.map((t) => /^unique\s*\(([^)]*)\)$/.exec(t)?.[1]).find(Boolean);
	if (!unique) throw new Error(`${working.path} declares no unique(...) test: its rows cannot be matched`);
	const key = unique.split(",").map((c) => c.trim());

	const run = await openModelRun(options.engine);
	try {
		const needed = new Set([...upstream.flatMap((m) => m.inputs), ...working.inputs]);
		for (const input of external.filter((i) => needed.has(i)))
			await stageFromLake(run, options.lake, input, options.filter ?? {});
		for (const model of upstream) await run.materialise(model);
		const before: Record<string, unknown>[] = [];
		if (options.committed !== null) {
			await run.materialise(parseModel(working.path, options.committed));
			before.push(...(await options.engine.all(`SELECT * FROM ${run.name(working.name)}`)));
		}
		await run.materialise(working);
		const after = await options.engine.all(`SELECT * FROM ${run.name(working.name)}`);
		const columns = Object.keys(after[0] ?? before[0] ?? {});
		const partitionBy = ["org_id", "report_date"].filter((c) => columns.includes(c));
		const diff = diffRows(before, after, { key, partitionBy });
		return { diff, text: formatDiff(diff) };
	} finally {
		await run.close();
	}
}

async function runPlanCommand(file: string, flags: string[]): Promise<number> {
	const flag = (name: string) => {
		const i = flags.indexOf(`--${name}`);
		return i >= 0 ? flags[i + 1] : undefined;
	};
	const org = flag("org");
	const filter: PartitionFilter = {
		...(org ? { orgIds: [org] } : {}),
		...(flag("from") ? { dateFrom: flag("from") } : {}),
		...(flag("to") ? { dateTo: flag("to") } : {}),
	};
	const config = loadConfig(process.env);
	const scratch = mkdtempSync(join(tmpdir(), "pacer-sql-plan-"));
	const engine = await createDuckdbEngine();
	const database = await createDatabase<CatalogTables>(
		config.database.kind === "postgres"
			? { url: config.database.url, ...(config.database.schema ? { schema: config.database.schema } : {}) }
			: { sqlitePath: config.database.path },
	);
	const { store, warehouseUri, localRoot } = await openStore(config);
	try {
		const lake = await createLake({
			store,
			warehouseUri,
			database,
			engine,
			tempDir: scratch,
			...(localRoot ? { localRoot } : {}),
		});
		const { text } = await planModel({ file, committed: committedText(file), lake, engine, filter });
		console.log(text);
		return 0;
	} finally {
		await engine.close();
		await database.close();
		await store.close();
		rmSync(scratch, { recursive: true, force: true });
	}
}

async function openStore(config: Config): Promise<{ store: ObjectStore; warehouseUri: string; localRoot?: string }> {
	const s = config.objectStore;
	if (s.kind === "local") {
		const { createLocalObjectStore } = await import("../lib/objectstore/local.ts");
		return { store: createLocalObjectStore({ root: s.root }), warehouseUri: fileUri(s.root), localRoot: s.root };
	}
	const { createS3ObjectStore } = await import("../lib/objectstore/s3.ts");
	return {
		store: createS3ObjectStore({
			bucket: s.bucket,
			prefix: s.prefix,
			region: s.region,
			...(s.endpoint ? { endpoint: s.endpoint } : {}),
			...(s.credentials ? { credentials: { ...s.credentials } } : {}),
		}),
		warehouseUri: `s3://${s.bucket}${s.prefix ? `/${s.prefix}` : ""}`,
	};
}

if (import.meta.main) {
	try {
		process.exitCode = await main();
	} catch (error) {
		console.error((error as Error).message);
		process.exitCode = 1;
	}
}
