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
	begin(row: {
		requestId: string;
		orgId: string;
		source: string;
		stream: string;
		startedAt: Date;
	}): Promise<LedgerRow | null>;
	complete(requestId: string, outcome: LedgerOutcome): Promise<void>;
	markPublished(requestId: string, at: Date): Promise<void>;
}

export function createBronzeLedger(db: Kysely<BronzeTables>): BronzeLedger {
	const get = async (requestId: string) =>
		(await db.selectFrom("bronze_requests").selectAll().where("request_id", "=", requestId).executeTakeFirst()) ?? null;
	return {
		get,
		async begin(row) {
			const result = await db
				.insertInto("bronze_requests")
				.values({
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
				})
				.onConflict((oc) => oc.column("request_id").doNothing())
				.executeTakeFirst();
			return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0 ? null : get(row.requestId);
		},
		async complete(requestId, outcome) {
			await db
				.updateTable("bronze_requests")
				.set({
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
				})
				.where("request_id", "=", requestId)
				.execute();
		},
		async markPublished(requestId, at) {
			await db
				.updateTable("bronze_requests")
				.set({ published_at: at.toISOString() })
				.where("request_id", "=", requestId)
				.execute();
		},
	};
}
