import type { Kysely } from "kysely";
import type { ConnectorTables } from "../../lib/db/migrations/0002-connectors.ts";

/**
 * The org time zone of a connection, from the connector's `connections`
 * table (its config JSON carries `timezone`), cached per connection; UTC when
 * the connection is unknown (a page from a connection configured elsewhere).
 */
export function connectionTimezones(db: Kysely<ConnectorTables>): (connectionId: string) => Promise<string> {
	const cache = new Map<string, string>();
	return async (connectionId) => {
		const cached = cache.get(connectionId);
		if (cached) return cached;
		const row = await db.selectFrom("connections").select("config").where("id", "=", connectionId).executeTakeFirst();
		let zone = "UTC";
		try {
			const timezone = (JSON.parse(row?.config ?? "{}") as { timezone?: unknown }).timezone;
			if (typeof timezone === "string" && timezone) zone = timezone;
		} catch {
			// A config row we cannot read: UTC, as for an unknown connection.
		}
		if (row) cache.set(connectionId, zone);
		return zone;
	};
}
