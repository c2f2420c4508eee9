import type { Kysely } from "kysely";
import { AdapterError, ValidationError } from "../errors.ts";
import type { AppTables, Database, Dialect } from "./port.ts";
import { openSqlite } from "./sqlite-dialect.ts";

export interface DatabaseOptions {
	/** postgres:// or postgresql:// URL; unset means SQLite at `sqlitePath`. */
	url?: string;
	/** SQLite file path (its folder is created), or ':memory:'; required when `url` is unset. */
	sqlitePath?: string;
	/** PostgreSQL schema that namespaces every table; created if missing. Default: the server's search_path. */
	schema?: string;
	/** PostgreSQL connections in the pool; default 10. SQLite always has one connection. */
	poolSize?: number;
}

/**
 * Opens the catalog and application database: PostgreSQL when `url` is set,
 * else SQLite. Pass the table interfaces for typed queries
 * (`createDatabase<AppTables & CatalogTables>(...)`); apply migrations with
 * `migrateToLatest` before use.
 */
export async function createDatabase<Tables = AppTables>(options: DatabaseOptions): Promise<Database<Tables>> {
	if (options.poolSize !== undefined && !(Number.isInteger(options.poolSize) && options.poolSize > 0)) {
		throw new ValidationError(`poolSize must be a positive integer, got ${options.poolSize}`);
	}
	if (options.url) {
		// Loaded on demand so that embedded runs never load pg.
		const { openPostgres } = await import("./postgres-pool.ts");
		const schema = options.schema ?? null;
		const db = await openPostgres<Tables>({ url: options.url, schema, poolSize: options.poolSize ?? 10 });
		return wrap(db, "postgres", schema);
	}
	if (!options.sqlitePath) {
		throw new ValidationError("createDatabase needs either a PostgreSQL url or a sqlitePath");
	}
	try {
		return wrap(openSqlite<Tables>(options.sqlitePath), "sqlite", null);
	} catch (error) {
		throw new AdapterError(`Cannot open SQLite database ${options.sqlitePath}: ${String(error)}`, {
			context: { path: options.sqlitePath },
			cause: error,
		});
	}
}

function wrap<Tables>(db: Kysely<Tables>, dialect: Dialect, schema: string | null): Database<Tables> {
	let closing: Promise<void> | undefined;
	return {
		db,
		dialect,
		schema,
		close: () => {
			closing ??= db.destroy();
			return closing;
		},
	};
}
