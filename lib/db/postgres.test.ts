import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "kysely";
import { testNamespace } from "../../test/support/namespace.ts";
import { postgresUnavailableReason, startPostgres, type TestPostgres } from "../../test/support/postgres.ts";
import { describeWithService } from "../../test/support/services.ts";
import { AdapterError, ValidationError } from "../errors.ts";
import { createDatabase } from "./create.ts";
import { dbContract } from "./db.contract.ts";
import { migrateToLatest } from "./migrate.ts";
import { appMigrations } from "./migrations/index.ts";
import type { Database } from "./port.ts";
import { isoFromPostgres } from "./postgres-pool.ts";

const unavailable = postgresUnavailableReason();

/** Schemas `<run id>_<space>` on `server`; cleanup drops them all. */
function schemaSpaces(server: TestPostgres, label: string) {
	const namespace = testNamespace(label);
	const schemas = new Set<string>();
	return {
		url: server.url,
		schemaOf: (space: string) => `${namespace.id}_${space}`,
		open: (space: string, poolSize?: number) => {
			const schema = `${namespace.id}_${space}`;
			schemas.add(schema);
			return createDatabase({ url: server.url, schema, poolSize });
		},
		cleanup: async () => {
			const admin = await createDatabase({ url: server.url });
			try {
				for (const schema of schemas) await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin.db);
			} finally {
				await admin.close();
				namespace.cleanup();
			}
		},
	};
}

describeWithService("postgres", unavailable, () => {
	// One server for the file; the outer afterAll runs after every nested one.
	let started: Promise<TestPostgres> | undefined;
	const server = () => {
		started ??= startPostgres();
		return started;
	};
	afterAll(async () => {
		await (await started)?.stop();
	});

	dbContract("postgres (pg pool, a schema per space)", async () => schemaSpaces(await server(), "db_pg"));

	describe("postgres specifics", () => {
		let spaces: ReturnType<typeof schemaSpaces>;
		const handles: Database[] = [];
		const open = async (space: string, poolSize?: number) => {
			const database = await spaces.open(space, poolSize);
			handles.push(database);
			return database;
		};
		beforeAll(async () => {
			spaces = schemaSpaces(await server(), "db_pgx");
		});
		afterAll(async () => {
			await Promise.all(handles.map((database) => database.close()));
			await spaces?.cleanup();
		});

		test("the schema is created, holds the tables, and is every pooled connection's search_path", async () => {
			const database = await open("scoped", 5);
			expect(database).toMatchObject({ dialect: "postgres", schema: spaces.schemaOf("scoped") });
			await migrateToLatest(database);
			const { rows } = await sql<{ table_schema: string }>`
			select table_schema from information_schema.tables
			where table_name = 'dead_letters' and table_schema like ${`${spaces.schemaOf("")}%`}`.execute(database.db);
			expect(rows.map((row) => row.table_schema)).toEqual([spaces.schemaOf("scoped")]);
			// Hold five connections at once so each answers for itself.
			const seen = await Promise.all(
				Array.from({ length: 5 }, () =>
					database.db.transaction().execute(async (trx) => {
						const result = await sql<{ path: string; pid: number }>`
						select current_setting('search_path') as path, pg_backend_pid() as pid, pg_sleep(0.05)`.execute(trx);
						return result.rows[0];
					}),
				),
			);
			expect(new Set(seen.map((row) => row?.pid)).size).toBe(5);
			expect(new Set(seen.map((row) => row?.path))).toEqual(new Set([spaces.schemaOf("scoped")]));
		});

		test("another schema sees none of those tables", async () => {
			const other = await open("elsewhere");
			expect(
				await other.db.introspection.getTables().then((all) => all.filter((t) => t.schema === other.schema)),
			).toEqual([]);
			await expect(other.db.selectFrom("dead_letters").selectAll().execute()).rejects.toThrow(/does not exist/);
		});

		test("handles opened at once on a new schema all succeed, and migrate it exactly once", async () => {
			const many = await Promise.all(Array.from({ length: 4 }, () => open("racing", 2)));
			const results = await Promise.all(many.map((database) => migrateToLatest(database)));
			expect(results.map((result) => result.length).sort()).toEqual([
				0,
				0,
				0,
				Object.keys(appMigrations("postgres")).length,
			]);
			const { rows } = await sql<{ name: string }>`select name from pacer_migration`.execute(many[0]?.db ?? fail());
			expect(rows).toEqual(
				Object.keys(appMigrations("postgres"))
					.sort()
					.map((name) => ({ name })),
			);
		});

		test("20 parallel inserts through separate connections all land", async () => {
			const database = await open("parallel", 10);
			await migrateToLatest(database);
			const pids = await Promise.all(
				Array.from({ length: 20 }, (_, i) =>
					database.db.transaction().execute(async (trx) => {
						await trx
							.insertInto("dead_letters")
							.values({
								id: `p-${i}`,
								topic: "t",
								partition: i,
								offset: String(i),
								key: null,
								error: "e",
								attempts: 1,
								payload: "{}",
								failed_at: new Date().toISOString(),
							})
							.execute();
						return (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx)).rows[0]?.pid;
					}),
				),
			);
			expect(new Set(pids).size).toBeGreaterThan(1);
			const count = await database.db
				.selectFrom("dead_letters")
				.select((eb) => eb.fn.countAll().as("n"))
				.executeTakeFirstOrThrow();
			expect(count.n).toBe("20"); // int8 comes back as a string from PostgreSQL
		});

		test("dates, timestamps and int8 come back in the port's formats", async () => {
			const database = await open("values");
			const { rows } = await sql<Record<string, unknown>>`
			select date '2024-02-29' as day,
				timestamptz '2024-02-29 23:59:59.123456+02' as with_zone,
				timestamp '2024-02-29 23:59:59' as without_zone,
				9223372036854775807::int8 as big`.execute(database.db);
			expect(rows[0]).toEqual({
				day: "2024-02-29",
				with_zone: "2024-02-29T21:59:59.123Z",
				without_zone: "2024-02-29T23:59:59.000Z",
				big: "9223372036854775807",
			});
		});

		test("an unreachable server is a retriable AdapterError that hides the password", async () => {
			const port = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
			const url = `postgres://pacer:hunter2@127.0.0.1:${port.port}/none`;
			port.stop(true);
			const error = await createDatabase({ url }).catch((e: unknown) => e);
			expect(error).toBeInstanceOf(AdapterError);
			expect((error as AdapterError).retriable).toBe(true);
			expect(JSON.stringify((error as AdapterError).context)).not.toContain("hunter2");
			await expect(createDatabase({ url: spaces.url, schema: "Bad-Name" })).rejects.toBeInstanceOf(ValidationError);
		});
	});
});

test("PostgreSQL timestamps convert to ISO strings in UTC", () => {
	expect(isoFromPostgres("2024-05-01 12:34:56+00")).toBe("2024-05-01T12:34:56.000Z");
	expect(isoFromPostgres("2024-05-01 12:34:56.7+00")).toBe("2024-05-01T12:34:56.700Z");
	expect(isoFromPostgres("2024-05-01 00:30:00.123999-05:30")).toBe("2024-05-01T06:00:00.123Z");
	expect(isoFromPostgres("infinity")).toBe("infinity");
});

function fail(): never {
	throw new Error("no handle");
}
