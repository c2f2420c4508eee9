import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Kysely, type Migration, sql } from "kysely";
import { AdapterError } from "../errors.ts";
import { migrate, migrateToLatest } from "./migrate.ts";
import { appMigrations } from "./migrations/index.ts";
import type { Database, DeadLettersTable } from "./port.ts";

export interface DbContractSetup {
	/** A handle on `space`: an empty database the first time a name is used, the same database after. */
	open(space: string): Promise<Database>;
	/** Removes every space; handles are already closed. */
	cleanup(): Promise<void>;
}

type NewDeadLetter = Omit<DeadLettersTable, "recorded_at">;

const ISO_MILLIS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function letter(id: string, overrides: Partial<NewDeadLetter> = {}): NewDeadLetter {
	return {
		id,
		topic: "connector.data.raw",
		partition: 0,
		offset: "0",
		key: "org_1",
		error: "PoisonMessageError: bad envelope",
		attempts: 3,
		payload: JSON.stringify({ v: 1, id }),
		failed_at: "2024-05-01T12:00:00.000Z",
		...overrides,
	};
}

/** A migration that logs its name and creates table `t_<name>`, or throws after creating it. */
function step(name: string, log: string[], fail = false): Migration {
	return {
		async up(db: Kysely<unknown>) {
			log.push(name);
			await db.schema.createTable(`t_${name}`).addColumn("id", "integer").execute();
			if (fail) throw new Error(`${name} is broken`);
		},
	};
}

async function ledger(database: Database, table = "pacer_migration"): Promise<{ name: string; timestamp: string }[]> {
	const { rows } = await sql<{ name: string; timestamp: string }>`
		select name, ${sql.ref("timestamp")} from ${sql.table(table)} order by 2, 1`.execute(database.db);
	return rows;
}

async function tables(database: Database): Promise<string[]> {
	const all = await database.db.introspection.getTables();
	return all
		.filter((table) => database.dialect === "sqlite" || table.schema === database.schema)
		.map((table) => table.name)
		.sort();
}

async function rejection(promise: Promise<unknown>): Promise<AdapterError> {
	const error = await promise.then(
		() => undefined,
		(e: unknown) => e,
	);
	expect(error).toBeInstanceOf(AdapterError);
	return error as AdapterError;
}

