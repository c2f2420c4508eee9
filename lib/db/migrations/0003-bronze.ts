import type { Kysely, Migration } from "kysely";
import type { Dialect } from "../port.ts";
import { timestampType } from "./columns.ts";

/**
 * `bronze_requests`: the bronze worker's dedupe ledger, one row per raw page
 * (`request_id`). A row is written as `pending` before the lake commits and
 * completed after them, so a redelivered page is recognised (done: nothing to
 * do) and a page whose worker died between the lake commit and the ledger
 * update is repaired, not written twice (pending: check the lake first).
 */
export interface BronzeRequestsTable {
	request_id: string;
	org_id: string;
	source: string;
	stream: string;
	/** pending | ingested | page_quarantined */
	state: string;
	/** bronze.raw_records snapshot holding the rows (null: nothing written). */
	snapshot_id: string | null;
	rows_in: number;
	rows_written: number;
	rows_quarantined: number;
	/** Report dates written, JSON array of YYYY-MM-DD. */
	dates: string;
	/** Check results of the batch (structure, required fields, dates, freshness), JSON. */
	checks: string | null;
	/** Why the whole page was quarantined (state page_quarantined). */
	reason: string | null;
	transform_version: string | null;
	started_at: string;
	ingested_at: string | null;
	/** When bronze.data.cleaned was published; null = still to publish. */
	published_at: string | null;
}

export interface BronzeTables {
	bronze_requests: BronzeRequestsTable;
}

export function bronze(dialect: Dialect): Migration {
	const ts = timestampType(dialect);
	return {
		async up(db: Kysely<unknown>) {
			await db.schema
				.createTable("bronze_requests")
				.addColumn("request_id", "text", (c) => c.primaryKey())
				.addColumn("org_id", "text", (c) => c.notNull())
				.addColumn("source", "text", (c) => c.notNull())
				.addColumn("stream", "text", (c) => c.notNull())
				.addColumn("state", "text", (c) => c.notNull())
				.addColumn("snapshot_id", "text")
				.addColumn("rows_in", "integer", (c) => c.notNull().defaultTo(0))
				.addColumn("rows_written", "integer", (c) => c.notNull().defaultTo(0))
				.addColumn("rows_quarantined", "integer", (c) => c.notNull().defaultTo(0))
				.addColumn("dates", "text", (c) => c.notNull().defaultTo("[]"))
				.addColumn("checks", "text")
				.addColumn("reason", "text")
				.addColumn("transform_version", "text")
				.addColumn("started_at", ts, (c) => c.notNull())
				.addColumn("ingested_at", ts)
				.addColumn("published_at", ts)
				.execute();
			// Operators list one org's recent batches.
			await db.schema
				.createIndex("bronze_requests_org_started_idx")
				.on("bronze_requests")
				.columns(["org_id", "started_at"])
				.execute();
		},
		async down(db: Kysely<unknown>) {
			await db.schema.dropTable("bronze_requests").execute();
		},
	};
}
