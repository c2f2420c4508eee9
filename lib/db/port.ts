/**
 * The SQL database port: the catalog and application database (DESIGN.md §3).
 * Embedded runs use SQLite through bun:sqlite, distributed runs PostgreSQL
 * through pg; both behind kysely, so the same queries run on either.
 *
 * Values at the boundary are the same on both dialects:
 * - timestamps are ISO 8601 UTC strings with milliseconds, as
 *   `Date.prototype.toISOString()` writes them (PostgreSQL columns are
 *   `timestamptz`; SQLite columns are text). A `Date` parameter is accepted
 *   on both and stored as that string.
 * - `date` columns read back as `YYYY-MM-DD` strings.
 * - int64 values that may pass 2^53 (Kafka offsets) are stored as text;
 *   aggregates such as `count(*)` come back as a string from PostgreSQL and a
 *   number from SQLite, so wrap them in `Number()`.
 */
import type { Generated, Kysely, Migration, MigrationResult } from "kysely";

export type { Migration, MigrationResult };

export type Dialect = "sqlite" | "postgres";

/** An open database. `Tables` describes its tables for kysely's type checking. */
export interface Database<Tables = AppTables> {
	readonly db: Kysely<Tables>;
	readonly dialect: Dialect;
	/** The PostgreSQL schema every connection uses (search_path), or null (SQLite, or the server's default). */
	readonly schema: string | null;
	/** Closes every connection; safe to call twice. */
	close(): Promise<void>;
}

/** `dead_letters`: the operators' view of quarantined and dead-lettered messages (migration 0001). */
export interface DeadLettersTable {
	/** Chosen by the recorder; the same message recorded twice keeps one row. */
	id: string;
	topic: string;
	partition: number;
	/** Kafka int64 offset as a decimal string. */
	offset: string;
	key: string | null;
	/** The error message (name: message). */
	error: string;
	attempts: number;
	/** The dead letter as written to `<topic>.dlq`, JSON. */
	payload: string;
	/** ISO 8601 time of dead-lettering. */
	failed_at: string;
	/** ISO 8601 time the row was written; the database fills it in. */
	recorded_at: Generated<string>;
}

/** The tables the application's own migrations (lib/db/migrations) create. */
export interface AppTables {
	dead_letters: DeadLettersTable;
}
