import { Database as BunDatabase, type SQLQueryBindings, type Statement } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import {
	CompiledQuery,
	type DatabaseConnection,
	type DialectAdapter,
	type Driver,
	Kysely,
	SqliteAdapter,
	type SqliteDatabase as SqliteDatabaseForKysely,
	SqliteDialect,
	type SqliteDialectConfig,
	SqliteDriver,
	type SqliteStatement,
} from "kysely";

/** How long a writer waits for another process's write lock before SQLITE_BUSY, in ms. */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;

/**
 * The subset of bun:sqlite that kysely needs: kysely's SqliteDialect is
 * written against better-sqlite3's shape (prepare → reader/all/run/iterate),
 * which bun:sqlite almost matches. Differences bridged here: parameters are
 * spread rather than passed as an array, `reader` comes from the statement's
 * column count (so `insert ... returning` reads rows), a `Date` parameter is
 * stored as its ISO string (the port's timestamp format), and statements are
 * finalized after use so close() releases the file at once.
 */
export function adaptBunSqlite(database: BunDatabase): SqliteDatabaseForKysely {
	return {
		close: () => database.close(),
		prepare: (sql) => adaptStatement(database.prepare(sql)),
	};
}

function adaptStatement(statement: Statement): SqliteStatement {
	return {
		reader: statement.columnNames.length > 0,
		all(parameters) {
			try {
				return statement.all(...bindings(parameters));
			} finally {
				statement.finalize();
			}
		},
		run(parameters) {
			try {
				return statement.run(...bindings(parameters));
			} finally {
				statement.finalize();
			}
		},
		iterate(parameters) {
			return finalizeAfter(statement, statement.iterate(...bindings(parameters)));
		},
	};
}

function* finalizeAfter<T>(statement: Statement, rows: IterableIterator<T>): Generator<T, void, undefined> {
	try {
		yield* rows;
	} finally {
		statement.finalize();
	}
}

function bindings(parameters: ReadonlyArray<unknown>): SQLQueryBindings[] {
	return parameters.map((value) => (value instanceof Date ? value.toISOString() : value) as SQLQueryBindings);
}

/**
 * Transactions start with BEGIN IMMEDIATE: a deferred transaction that reads
 * and then writes while another process commits fails at once with
 * SQLITE_BUSY (the busy timeout does not apply to that upgrade), whereas
 * taking the write lock up front makes concurrent committers queue.
 */
class ImmediateSqliteDriver extends SqliteDriver {
	override async beginTransaction(connection: DatabaseConnection): Promise<void> {
		await connection.executeQuery(CompiledQuery.raw("begin immediate"));
	}
}

/**
 * SQLite does roll back DDL; saying so makes kysely's Migrator run a batch in
 * one (immediate) transaction, which is also the cross-process migration lock
 * that kysely's SQLite adapter otherwise leaves out.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
	override get supportsTransactionalDdl(): boolean {
		return true;
	}
}

class BunSqliteDialect extends SqliteDialect {
	readonly #config: SqliteDialectConfig;
	constructor(config: SqliteDialectConfig) {
		super(config);
		this.#config = config;
	}
	override createDriver(): Driver {
		return new ImmediateSqliteDriver(this.#config);
	}
	override createAdapter(): DialectAdapter {
		return new TransactionalDdlSqliteAdapter();
	}
}

/**
 * Opens a SQLite database (a file, created with its folder if missing, or
 * ':memory:'). File databases use WAL and a busy timeout so that several
 * processes can share one file. Within one process, open one handle per file:
 * bun:sqlite waits for a lock synchronously, so a second handle waiting on the
 * first's open transaction would block the very event loop that must finish it.
 */
export function openSqlite<Tables>(path: string): Kysely<Tables> {
	const inMemory = path === ":memory:" || path === "";
	if (!inMemory) mkdirSync(dirname(path), { recursive: true });
	const database = new BunDatabase(path, { create: true, readwrite: true });
	try {
		database.exec(`pragma busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
		database.exec("pragma foreign_keys = on");
		if (!inMemory) database.exec("pragma journal_mode = wal");
	} catch (error) {
		database.close();
		throw error;
	}
	return new Kysely<Tables>({ dialect: new BunSqliteDialect({ database: adaptBunSqlite(database) }) });
}
