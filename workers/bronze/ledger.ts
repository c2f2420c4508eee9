/**
 * The dedupe ledger (`bronze_requests`, migration 0003): one row per raw page.
 * `begin` claims a request as pending before any lake commit; `complete`
 * records the outcome after them; `markPublished` after bronze.data.cleaned
 * is on the bus. So a redelivered page finds its row and changes nothing, and
 * a pending row tells the next attempt that a commit may already be in the lake.
 */
import type { Kysely } from "kysely";
import type { BronzeRequestsTable, BronzeTables } from "../../lib/db/migrations/0003-bronze.ts";

export type LedgerRow = BronzeRequestsTable;

export interface LedgerOutcome {
	state: "ingested" | "page_quarantined";
	snapshotId: string | null;
	rowsIn: number;
	rowsWritten: number;
	rowsQuarantined: number;
	dates: string[];
	checks: Record<string, number> | null;
	reason: string | null;
	transformVersion: string | null;
	ingestedAt: Date;
}

export interface BronzeLedger {
	get(requestId: string): Promise<LedgerRow | null>;
	/** Claims the request as pending; returns the existing row instead when there is one. */
	begin(row: BeginRow): Promise<LedgerRow | null>;
	/** Claims every request not seen before (one statement); returns the ids it claimed. */
	beginMany(rows: readonly BeginRow[]): Promise<Set<string>>;
	complete(requestId: string, outcome: LedgerOutcome): Promise<void>;
	/** Completes many requests in one transaction. */
	completeMany(rows: readonly { requestId: string; outcome: LedgerOutcome }[]): Promise<void>;
	markPublished(requestIds: readonly string[], at: Date): Promise<void>;
}

type BeginRow = { requestId: string; orgId: string; source: string; stream: string; startedAt: Date };

const pendingRow = (row: BeginRow) => ({
	request_id: row.requestId,
	org_id: row.orgId,
	source: row.source,
	stream: row.stream,
	state: "pending",
	snapshot_id: null,
	rows_in: 0,
	rows_written: 0,
	rows_quarantined: 0,
	dates: "[]",
	checks: null,
	reason: null,
	transform_version: null,
	started_at: row.startedAt.toISOString(),
	ingested_at: null,
	published_at: null,
});

const outcomeColumns = (outcome: LedgerOutcome) => ({
	state: outcome.state,
	snapshot_id: outcome.snapshotId,
	rows_in: outcome.rowsIn,
	rows_written: outcome.rowsWritten,
	rows_quarantined: outcome.rowsQuarantined,
	dates: JSON.stringify(outcome.dates),
	checks: outcome.checks ? JSON.stringify(outcome.checks) : null,
	reason: outcome.reason,
	transform_version: outcome.transformVersion,
	ingested_at: outcome.ingestedAt.toISOString(),
});

/** Rows per multi-row statement: well under SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 500;

export function createBronzeLedger(db: Kysely<BronzeTables>): BronzeLedger {
	const get = async (requestId: string) =>
		(await db.selectFrom("bronze_requests").selectAll().where("request_id", "=", requestId).executeTakeFirst()) ?? null;
	return {
		get,
		async begin(row) {
			const result = await db
				.insertInto("bronze_requests")
				.values(pendingRow(row))
				.onConflict((oc) => oc.column("request_id").doNothing())
				.executeTakeFirst();
			return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0 ? null : get(row.requestId);
		},
		async beginMany(rows) {
			const claimed = new Set<string>();
			for (let i = 0; i < rows.length; i += CHUNK) {
				const inserted = await db
					.insertInto("bronze_requests")
					.values(rows.slice(i, i + CHUNK).map(pendingRow))
					.onConflict((oc) => oc.column("request_id").doNothing())
					.returning("request_id")
					.execute();
				for (const row of inserted) claimed.add(row.request_id);
			}
			return claimed;
		},
		async complete(requestId, outcome) {
			await db
				.updateTable("bronze_requests")
				.set(outcomeColumns(outcome))
				.where("request_id", "=", requestId)
				.execute();
		},
		async completeMany(rows) {
			await db.transaction().execute(async (trx) => {
				for (const { requestId, outcome } of rows) {
					await trx
						.updateTable("bronze_requests")
						.set(outcomeColumns(outcome))
						.where("request_id", "=", requestId)
						.execute();
				}
			});
		},
		async markPublished(requestIds, at) {
			for (let i = 0; i < requestIds.length; i += CHUNK) {
				await db
					.updateTable("bronze_requests")
					.set({ published_at: at.toISOString() })
					.where("request_id", "in", requestIds.slice(i, i + CHUNK))
					.execute();
			}
		},
	};
}
