import type { ConnectorTables } from "../../lib/db/migrations/0002-connectors.ts";
import type { Database } from "../../lib/db/port.ts";
import { decryptJson, encryptJson } from "./secrets.ts";
import type { Connection } from "./source.ts";

export interface ConnectionStore {
	/** Upserts connections; credentials are sealed with AES-256-GCM, the rest kept as JSON. */
	save(connections: readonly Connection[], at: Date): Promise<void>;
	/** Every stored connection with its credentials decrypted (in memory only). */
	list(): Promise<Connection[]>;
	get(id: string): Promise<Connection | null>;
}

/** The `connections` table; the plain credentials never touch the database. */
export function createConnectionStore(database: Database<ConnectorTables>, key: Uint8Array): ConnectionStore {
	const { db } = database;
	const decode = (row: { config: string; credentials_encrypted: string }): Connection => ({
		...(JSON.parse(row.config) as Omit<Connection, "credentials">),
		credentials: decryptJson<Record<string, unknown>>(row.credentials_encrypted, key),
	});
	return {
		async save(connections, at) {
			for (const connection of connections) {
				const { credentials, ...config } = connection;
				const row = {
					id: connection.id,
					org_id: connection.orgId,
					source: connection.source,
					config: JSON.stringify(config),
					credentials_encrypted: encryptJson(credentials, key),
					updated_at: at.toISOString(),
				};
				await db
					.insertInto("connections")
					.values(row)
					.onConflict((oc) =>
						oc.column("id").doUpdateSet({
							org_id: row.org_id,
							source: row.source,
							config: row.config,
							credentials_encrypted: row.credentials_encrypted,
							updated_at: row.updated_at,
						}),
					)
					.execute();
			}
		},
		async list() {
			return (await db.selectFrom("connections").selectAll().orderBy("id").execute()).map(decode);
		},
		async get(id) {
			const row = await db.selectFrom("connections").selectAll().where("id", "=", id).executeTakeFirst();
			return row ? decode(row) : null;
		},
	};
}
