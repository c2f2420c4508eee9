/**
 * Analyst commands over the SQL transforms in sql/:
 *   bun run sql:test              every model's given/expect cases and data tests, on the real engines
 *   bun run sql:lineage <model>   what a model reads and what reads it, with file versions
 * Exit status 1 when a test fails or the project does not load.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createDuckdbEngine } from "../lib/engine/duckdb.ts";
import { clickhouseSqlEngine, duckdbSqlEngine, type SqlEngine } from "../lib/sql/engine.ts";
import { describeLineage } from "../lib/sql/lineage.ts";
import type { Dialect } from "../lib/sql/model.ts";
import { loadProject } from "../lib/sql/project.ts";
import { testProject } from "../lib/sql/test-runner.ts";

const root = resolve(import.meta.dir, "../sql");
const sources = JSON.parse(readFileSync(join(root, "sources.json"), "utf8")) as string[];
const [command, arg] = process.argv.slice(2);

async function main(): Promise<number> {
	const project = loadProject(root, { sources });
	if (command === "lineage") {
		if (!arg) throw new Error("usage: bun run sql:lineage <layer.model>");
		console.log(describeLineage(project, arg));
		return 0;
	}
	if (command === "test") {
		const scratch = mkdtempSync(join(tmpdir(), "pacer-sql-test-"));
		const opened: { close(): Promise<void> }[] = [];
		const engines = new Map<Dialect, SqlEngine>();
		const engineFor = async (dialect: Dialect) => {
			let engine = engines.get(dialect);
			if (!engine) {
				if (dialect === "duckdb") {
					const duck = await createDuckdbEngine();
					opened.push(duck);
					engine = duckdbSqlEngine(duck);
				} else {
					const { createChdbWarehouse } = await import("../lib/warehouse/chdb.ts");
					const warehouse = await createChdbWarehouse({ path: join(scratch, "chdb"), database: "sql_test" });
					opened.push(warehouse);
					engine = clickhouseSqlEngine(warehouse);
				}
				engines.set(dialect, engine);
			}
			return engine;
		};
		try {
			const results = await testProject(
				project,
				engineFor,
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
			for (const o of opened.reverse()) await o.close();
			rmSync(scratch, { recursive: true, force: true });
		}
	}
	console.error("usage: bun scripts/sql.ts test [model] | lineage <model>");
	return 2;
}

try {
	process.exitCode = await main();
} catch (error) {
	console.error((error as Error).message);
	process.exitCode = 1;
}