/** The behaviour both dialects must share; `setup` runs once per suite. */
export function dbContract(name: string, setup: () => Promise<DbContractSetup>): void {
	describe(`database contract: ${name}`, () => {
		let spaces: DbContractSetup;
		const handles: Database[] = [];
		const open = async (space: string) => {
			const database = await spaces.open(space);
			handles.push(database);
			return database;
		};

		beforeAll(async () => {
			spaces = await setup();
		});
		afterAll(async () => {
			await Promise.all(handles.map((database) => database.close()));
			await spaces?.cleanup();
		});

		test("migrateToLatest applies the app's migrations and records them in the ledger", async () => {
			const database = await open("app");
			const results = await migrateToLatest(database);
			const names = Object.keys(appMigrations(database.dialect)).sort();
			expect(names[0]).toBe("0001_dead_letters");
			expect(results).toEqual(names.map((migrationName) => ({ migrationName, direction: "Up", status: "Success" })));
			const rows = await ledger(database);
			expect(rows.map((row) => row.name)).toEqual(names);
			expect(await tables(database)).toContain("dead_letters");
			// A second run, also from a new handle, is a no-op.
			expect(await migrateToLatest(database)).toEqual([]);
			expect(await migrateToLatest(await open("app"))).toEqual([]);
			expect(await ledger(database)).toEqual(rows);
		});

		test("a set applies in name order, whatever order its keys are in", async () => {
			const database = await open("order");
			const log: string[] = [];
			const results = await migrate(database, {
				"0003_c": step("c", log),
				"0001_a": step("a", log),
				"0002_b": step("b", log),
			});
			expect(log).toEqual(["a", "b", "c"]);
			expect(results.map((result) => result.migrationName)).toEqual(["0001_a", "0002_b", "0003_c"]);
			expect((await ledger(database)).map((row) => row.name)).toEqual(["0001_a", "0002_b", "0003_c"]);
			const later = await migrate(database, {
				"0001_a": step("a", log),
				"0002_b": step("b", log),
				"0003_c": step("c", log),
				"0004_d": step("d", log),
			});
			expect(later.map((result) => result.migrationName)).toEqual(["0004_d"]);
			expect(log).toEqual(["a", "b", "c", "d"]);
		});

		test("a recorded migration missing from the set is refused and nothing runs", async () => {
			const database = await open("missing");
			const log: string[] = [];
			await migrate(database, { "0001_a": step("a", log), "0002_b": step("b", log) });
			const error = await rejection(migrate(database, { "0002_b": step("b", log), "0003_c": step("c", log) }));
			expect(error.message).toContain("0001_a");
			expect(error.message).toContain("missing");
			expect(log).toEqual(["a", "b"]);
			expect((await ledger(database)).map((row) => row.name)).toEqual(["0001_a", "0002_b"]);
		});

		test("a new migration that sorts before a recorded one is refused and nothing runs", async () => {
			const database = await open("unordered");
			const log: string[] = [];
			await migrate(database, { "0001_a": step("a", log), "0003_c": step("c", log) });
			const error = await rejection(
				migrate(database, { "0001_a": step("a", log), "0002_b": step("b", log), "0003_c": step("c", log) }),
			);
			expect(error.message).toContain("0002_b");
			expect(log).toEqual(["a", "c"]);
			expect(await tables(database)).not.toContain("t_b");
		});

		test("a failing migration is named, and its whole batch rolls back", async () => {
			const database = await open("failing");
			const log: string[] = [];
			const error = await rejection(
				migrate(database, { "0001_ok": step("ok", log), "0002_bad": step("bad", log, true) }),
			);
			expect(error.message).toContain("Migration 0002_bad failed");
			expect(error.context.migration).toBe("0002_bad");
			expect(await ledger(database)).toEqual([]);
			expect(await tables(database)).not.toContain("t_ok");
			expect(await tables(database)).not.toContain("t_bad");
			// Once fixed, the batch applies.
			await migrate(database, { "0001_ok": step("ok", log), "0002_bad": step("bad", log) });
			expect((await ledger(database)).map((row) => row.name)).toEqual(["0001_ok", "0002_bad"]);
		});

		test("another migration set keeps its own ledger beside the app's", async () => {
			const database = await open("ledgers");
			await migrateToLatest(database);
			const log: string[] = [];
			await migrate(database, { "0001_catalog": step("catalog", log) }, { ledger: "catalog_migration" });
			expect((await ledger(database, "catalog_migration")).map((row) => row.name)).toEqual(["0001_catalog"]);
			expect(await migrateToLatest(database)).toEqual([]);
			expect((await ledger(database)).map((row) => row.name)).toEqual(
				Object.keys(appMigrations(database.dialect)).sort(),
			);
		});

		describe("on the dead_letters table", () => {
			let database: Database;
			beforeAll(async () => {
				database = await open("rows");
				await migrateToLatest(database);
			});

			test("insert, select, update and delete", async () => {
				const { db } = database;
				await db
					.insertInto("dead_letters")
					.values([letter("crud-1"), letter("crud-2", { failed_at: "2024-05-02T00:00:00.000Z" }), letter("crud-3")])
					.execute();
				const update = await db
					.updateTable("dead_letters")
					.set({ attempts: 4 })
					.where("id", "=", "crud-2")
					.executeTakeFirstOrThrow();
				expect(update.numUpdatedRows).toBe(1n);
				const removed = await db.deleteFrom("dead_letters").where("id", "=", "crud-3").executeTakeFirstOrThrow();
				expect(removed.numDeletedRows).toBe(1n);
				const rows = await db
					.selectFrom("dead_letters")
					.select(["id", "attempts"])
					.where("id", "like", "crud-%")
					.orderBy("failed_at", "desc")
					.execute();
				expect(rows).toEqual([
					{ id: "crud-2", attempts: 4 },
					{ id: "crud-1", attempts: 3 },
				]);
				const returned = await db
					.insertInto("dead_letters")
					.values(letter("crud-4"))
					.returning(["id", "topic"])
					.execute();
				expect(returned).toEqual([{ id: "crud-4", topic: "connector.data.raw" }]);
			});

			test("a duplicate id is refused", async () => {
				await database.db.insertInto("dead_letters").values(letter("dup")).execute();
				await expect(database.db.insertInto("dead_letters").values(letter("dup")).execute()).rejects.toThrow();
			});

			test("a transaction rolls back when its body throws, and commits when it returns", async () => {
				const { db } = database;
				const failure = db.transaction().execute(async (trx) => {
					await trx.insertInto("dead_letters").values(letter("tx-rolled-back")).execute();
					throw new Error("abandon");
				});
				await expect(failure).rejects.toThrow("abandon");
				await db.transaction().execute(async (trx) => {
					await trx.insertInto("dead_letters").values(letter("tx-committed")).execute();
				});
				const ids = await db.selectFrom("dead_letters").select("id").where("id", "like", "tx-%").execute();
				expect(ids).toEqual([{ id: "tx-committed" }]);
			});

			test("parallel writers through two handles all land", async () => {
				const other = await open("rows");
				const writes = Array.from({ length: 20 }, (_, i) =>
					(i % 2 ? other : database).db
						.insertInto("dead_letters")
						.values(letter(`par-${i}`, { offset: String(i) }))
						.execute(),
				);
				await Promise.all(writes);
				for (const handle of [database, other]) {
					const rows = await handle.db
						.selectFrom("dead_letters")
						.select("offset")
						.where("id", "like", "par-%")
						.execute();
					expect(rows.map((row) => Number(row.offset)).sort((a, b) => a - b)).toEqual(
						Array.from({ length: 20 }, (_, i) => i),
					);
				}
			});

			test("values round-trip: text, integers, int64 as text, null, timestamps", async () => {
				const { db } = database;
				const odd = "quote ' double \" backslash \\ newline \n tab \t unicode é 日本 🚀";
				const row = letter("types", {
					topic: odd,
					partition: 2_147_483_647,
					offset: "9223372036854775807",
					key: null,
					attempts: 0,
					payload: JSON.stringify({ nested: { list: [1, "two", null] }, odd }),
					failed_at: "2024-02-29T23:59:59.123Z",
				});
				const before = Date.now();
				await db.insertInto("dead_letters").values(row).execute();
				await db
					.insertInto("dead_letters")
					.values({ ...letter("types-date"), failed_at: new Date("2031-01-02T03:04:05.678Z") as unknown as string })
					.execute();
				const read = await db
					.selectFrom("dead_letters")
					.selectAll()
					.where("id", "=", "types")
					.executeTakeFirstOrThrow();
				const { recorded_at, ...rest } = read;
				expect(rest).toEqual(row);
				expect(recorded_at).toMatch(ISO_MILLIS);
				expect(Math.abs(Date.parse(recorded_at) - before)).toBeLessThan(60_000);
				expect(JSON.parse(read.payload).odd).toBe(odd);
				const dated = await db
					.selectFrom("dead_letters")
					.select("failed_at")
					.where("id", "=", "types-date")
					.executeTakeFirstOrThrow();
				expect(dated.failed_at).toBe("2031-01-02T03:04:05.678Z");
				// Timestamps compare and sort as times on both dialects.
				const since = await db
					.selectFrom("dead_letters")
					.select("id")
					.where("id", "like", "types%")
					.where("failed_at", ">", new Date("2025-01-01T00:00:00.000Z") as unknown as string)
					.execute();
				expect(since).toEqual([{ id: "types-date" }]);
				const count = await db
					.selectFrom("dead_letters")
					.select((eb) => eb.fn.countAll().as("n"))
					.executeTakeFirstOrThrow();
				expect(Number(count.n)).toBeGreaterThan(0);
			});
		});
	});
}
