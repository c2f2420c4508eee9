import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import { ValidationError } from "../errors.ts";
import type { Model } from "./model.ts";

/**
 * A given/expect case beside a model (`<model file>.cases.json`): a few input
 * rows per input relation and the exact output rows the model must produce
 * from them on the real engine. Expected rows list the columns they check;
 * values compare as text, so 64-bit integers and decimals compare exactly.
 */
const relation = z.object({
	columns: z.record(z.string(), z.string().min(1)),
	rows: z.array(z.record(z.string(), z.unknown())),
});
const caseSchema = z.object({
	name: z.string().min(1),
	given: z.record(z.string(), relation),
	expect: z.object({
		/** Columns to sort both sides by before comparing; default: every expected column. */
		order_by: z.array(z.string()).optional(),
		rows: z.array(z.record(z.string(), z.unknown())),
	}),
});
export type ModelCase = z.infer<typeof caseSchema>;

export function casesPath(model: Model): string {
	return model.path.replace(/\.sql$/, ".cases.json");
}

export function loadCases(model: Model): ModelCase[] {
	const path = casesPath(model);
	if (!existsSync(path)) return [];
	const parsed = z.array(caseSchema).safeParse(JSON.parse(readFileSync(path, "utf8")));
	if (!parsed.success) throw new ValidationError(`${path}: ${z.prettifyError(parsed.error)}`);
	for (const c of parsed.data) {
		const missing = model.inputs.filter((input) => !(input in c.given));
		if (missing.length > 0)
			throw new ValidationError(`${path}: case "${c.name}" gives no rows for ${missing.join(", ")}`);
	}
	return parsed.data;
}

/** Compares actual to expected rows on the expected columns; returns the differences (empty = pass). */
export function compareRows(
	actual: readonly Record<string, unknown>[],
	expected: readonly Record<string, unknown>[],
	orderBy?: readonly string[],
): string[] {
	const columns = [...new Set(expected.flatMap((r) => Object.keys(r)))];
	const keys = orderBy ?? columns;
	const project = (rows: readonly Record<string, unknown>[]) =>
		rows
			.map((r) => Object.fromEntries(columns.map((c) => [c, text(r[c])])))
			.sort((a, b) => {
				for (const k of keys) {
					const x = a[k] ?? "";
					const y = b[k] ?? "";
					if (x !== y) return x < y ? -1 : 1;
				}
				return 0;
			});
	const a = project(actual);
	const e = project(expected);
	const problems: string[] = [];
	if (a.length !== e.length) problems.push(`expected ${e.length} rows, got ${a.length}`);
	for (let i = 0; i < Math.max(a.length, e.length); i++) {
		const got = JSON.stringify(a[i] ?? null);
		const want = JSON.stringify(e[i] ?? null);
		if (got !== want) problems.push(`row ${i + 1}: expected ${want}, got ${got}`);
		if (problems.length >= 6) break;
	}
	return problems;
}

function text(value: unknown): string | null {
	if (value === null || value === undefined) return null;
	if (typeof value === "object") return JSON.stringify(value);
	return String(value);
}
