import { existsSync, readFileSync } from "node:fs";
import { casesPath, compareRows, loadCases } from "./cases.ts";
import { dataTestsFor, parseAssertFile } from "./data-tests.ts";
import type { SqlEngine } from "./engine.ts";
import type { Dialect, Model } from "./model.ts";
import type { SqlProject } from "./project.ts";

export interface TestResult {
	model: string;
	test: string;
	ok: boolean;
	detail?: string;
}

/**
 * Runs every model's given/expect cases on the real engine and, inside each
 * case, the model's data tests (header tests and `<file>.assert.sql`) over
 * the case's output. Returns one result per test and never throws, like
 * kysely's migrator: a broken model is a failed result, not a crash.
 */
export async function testProject(
	project: SqlProject,
	engineFor: (dialect: Dialect) => Promise<SqlEngine>,
	filter?: (model: Model) => boolean,
): Promise<TestResult[]> {
	const results: TestResult[] = [];
	for (const model of project.order.filter((m) => !filter || filter(m))) {
		let engine: SqlEngine;
		let cases: ReturnType<typeof loadCases>;
		try {
			engine = await engineFor(model.engine);
			cases = loadCases(model);
		} catch (error) {
			results.push({ model: model.name, test: "load", ok: false, detail: (error as Error).message });
			continue;
		}
		if (cases.length === 0) {
			results.push({
				model: model.name,
				test: "cases",
				ok: false,
				detail: `no given/expect cases in ${casesPath(model)}`,
			});
			continue;
		}
		const assertPath = model.path.replace(/\.sql$/, ".assert.sql");
		const tests = [
			...dataTestsFor(model),
			...(existsSync(assertPath) ? parseAssertFile(readFileSync(assertPath, "utf8")) : []),
		];
		for (const c of cases) {
			try {
				for (const [name, relation] of Object.entries(c.given))
					await engine.defineTable(name, relation.columns, relation.rows);
				await engine.materialise(model.name, model.body);
				const actual = await engine.rows(`SELECT * FROM ${model.name}`);
				const problems = compareRows(actual, c.expect.rows, c.expect.order_by);
				results.push({
					model: model.name,
					test: `case: ${c.name}`,
					ok: problems.length === 0,
					detail: problems.join("\n") || undefined,
				});
				for (const test of tests) {
					const failing = await engine.rows(test.sql);
					results.push({
						model: model.name,
						test: `${test.name} (on case: ${c.name})`,
						ok: failing.length === 0,
						detail: failing.length
							? `${failing.length} failing rows, e.g. ${JSON.stringify(failing[0], bigintText)}`
							: undefined,
					});
				}
			} catch (error) {
				results.push({ model: model.name, test: `case: ${c.name}`, ok: false, detail: (error as Error).message });
			}
		}
	}
	return results;
}

const bigintText = (_: string, v: unknown) => (typeof v === "bigint" ? v.toString() : v);
