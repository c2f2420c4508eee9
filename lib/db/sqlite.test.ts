import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "kysely";
import { testNamespace, waitFor } from "../../test/support/namespace.ts";
import { AdapterError, ValidationError } from "../errors.ts";
import { createDatabase } from "./create.ts";
import { dbContract } from "./db.contract.ts";
import { migrateToLatest } from "./migrate.ts";
import { appMigrations } from "./migrations/index.ts";

dbContract("sqlite (bun:sqlite file)", async () => {
	const namespace = testNamespace("db-sqlite");
	return {
		open: (space) => createDatabase({ sqlitePath: join(namespace.dir, `${space}.sqlite`) }),
		cleanup: async () => namespace.cleanup(),
	};
});

describe("sqlite specifics", () => {
	const namespace = testNamespace("db-sqlite-x");
	afterAll(() => namespace.cleanup());

	test("a file database gets its folder, WAL, a 5 s busy timeout and foreign keys", async () => {
		const database = await createDatabase({ sqlitePath: join(namespace.dir, "nested", "deeper", "pragmas.sqlite") });
		try {
			const pragma = async (name: string) => (await sql.raw(`pragma ${name}`).execute(database.db)).rows[0];
			expect(await pragma("journal_mode")).toEqual({ journal_mode: "wal" });
			expect(await pragma("busy_timeout")).toEqual({ timeout: 5000 });
			expect(await pragma("foreign_keys")).toEqual({ foreign_keys: 1 });
			await sql`create table parent (id integer primary key)`.execute(database.db);
			await sql`create table child (parent_id integer references parent (id))`.execute(database.db);
			await expect(sql`insert into child values (42)`.execute(database.db)).rejects.toThrow(/FOREIGN KEY/);
		} finally {
			await database.close();
		}
		expect(existsSync(join(namespace.dir, "nested", "deeper", "pragmas.sqlite"))).toBe(true);
	});

	test("':memory:' opens and migrates; closing twice is harmless", async () => {
		const database = await createDatabase({ sqlitePath: ":memory:" });
		expect(database.dialect).toBe("sqlite");
		expect(await migrateToLatest(database)).toHaveLength(Object.keys(appMigrations("sqlite")).length);
		await database.db.insertInto("dead_letters").values(deadLetter("m-1")).execute();
		expect(await database.db.selectFrom("dead_letters").select("id").execute()).toEqual([{ id: "m-1" }]);
		await database.close();
		await database.close();
	});

	test("streamed selects yield every row, and the handle keeps working after", async () => {
		const database = await createDatabase({ sqlitePath: join(namespace.dir, "stream.sqlite") });
		try {
			await migrateToLatest(database);
			const ids = Array.from({ length: 5 }, (_, i) => `s-${i}`);
			await database.db.insertInto("dead_letters").values(ids.map(deadLetter)).execute();
			const seen: string[] = [];
			for await (const row of database.db.selectFrom("dead_letters").select("id").orderBy("id").stream()) {
				seen.push(row.id);
			}
			expect(seen).toEqual(ids);
			const deleted = await database.db.deleteFrom("dead_letters").executeTakeFirstOrThrow();
			expect(deleted.numDeletedRows).toBe(5n);
		} finally {
			await database.close();
		}
	});

	test("bad options are a ValidationError, an unopenable file an AdapterError", async () => {
		await expect(createDatabase({})).rejects.toBeInstanceOf(ValidationError);
		await expect(createDatabase({ sqlitePath: ":memory:", poolSize: 0 })).rejects.toBeInstanceOf(ValidationError);
		writeFileSync(join(namespace.dir, "a-file"), "x");
		const error = await createDatabase({ sqlitePath: join(namespace.dir, "a-file", "db.sqlite") }).catch((e) => e);
		expect(error).toBeInstanceOf(AdapterError);
		expect(error.context.path).toContain("a-file");
	});

	test("processes sharing one file migrate once and queue their read-modify-write commits", async () => {
		const path = join(namespace.dir, "shared.sqlite");
		const go = join(namespace.dir, "go");
		const rounds = 25;
		// Each child races the other to migrate, then increments a shared counter
		// in transactions that read before they write: with deferred transactions
		// this fails at once with SQLITE_BUSY instead of waiting its turn.
		const script = (name: string) => `
			import { existsSync, writeFileSync } from "node:fs";
			import { sql } from "kysely";
			import { createDatabase, migrateToLatest } from ${JSON.stringify(join(import.meta.dir, "index.ts"))};
			import { waitFor } from ${JSON.stringify(join(import.meta.dir, "../../test/support/namespace.ts"))};
			const database = await createDatabase({ sqlitePath: ${JSON.stringify(path)} });
			writeFileSync(${JSON.stringify(join(namespace.dir, `ready-${name}`))}, "");
			await waitFor(() => existsSync(${JSON.stringify(go)}), { what: "go" });
			const applied = (await migrateToLatest(database)).length;
			await sql\`create table if not exists counter (id integer primary key, n integer not null)\`.execute(database.db);
			await sql\`insert or ignore into counter values (1, 0)\`.execute(database.db);
			for (let i = 0; i < ${rounds}; i++) {
				await database.db.transaction().execute(async (trx) => {
					const { rows } = await sql\`select n from counter where id = 1\`.execute(trx);
					await sql\`update counter set n = \${rows[0].n + 1} where id = 1\`.execute(trx);
					await trx.insertInto("dead_letters").values({ id: "${name}-" + i, topic: "t", partition: 0, offset: String(i),
						key: null, error: "e", attempts: 1, payload: "{}", failed_at: new Date() }).execute();
				});
			}
			await database.close();
			console.log(JSON.stringify({ applied }));
		`;
		const children = ["a", "b"].map((name) =>
			Bun.spawn([process.execPath, "-e", script(name)], { stdout: "pipe", stderr: "pipe" }),
		);
		await waitFor(() => existsSync(join(namespace.dir, "ready-a")) && existsSync(join(namespace.dir, "ready-b")), {
			what: "both children to open the file",
		});
		writeFileSync(go, "");
		const outcomes = await Promise.all(
			children.map(async (child) => ({
				code: await child.exited,
				stdout: await new Response(child.stdout).text(),
				stderr: await new Response(child.stderr).text(),
			})),
		);
		for (const outcome of outcomes) expect(outcome).toMatchObject({ code: 0, stderr: "" });
		const applied = outcomes.map((outcome) => (JSON.parse(outcome.stdout) as { applied: number }).applied);
		expect(applied.sort()).toEqual([0, Object.keys(appMigrations("sqlite")).length]);

		const database = await createDatabase({ sqlitePath: path });
		try {
			const { rows } = await sql<{ n: number }>`select n from counter`.execute(database.db);
			expect(rows).toEqual([{ n: 2 * rounds }]);
			const count = await database.db
				.selectFrom("dead_letters")
				.select((eb) => eb.fn.countAll().as("n"))
				.executeTakeFirstOrThrow();
			expect(Number(count.n)).toBe(2 * rounds);
		} finally {
			await database.close();
		}
	});
});

function deadLetter(id: string) {
	return {
		id,
		topic: "connector.data.raw",
		partition: 1,
		offset: "7",
		key: null,
		error: "Error: x",
		attempts: 1,
		payload: "{}",
		failed_at: "2024-05-01T00:00:00.000Z",
	};
}
