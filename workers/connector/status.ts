import type { ConnectionStatusTable, ConnectorTables } from "../../lib/db/migrations/0002-connectors.ts";
import type { Database } from "../../lib/db/port.ts";
import type { BreakerState } from "./breaker.ts";
import type { Connection } from "./source.ts";

export type RunState = "ok" | "failed" | "breaker_open" | "running";

export type ConnectionStatus = ConnectionStatusTable;

export interface StatusStore {
	/** Marks a run as started: state running, last attempt now. */
	started(connection: Connection, at: Date): Promise<void>;
	/** Records how a run ended; last success moves only on "ok". */
	finished(
		connection: Connection,
		outcome: {
			state: RunState;
			breakerState: BreakerState;
			at: Date;
			error: string | null;
			rows: number;
			pages: number;
		},
	): Promise<void>;
	/** Breaker moved outside a run's end (opened mid-run, closed by a probe). */
	breaker(
		connection: Pick<Connection, "id" | "orgId" | "source">,
		state: BreakerState,
		at: Date,
		error?: string,
	): Promise<void>;
	get(connectionId: string): Promise<ConnectionStatus | null>;
	list(orgId?: string): Promise<ConnectionStatus[]>;
}

/**
 * `connection_status` rows, one per connection, upserted. Only status lives
 * here: the data of earlier runs stays in the lake untouched whatever a run
 * does, so the last good data keeps being served.
 */
export function createStatusStore(database: Database<ConnectorTables>): StatusStore {
	const { db } = database;
	const upsert = async (row: ConnectionStatusTable, update: Partial<ConnectionStatusTable>) => {
		await db
			.insertInto("connection_status")
			.values(row)
			.onConflict((oc) => oc.column("connection_id").doUpdateSet(update))
			.execute();
	};
	const fresh = (connection: Pick<Connection, "id" | "orgId" | "source">, at: string): ConnectionStatusTable => ({
		connection_id: connection.id,
		org_id: connection.orgId,
		source: connection.source,
		state: "running",
		breaker_state: "closed",
		last_attempt_at: null,
		last_success_at: null,
		last_error: null,
		rows_last_run: 0,
		pages_last_run: 0,
		updated_at: at,
	});
	return {
		async started(connection, at) {
			const iso = at.toISOString();
			await upsert(
				{ ...fresh(connection, iso), last_attempt_at: iso },
				{ state: "running", last_attempt_at: iso, updated_at: iso },
			);
		},
		async finished(connection, outcome) {
			const iso = outcome.at.toISOString();
			const update: Partial<ConnectionStatusTable> = {
				state: outcome.state,
				breaker_state: outcome.breakerState,
				last_error: outcome.error,
				rows_last_run: outcome.rows,
				pages_last_run: outcome.pages,
				updated_at: iso,
				...(outcome.state === "ok" ? { last_success_at: iso } : {}),
			};
			await upsert({ ...fresh(connection, iso), ...update } as ConnectionStatusTable, update);
		},
		async breaker(connection, state, at, error) {
			const iso = at.toISOString();
			const update: Partial<ConnectionStatusTable> = {
				breaker_state: state,
				updated_at: iso,
				...(state === "open" ? { state: "breaker_open", ...(error ? { last_error: error } : {}) } : {}),
			};
			await upsert({ ...fresh(connection, iso), ...update } as ConnectionStatusTable, update);
		},
		async get(connectionId) {
			const row = await db
				.selectFrom("connection_status")
				.selectAll()
				.where("connection_id", "=", connectionId)
				.executeTakeFirst();
			return row ? normalise(row) : null;
		},
		async list(orgId) {
			let query = db.selectFrom("connection_status").selectAll().orderBy("connection_id");
			if (orgId) query = query.where("org_id", "=", orgId);
			return (await query.execute()).map(normalise);
		},
	};
}

// PostgreSQL returns timestamptz as Date and may return integers as strings; the port promises ISO strings and numbers.
function normalise(row: ConnectionStatusTable): ConnectionStatus {
	const iso = (value: unknown) => (value instanceof Date ? value.toISOString() : (value as string | null));
	return {
		...row,
		last_attempt_at: iso(row.last_attempt_at),
		last_success_at: iso(row.last_success_at),
		updated_at: iso(row.updated_at) ?? "",
		rows_last_run: Number(row.rows_last_run),
		pages_last_run: Number(row.pages_last_run),
	};
}
