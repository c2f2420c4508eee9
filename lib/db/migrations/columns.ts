import { type RawBuilder, sql } from "kysely";
import type { Dialect } from "../port.ts";

// Migrations get the dialect from their factory rather than probing the
// connection: a failed probe query would abort PostgreSQL's migration transaction.

/** The column type for the port's timestamps: timestamptz on PostgreSQL, ISO 8601 text on SQLite. */
export function timestampType(dialect: Dialect): "timestamptz" | "text" {
	return dialect === "postgres" ? "timestamptz" : "text";
}

/** A column default of the current time, in the format `timestampType` reads back. */
export function nowDefault(dialect: Dialect): RawBuilder<string> {
	return dialect === "postgres" ? sql`now()` : sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;
}
