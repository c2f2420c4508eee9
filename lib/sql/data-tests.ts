import { ValidationError } from "../errors.ts";
import type { Model } from "./model.ts";

export interface DataTest {
	/** As written in the header, e.g. `unique(org_id, date)`. */
	readonly name: string;
	/** A query returning the failing rows; none = pass. */
	readonly sql: string;
}

const IDENT = /^[a-z_][a-z0-9_]*$/i;

/**
 * Turns the header's declared tests into queries that return failing rows
 * (dbt's generic tests): `unique(cols...)`, `not_null(cols...)`,
 * `accepted_values(col: 'a', 'b')`, `expression(<boolean SQL that every row
 * satisfies>)`. The queries read the model's own output relation.
 */
export function dataTestsFor(model: Model): DataTest[] {
	return model.tests.map((test) => ({ name: test, sql: compile(model, test) }));
}

function compile(model: Model, test: string): string {
	const match = /^([a-z_]+)\s*\(([\s\S]*)\)$/i.exec(test.trim());
	if (!match) throw new ValidationError(`${model.path}: test "${test}" is not name(arguments)`);
	const [, kind = "", args = ""] = match;
	const columns = () => {
		const cols = args.split(",").map((c) => c.trim());
		for (const c of cols)
			if (!IDENT.test(c)) throw new ValidationError(`${model.path}: "${c}" in ${test} is not a column name`);
		return cols;
	};
	switch (kind) {
		case "unique": {
			const cols = columns().join(", ");
			return `SELECT ${cols}, count(*) AS duplicate_count FROM ${model.name} GROUP BY ${cols} HAVING count(*) > 1`;
		}
		case "not_null":
			return `SELECT * FROM ${model.name} WHERE ${columns()
				.map((c) => `${c} IS NULL`)
				.join(" OR ")}`;
		case "accepted_values": {
			const split = args.indexOf(":");
			const column = args.slice(0, split).trim();
			if (split < 0 || !IDENT.test(column))
				throw new ValidationError(`${model.path}: ${test} must be accepted_values(column: 'a', 'b')`);
			return `SELECT * FROM ${model.name} WHERE ${column} IS NOT NULL AND ${column} NOT IN (${args.slice(split + 1).trim()})`;
		}
		case "expression":
			return `SELECT * FROM ${model.name} WHERE NOT (${args})`;
		default:
			throw new ValidationError(
				`${model.path}: unknown test "${kind}" (unique, not_null, accepted_values, expression)`,
			);
	}
}

/** Queries in a model's `<file>.assert.sql`, separated by semicolons; each returns failing rows. */
export function parseAssertFile(text: string): DataTest[] {
	return text
		.split(/;\s*(?:\n|$)/)
		.map((chunk) => chunk.trim())
		.filter((chunk) => chunk.replace(/--[^\n]*/g, "").trim() !== "")
		.map((sql, i) => ({ name: /^--\s*(.+)$/m.exec(sql)?.[1]?.trim() ?? `assertion ${i + 1}`, sql }));
}
