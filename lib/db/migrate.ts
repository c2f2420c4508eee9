import { type Kysely, type Migration, type MigrationResult, Migrator, sql } from "kysely";
import { AdapterError, ValidationError } from "../errors.ts";
import { appMigrations } from "./migrations/index.ts";
import type { Database } from "./port.ts";

export interface MigrateOptions {
	/**
	 * Ledger table recording applied migrations; default "pacer_migration", with
	 * its lock table `<ledger>_lock`. Another migration set sharing the database
	 * (the lake catalog's, say) needs its own ledger: kysely treats names in the
	 * ledger but not in the set as missing migrations.
	 */
	ledger?: string;
}

const LEDGER_NAME = /^[a-z_][a-z0-9_]{0,50}$/;

/**
 * Applies the pending `migrations` in name order, each batch in one
 * transaction, and returns kysely's per-migration results (empty when nothing
 * was pending). Refuses, applying nothing, when a recorded migration is missing
 * from the set or a new name sorts before a recorded one. Throws an
 * AdapterError naming the failing migration (context.migration).
 */
export async function migrate<Tables>(
	database: Database<Tables>,
	migrations: Record<string, Migration>,
	options: MigrateOptions = {},
): Promise<MigrationResult[]> {
	const ledger = options.ledger ?? "pacer_migration";
	if (!LEDGER_NAME.test(ledger)) {
		throw new ValidationError(`Invalid migration ledger name "${ledger}"`, { context: { ledger } });
	}
	const db = database.db as unknown as Kysely<unknown>;
	const migrator = new Migrator({
		db,
		provider: { getMigrations: async () => migrations },
		migrationTableName: ledger,
		migrationLockTableName: `${ledger}_lock`,
		migrationTableSchema: await ledgerSchema(database.dialect, database.schema, db),
	});
	const { error, results = [] } = await migrator.migrateToLatest();
	if (error === undefined) return results;

	const failed = results.find((result) => result.status === "Error")?.migrationName ?? null;
	const reason = error instanceof Error ? error.message : String(error);
	throw new AdapterError(failed ? `Migration ${failed} failed: ${reason}` : `Migrations refused: ${reason}`, {
		context: { migration: failed, ledger, results },
		cause: error,
	});
}

/** Applies the application's own migrations (lib/db/migrations) to the ledger `pacer_migration`. */
export function migrateToLatest<Tables>(database: Database<Tables>): Promise<MigrationResult[]> {
	return migrate(database, appMigrations(database.dialect));
}

// kysely looks for an existing ledger among the tables of every schema unless
// told which one, so a ledger in another schema (another test run, another
// tenant) would pass for ours. Name the schema the connection writes to.
async function ledgerSchema(
	dialect: Database["dialect"],
	schema: string | null,
	db: Kysely<unknown>,
): Promise<string | undefined> {
	if (dialect !== "postgres") return undefined;
	if (schema) return schema;
	const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
	return rows[0]?.schema ?? undefined;
}
