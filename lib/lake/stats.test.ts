import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { testNamespace } from "../../test/support/namespace.ts";
import { createDuckdbEngine } from "../engine/duckdb.ts";
import type { TransformEngine } from "../engine/index.ts";
import { describeParquet, describeWritten, mayLackBounds, type WrittenFile } from "./stats.ts";
import type { DataFile, IcebergSchema, PartitionSpec, PrimitiveType } from "./types.ts";

const COLUMNS: [string, PrimitiveType, string][] = [
	["org_id", "string", "'o' || (i % 2)"],
	["d", "date", "DATE '2025-01-01' + CAST(i % 3 AS INTEGER)"],
	["a", "int", "CASE WHEN i % 11 = 0 THEN NULL ELSE CAST(i * 7 % 1000 - 500 AS INTEGER) END"],
	["b", "long", "CAST(i AS BIGINT) * 1000000007"],
	["ts", "timestamptz", "TIMESTAMPTZ '2026-01-02 06:00:00.123456+00' + to_seconds(i)"],
	["dd", "decimal(18, 2)", "CAST(i / 7 - 100 AS DECIMAL(18,2))"],
	["f", "double", "CAST(i AS DOUBLE) / 3"],
	["flag", "boolean", "i % 3 = 0"],
	["long_text", "string", "CASE WHEN i % 4000 = 0 THEN repeat('é', 300) ELSE 'short' || i END"],
	["wide", "decimal(38, 4)", "CAST(i AS DECIMAL(38, 4))"],
	["none", "int", "CAST(NULL AS INTEGER)"],
	// Null for whole row groups of small ones: DuckDB then drops the file's min/max.
	["late", "string", "CASE WHEN i < 15000 THEN NULL ELSE 'v' || i END"],
];
const TROUBLE = new Set(["flag", "wide", "long_text", "late"]);

function schemaOf(columns: typeof COLUMNS): IcebergSchema {
	return {
		type: "struct",
		"schema-id": 0,
		fields: columns.map(([name, type], i) => ({ id: i + 1, name, required: false, type })),
	};
}
const spec: PartitionSpec = {
	"spec-id": 0,
	fields: [
		{ "source-id": 1, "field-id": 1000, name: "org_id", transform: "identity" },
		{ "source-id": 2, "field-id": 1001, name: "d", transform: "identity" },
	],
};

describe("data files described from COPY's RETURN_STATS", () => {
	const namespace = testNamespace("lake-stats");
	let engine: TransformEngine;

	beforeAll(async () => {
		engine = await createDuckdbEngine({ threads: 2 });
		const select = COLUMNS.map(([name, , sql]) => `${sql} AS ${name}`).join(", ");
		await engine.run(`CREATE TABLE t AS SELECT ${select} FROM range(30000) r(i)`);
	});
	afterAll(async () => {
		await engine.close();
		namespace.cleanup();
	});

	async function check(columns: typeof COLUMNS, rowGroupSize: number) {
		const schema = schemaOf(columns);
		const out = join(namespace.dir, `rg-${rowGroupSize}-${columns.length}`);
		const written = await engine.all<WrittenFile>(
			`COPY (SELECT ${columns.map(([name]) => name).join(", ")} FROM t) TO '${out}' (FORMAT parquet, ROW_GROUP_SIZE ${rowGroupSize}, PARTITION_BY (org_id, d), WRITE_PARTITION_COLUMNS true, RETURN_STATS true)`,
		);
		const paths = readdirSync(out, { recursive: true, withFileTypes: true })
			.filter((e) => e.isFile())
			.map((e) => join(e.parentPath, e.name));
		const unsure = written.filter((file) => mayLackBounds(schema, file));
		const sure = written.filter((file) => !mayLackBounds(schema, file));
		const combined = [
			...describeWritten(schema, spec, sure),
			...(await describeParquet(
				engine,
				schema,
				spec,
				unsure.map((f) => f.filename),
			)),
		];
		const byPath = (files: DataFile[]) => [...files].sort((a, b) => a.file_path.localeCompare(b.file_path));
		expect(byPath(combined)).toEqual(byPath(await describeParquet(engine, schema, spec, paths)));
		return { sure: sure.length, unsure: unsure.length };
	}

	for (const rowGroupSize of [122_880, 2048]) {
		test(`equal the footers' entries, every file taken from the stats (row groups of ${rowGroupSize})`, async () => {
			expect(
				await check(
					COLUMNS.filter(([name]) => !TROUBLE.has(name)),
					rowGroupSize,
				),
			).toEqual({ sure: 6, unsure: 0 });
		});

		test(`equal the footers' entries once files that may lack a bound are read back (row groups of ${rowGroupSize})`, async () => {
			expect((await check(COLUMNS, rowGroupSize)).unsure).toBe(6); // booleans and wide decimals: footers only
		});
	}
});
