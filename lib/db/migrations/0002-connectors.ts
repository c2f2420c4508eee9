import type { Kysely, Migration } from "kysely";
import type { Dialect } from "../port.ts";
import { timestampType } from "./columns.ts";

/** `connections`: configured connections, credentials encrypted (AES-256-GCM) at rest. */
export interface ConnectionsTable {
	id: string;
	org_id: string;
	source: string;
	/** The connection without its credentials, JSON. */
	config: string;
	/** base64 of iv ‖ ciphertext ‖ tag; never the plain credentials. */
	credentials_encrypted: string;
	updated_at: string;
}

/** `connection_status`: the last run of each connection, for operators and the UI ("data may be stale"). */
export interface ConnectionStatusTable {
	connection_id: string;
	org_id: string;
	source: string;
	/** ok | failed | breaker_open | running | never_run */
	state: string;
	/** closed | open | half_open */
	breaker_state: string;
	last_attempt_at: string | null;
	last_success_at: string | null;
	last_error: string | null;
	rows_last_run: number;
	pages_last_run: number;
	updated_at: string;
}

export interface ConnectorTables {
	connections: ConnectionsTable;
	connection_status: ConnectionStatusTable;
}

/** Tables of the connector worker: connections and their run status. */
export function connectors(dialect: Dialect): Migration {
	const ts = timestampType(dialect);
	return {
		async up(db: Kysely<unknown>) {
			await db.schema
				.createTable("connections")
				.addColumn("id", "text", (c) => c.primaryKey())
				.addColumn("org_id", "text", (c) => c.notNull())
				.addColumn("source", "text", (c) => c.notNull())
				.addColumn("config", "text", (c) => c.notNull())
				.addColumn("credentials_encrypted", "text", (c) => c.notNull())
				.addColumn("updated_at", ts, (c) => c.notNull())
				.execute();
			await db.schema
				.createTable("connection_status")
				.addColumn("connection_id", "text", (c) => c.primaryKey())
				.addColumn("org_id", "text", (c) => c.notNull())
				.addColumn("source", "text", (c) => c.notNull())
				.addColumn("state", "text", (c) => c.notNull())
				.addColumn("breaker_state", "text", (c) => c.notNull())
				.addColumn("last_attempt_at", ts)
				.addColumn("last_success_at", ts)
				.addColumn("last_error", "text")
				.addColumn("rows_last_run", "integer", (c) => c.notNull().defaultTo(0))
				.addColumn("pages_last_run", "integer", (c) => c.notNull().defaultTo(0))
				.addColumn("updated_at", ts, (c) => c.notNull())
				.execute();
			await db.schema.createIndex("connections_org_idx").on("connections").column("org_id").execute();
		},
		async down(db: Kysely<unknown>) {
			await db.schema.dropTable("connection_status").execute();
			await db.schema.dropTable("connections").execute();
		},
	};
}
