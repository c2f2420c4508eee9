/**
 * Logical names to physical ones. Gold SQL (models and migrations) says
 * `gold.x` and `silver.x` as the SQL runner does; in a deployment `gold` is
 * the warehouse's database and `silver.x` is the staging table the loader
 * filled for one load. Names inside string literals and comments are left
 * alone.
 */
export type GoldLayer = "gold" | "silver";

const NAME = /(?<![\w.`])(gold|silver)\.([a-z][a-z0-9_]*)\b/gi;

/** Rewrites every `gold.x`/`silver.x` in code (not in strings or comments) with `resolve(layer, x)`. */
export function resolveNames(sql: string, resolve: (layer: GoldLayer, relation: string) => string): string {
	let out = "";
	let code = "";
	const flush = () => {
		out += code.replace(NAME, (_, layer: string, relation: string) =>
			resolve(layer.toLowerCase() as GoldLayer, relation.toLowerCase()),
		);
		code = "";
	};
	let i = 0;
	while (i < sql.length) {
		const c = sql[i] as string;
		const next = sql[i + 1];
		let end = -1;
		if (c === "'") {
			end = i + 1;
			while (end < sql.length && sql[end] !== "'") end += sql[end] === "\\" ? 2 : 1;
			end++;
		} else if (c === "-" && next === "-") {
			end = sql.indexOf("\n", i);
			if (end < 0) end = sql.length;
		} else if (c === "/" && next === "*") {
			end = sql.indexOf("*/", i + 2);
			end = end < 0 ? sql.length : end + 2;
		}
		if (end < 0) {
			code += c;
			i++;
		} else {
			flush();
			out += sql.slice(i, end);
			i = end;
		}
	}
	flush();
	return out;
}

/** Resolves `gold.x` to `<database>.x`; `silver.x` through `silver` (a load's staging tables), else unchanged. */
export function goldResolver(database: string, silver?: (relation: string) => string) {
	return (layer: GoldLayer, relation: string): string =>
		layer === "gold" ? `${database}.${relation}` : silver ? silver(relation) : `silver.${relation}`;
}

/** Splits a script into statements at semicolons that end a line; comment-only chunks are dropped. */
export function splitStatements(script: string): string[] {
	return script
		.split(/;[ \t]*(?:\r?\n|$)/)
		.map((s) => s.trim())
		.filter((s) => s.replace(/--[^\n]*/g, "").trim() !== "");
}
