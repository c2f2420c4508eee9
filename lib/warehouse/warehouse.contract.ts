/**
 * The behaviour every Warehouse adapter must show, run by each adapter's test
 * file against a real engine (chDB, or ClickHouse's HTTP interface) in a
 * database of its own.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { testNamespace } from "../../test/support/namespace.ts";
import { AdapterError } from "../errors.ts";
import type { Warehouse } from "./port.ts";

export interface WarehouseUnderTest {
	warehouse: Warehouse;
	/** Stops whatever the setup started (servers); the contract closes the warehouse itself. */
	stop?(): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function expectAdapterError(promise: Promise<unknown>): Promise<AdapterError> {
	const error = await promise.then(
		() => null,
		(e: unknown) => e,
	);
	expect(error).toBeInstanceOf(AdapterError);
	return error as AdapterError;
}

/** Registers the contract suite; `setup` opens the adapter on a fresh database in a fresh temp dir. */
export function warehouseContract(
	name: string,
	setup: (ns: { database: string; dir: string }) => Promise<WarehouseUnderTest>,
): void {
	describe(`Warehouse contract: ${name}`, () => {
		const ns = testNamespace(`wh_${name}`);
		let under: WarehouseUnderTest;
		let wh: Warehouse;

		beforeAll(async () => {
			under = await setup({ database: ns.id, dir: ns.dir });
			wh = under.warehouse;
		});

		afterAll(async () => {
			try {
				await wh?.command(`DROP DATABASE IF EXISTS ${ns.id}`);
				await wh?.close();
				await wh?.close(); // idempotent
			} finally {
				await under?.stop?.();
				ns.cleanup();
			}
		});

		test("creates its database and resolves unqualified names in it", async () => {
			expect(wh.database).toBe(ns.id);
			const { rows } = await wh.query<{ db: string }>("SELECT currentDatabase() AS db");
			expect(rows).toEqual([{ db: ns.id }]);
		});

		test("round-trips every column type exactly through a MergeTree table", async () => {
			await wh.command(`CREATE TABLE typed (
				id UInt64, org_id LowCardinality(String), name String, impressions Int64,
				spend Decimal(15, 2), day Date, updated_at DateTime('UTC'), note Nullable(String)
			) ENGINE = MergeTree ORDER BY id`);
			await wh.insert("typed", [
				{
					id: 18446744073709551615n,
					org_id: "org_a",
					name: `it's a "quote" and a \\ backslash\nand a newline`,
					impressions: -9223372036854775808n,
					spend: "1234567890123.45",
					day: "2024-02-29",
					updated_at: "2024-02-29 23:59:59",
					note: null,
				},
				{
					id: 2,
					org_id: "org_b",
					name: "plain",
					impressions: "9007199254740993",
					spend: 0.1,
					day: "1970-01-02",
					updated_at: new Date("2024-03-01T12:30:00Z"),
					note: "ünïcödé ✓",
				},
			]);
			const { rows } = await wh.query("SELECT * FROM typed ORDER BY id");
			expect(rows).toEqual([
				{
					id: "2",
					org_id: "org_b",
					name: "plain",
					impressions: "9007199254740993",
					spend: "0.10",
					day: "1970-01-02",
					updated_at: "2024-03-01 12:30:00",
					note: "ünïcödé ✓",
				},
				{
					id: "18446744073709551615",
					org_id: "org_a",
					name: `it's a "quote" and a \\ backslash\nand a newline`,
					impressions: "-9223372036854775808",
					spend: "1234567890123.45",
					day: "2024-02-29",
					updated_at: "2024-02-29 23:59:59",
					note: null,
				},
			]);
		});

		test("binds {name:Type} parameters as values, never as SQL", async () => {
			const tricky = `x' OR 1=1 -- \\' \\\\ "q"\ttab`;
			const { rows } = await wh.query(
				`SELECT {s:String} AS s, {n:Int64} AS n, {u:UInt64} AS u, {m:Decimal(15, 2)} AS m, {d:Date} AS d,
					{t:DateTime('UTC')} AS t, {a:Array(String)} AS a, {x:Nullable(String)} AS x, {f:Float64} AS f,
					{ai:Array(Nullable(Int64))} AS ai, {mp:Map(String, UInt32)} AS mp`,
				{
					params: {
						s: tricky,
						n: -9223372036854775808n,
						u: "18446744073709551615",
						m: "42.10",
						d: "2024-02-29",
						t: new Date("2024-02-29T10:11:12Z"),
						a: ["a'b", "c\\d", tricky],
						x: null,
						f: 0.25,
						ai: [1n, null, -9223372036854775808n],
						mp: { "k'1": 1, k2: 2 },
					},
				},
			);
			expect(rows).toEqual([
				{
					s: tricky,
					n: "-9223372036854775808",
					u: "18446744073709551615",
					m: "42.10",
					d: "2024-02-29",
					t: "2024-02-29 10:11:12",
					a: ["a'b", "c\\d", tricky],
					x: null,
					f: 0.25,
					ai: ["1", null, "-9223372036854775808"],
					mp: { "k'1": 1, k2: 2 },
				},
			]);
			await wh.command("CREATE TABLE names (name String) ENGINE = MergeTree ORDER BY name");
			await wh.insert("names", [{ name: tricky }, { name: "other" }]);
			const count = async (name: string) =>
				(
					await wh.query<{ c: string }>("SELECT count() AS c FROM names WHERE name = {name:String}", {
						params: { name },
					})
				).rows[0]?.c;
			expect(await count(tricky)).toBe("1");
			expect(await count("' OR 1=1 --")).toBe("0");
		});

		test("echoes the given query id and generates a UUID otherwise", async () => {
			const given = `${ns.id}-q1`;
			expect((await wh.query("SELECT 1 AS one", { queryId: given })).queryId).toBe(given);
			expect((await wh.command("SELECT 1", { queryId: `${given}-c` })).queryId).toBe(`${given}-c`);
			expect((await wh.insert("names", [{ name: "q" }], { queryId: `${given}-i` })).queryId).toBe(`${given}-i`);
			const a = (await wh.query("SELECT 1 AS one")).queryId;
			const b = (await wh.command("SELECT 1")).queryId;
			expect(a).toMatch(UUID);
			expect(b).toMatch(UUID);
			expect(a).not.toBe(b);
		});

		test("errors carry the ClickHouse code, the query id and the SQL, and say whether to retry", async () => {
			const unknown = await expectAdapterError(wh.query("SELECT * FROM no_such_table", { queryId: `${ns.id}-e1` }));
			expect(unknown.context.code).toBe(60);
			expect(unknown.context.queryId).toBe(`${ns.id}-e1`);
			expect(unknown.context.sql).toBe("SELECT * FROM no_such_table");
			expect(unknown.retriable).toBe(false);

			const syntax = await expectAdapterError(wh.command("CREATE TABLE oops ("));
			expect(syntax.context.code).toBe(62);
			expect(syntax.context.queryId).toMatch(UUID);
			expect(syntax.retriable).toBe(false);

			const badInsert = await expectAdapterError(wh.insert("no_such_table", [{ a: 1 }], { queryId: `${ns.id}-e2` }));
			expect(badInsert.context.code).toBe(60);
			expect(badInsert.context.queryId).toBe(`${ns.id}-e2`);
		});

		test("a ReplacingMergeTree read with FINAL returns only the latest version", async () => {
			await wh.command(`CREATE TABLE latest (org_id String, day Date, spend Decimal(15, 2), version UInt64)
				ENGINE = ReplacingMergeTree(version) ORDER BY (org_id, day)`);
			await wh.insert("latest", [
				{ org_id: "o1", day: "2024-01-01", spend: "10.00", version: 1 },
				{ org_id: "o1", day: "2024-01-02", spend: "20.00", version: 1 },
			]);
			await wh.insert("latest", [{ org_id: "o1", day: "2024-01-01", spend: "11.50", version: 2 }]);
			await wh.insert("latest", [{ org_id: "o1", day: "2024-01-01", spend: "99.99", version: 0 }]);
			const { rows } = await wh.query("SELECT day, spend, version FROM latest FINAL ORDER BY day");
			expect(rows).toEqual([
				{ day: "2024-01-01", spend: "11.50", version: "2" },
				{ day: "2024-01-02", spend: "20.00", version: "1" },
			]);
		});

		test("inserts 100k rows in batches and reads back their count and sum", async () => {
			await wh.command("CREATE TABLE bulk (id UInt32, value Int64) ENGINE = MergeTree ORDER BY id");
			const rows = Array.from({ length: 100_000 }, (_, i) => ({ id: i, value: i * 3 }));
			await wh.insert("bulk", rows);
			const { rows: totals } = await wh.query("SELECT count() AS n, sum(value) AS total FROM bulk");
			expect(totals).toEqual([{ n: "100000", total: String(3 * ((99_999 * 100_000) / 2)) }]);
		});
	});
}
