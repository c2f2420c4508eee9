import { createHash } from "node:crypto";
import { ValidationError } from "../errors.ts";

export type Layer = "bronze" | "silver" | "gold";
export type Dialect = "duckdb" | "clickhouse";

/** One SQL transform file: one output relation, a header an analyst can read, a SELECT body. */
export interface Model {
	/** Logical output name, `<layer>.<relation>`. */
	readonly name: string;
	readonly layer: Layer;
	readonly relation: string;
	readonly engine: Dialect;
	/** Logical relations the body may read. */
	readonly inputs: readonly string[];
	readonly grain: string;
	/** Data tests declared in the header, e.g. `unique(org_id, date)`. */
	readonly tests: readonly string[];
	/** The analyst's version number from the header. */
	readonly version: number;
	/** `v<version>+<first 12 hex of the file's sha256>`: what lineage records. */
	readonly fileVersion: string;
	readonly description: string;
	/** The SQL after the header (a single SELECT, no trailing semicolon). */
	readonly body: string;
	readonly path: string;
}

const LAYERS: readonly Layer[] = ["bronze", "silver", "gold"];
const ENGINES: Record<Layer, Dialect> = { bronze: "duckdb", silver: "duckdb", gold: "clickhouse" };
const NAME = /^(bronze|silver|gold)\.[a-z][a-z0-9_]*$/;
const HEADER_LINE = /^--\s*([a-z_]+)\s*:\s*(.*)$/;
const KNOWN_KEYS = new Set(["model", "engine", "inputs", "grain", "tests", "version", "description"]);

/**
 * Parses a model file. The header is the leading block of `-- key: value`
 * comment lines (a dbt-like model card); every problem is reported at once
 * with the file and line, so an analyst fixes a file in one pass.
 */
export function parseModel(path: string, text: string): Model {
	const problems: string[] = [];
	const lines = text.split("\n");
	const header = new Map<string, { value: string; line: number }>();
	let i = 0;
	// The header is the first block of comment lines; a blank line ends it, so
	// column documentation in comments below it is free text.
	while (i < lines.length && (lines[i] ?? "").trim() === "") i++;
	for (; i < lines.length; i++) {
		const line = (lines[i] ?? "").trim();
		if (line === "") break;
		const match = HEADER_LINE.exec(line);
		if (!match) {
			if (line.startsWith("--")) continue;
			break;
		}
		const [, key = "", value = ""] = match;
		if (!KNOWN_KEYS.has(key))
			problems.push(`line ${i + 1}: unknown header key "${key}" (known: ${[...KNOWN_KEYS].join(", ")})`);
		else if (header.has(key)) problems.push(`line ${i + 1}: "${key}" given twice`);
		else header.set(key, { value: value.trim(), line: i + 1 });
	}
	const body = lines.slice(i).join("\n").trim().replace(/;\s*$/, "");

	const required = (key: string) => {
		const entry = header.get(key);
		if (!entry || entry.value === "") problems.push(`header "-- ${key}: ..." is missing`);
		return entry?.value ?? "";
	};
	const name = required("model");
	if (name && !NAME.test(name))
		problems.push(`model "${name}" is not <layer>.<relation> with a layer of ${LAYERS.join(", ")}`);
	const layer = (name.split(".")[0] ?? "bronze") as Layer;
	const engine = required("engine") as Dialect;
	if (engine && NAME.test(name) && engine !== ENGINES[layer]) {
		problems.push(`engine "${engine}" does not fit layer ${layer} (expected ${ENGINES[layer]})`);
	}
	const inputs = splitList(required("inputs"));
	for (const input of inputs) if (!NAME.test(input)) problems.push(`input "${input}" is not <layer>.<relation>`);
	const grain = required("grain");
	const versionText = required("version");
	const version = Number(versionText);
	if (versionText && (!Number.isInteger(version) || version < 1))
		problems.push(`version "${versionText}" is not a positive integer`);
	const tests = splitTests(header.get("tests")?.value ?? "");
	if (!/^\s*(with|select)\b/i.test(stripLiterals(body)))
		problems.push("the body must be one SELECT (or WITH ... SELECT) statement");
	if (/;\s*\S/.test(stripLiterals(body))) problems.push("the body must be a single statement (found ';' inside)");

	if (problems.length > 0) {
		throw new ValidationError(`${path}:\n${problems.map((p) => `  - ${p}`).join("\n")}`, {
			context: { path, problems },
		});
	}
	const digest = createHash("sha256").update(text).digest("hex").slice(0, 12);
	return {
		name,
		layer,
		relation: name.split(".")[1] ?? "",
		engine,
		inputs,
		grain,
		tests,
		version,
		fileVersion: `v${version}+${digest}`,
		description: header.get("description")?.value ?? "",
		body,
		path,
	};
}

function splitList(value: string): string[] {
	return value
		.split(",")
		.map((s) => s.trim())
		.filter(Boolean);
}

/** Splits `unique(a, b), not_null(c)` on the commas outside parentheses. */
export function splitTests(value: string): string[] {
	const out: string[] = [];
	let depth = 0;
	let current = "";
	for (const ch of value) {
		if (ch === "(") depth++;
		if (ch === ")") depth--;
		if (ch === "," && depth === 0) {
			if (current.trim()) out.push(current.trim());
			current = "";
		} else current += ch;
	}
	if (current.trim()) out.push(current.trim());
	return out;
}

/** The SQL with comments removed and string literals emptied, for scanning names safely. */
export function stripLiterals(sql: string): string {
	return sql
		.replace(/--[^\n]*/g, " ")
		.replace(/\/\*[\s\S]*?\*\//g, " ")
		.replace(/'(?:[^']|'')*'/g, "''");
}

/** Layer-qualified relations the body names (`silver.delivery_daily`), outside comments and strings. */
export function referencedRelations(body: string): string[] {
	const found = new Set<string>();
	for (const match of stripLiterals(body).matchAll(/\b(bronze|silver|gold)\.([a-z][a-z0-9_]*)\b/gi)) {
		found.add(`${match[1]?.toLowerCase()}.${match[2]?.toLowerCase()}`);
	}
	return [...found].sort();
}
