import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { testNamespace } from "../../test/support/namespace.ts";
import { AdapterError } from "../errors.ts";
import { createDuckdbEngine } from "./duckdb.ts";
import type { TransformEngine } from "./port.ts";

describe("DuckDB transform engine", () => {
	const ns = testNamespace("duckdb");
	let engine: TransformEngine;

	beforeAll(async () => {
		engine = await createDuckdbEngine({ threads: 1, memoryLimit: "256MB" });
	});
	afterAll(async () => {
		await engine?.close();
		ns.cleanup();
	});

	test("writes Parquet, reads it back, and keeps decimals, dates and 64-bit integers exact", async () => {
		const file = join(ns.dir, "delivery.parquet");
		await engine.run(`
			CREATE TABLE delivery (org_id VARCHAR, day DATE, impressions BIGINT, spend DECIMAL(15, 2), fetched_at TIMESTAMP);
			INSERT INTO delivery VALUES
				('org_a', '2024-02-29', 9007199254740993, 1234567890123.45, '2024-02-29 10:11:12.345678'),
				('org_b', '1999-12-31', -1, 0.10, '2024-03-01 00:00:00');`);
		await engine.run(`COPY delivery TO '${file}' (FORMAT parquet)`);
		const rows = await engine.all(`SELECT * FROM read_parquet('${file}') ORDER BY org_id`);
		expect(rows).toEqual([
			{
				org_id: "org_a",
				day: "2024-02-29",
				impressions: 9007199254740993n,
				spend: "1234567890123.45",
				fetched_at: "2024-02-29T10:11:12.345678Z",
			},
			{ org_id: "org_b", day: "1999-12-31", impressions: -1n, spend: "0.10", fetched_at: "2024-03-01T00:00:00.000Z" },
		]);
		const [total] = await engine.all<{ total: string }>(`SELECT sum(spend) AS total FROM read_parquet('${file}')`);
		expect(total?.total).toBe("1234567890123.55");
	});

	test("binds positional parameters as values", async () => {
		const tricky = `x' OR 1=1 -- \\ "q"`;
		const rows = await engine.all("SELECT $1 AS s, $2 AS n, $3 AS b, $4 AS nothing, $5::DECIMAL(15, 2) AS d", [
			tricky,
			9007199254740993n,
			true,
			null,
			"42.10",
		]);
		expect(rows).toEqual([{ s: tricky, n: 9007199254740993n, b: true, nothing: null, d: "42.10" }]);
		const [match] = await engine.all<{ n: bigint }>("SELECT count(*) AS n FROM delivery WHERE org_id = $1", [tricky]);
		expect(match?.n).toBe(0n);
	});

	test("nested values come back as plain arrays and objects", async () => {
		const [row] = await engine.all(
			"SELECT [1.5::DECIMAL(4, 2), NULL] AS l, {'day': DATE '2024-01-02', 'n': 1::BIGINT} AS s",
		);
		expect(row).toEqual({ l: ["1.50", null], s: { day: "2024-01-02", n: 1n } });
	});

	test("errors are AdapterErrors with DuckDB's message and the SQL", async () => {
		const error = await engine.all("SELECT * FROM no_such_table").then(
			() => null,
			(e: unknown) => e,
		);
		expect(error).toBeInstanceOf(AdapterError);
		expect((error as AdapterError).message).toContain("no_such_table does not exist");
		expect((error as AdapterError).context).toMatchObject({ engine: "duckdb", sql: "SELECT * FROM no_such_table" });
		expect((error as AdapterError).retriable).toBe(false);
	});
});
