/**
 * `npm test` runs every model's given/expect cases and data tests, the same
 * as `bun run sql:test`, so a transform change that breaks its own tests
 * fails CI.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createTestEngines } from "../lib/sql/engines.ts";
import { loadProject } from "../lib/sql/project.ts";
import { testProject } from "../lib/sql/test-runner.ts";
import { testNamespace } from "../test/support/namespace.ts";

const ns = testNamespace("sql-project");
const engines = createTestEngines(ns.dir);
afterAll(async () => {
	await engines.close();
	ns.cleanup();
});

const sources = JSON.parse(readFileSync(join(import.meta.dir, "sources.json"), "utf8")) as string[];
const project = loadProject(import.meta.dir, { sources });

describe("sql/ models", () => {
	test("the project loads: headers, inputs, one file per output, no cycles", () => {
		expect(project.order.length).toBe(project.models.length);
	});

	for (const model of project.order) {
		test(`${model.name}: cases and data tests pass`, async () => {
			const results = await testProject(project, engines.engineFor, (m) => m.name === model.name);
			expect(results.filter((r) => !r.ok)).toEqual([]);
		});
	}
});
