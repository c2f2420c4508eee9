/**
 * The gold worker's logic: one `silver.data.processed` message in, the
 * silver partitions it names loaded into gold, `gold.data.ready` out.
 *
 * Idempotent: gold tables are ReplacingMergeTrees read deduplicated, so the
 * same rows loaded twice are one row; a snapshot already in the ledger for
 * the same org and dates is not loaded again. The order is load → publish →
 * ledger, so a crash before the ledger write reloads (harmless) and publishes
 * again (at least once), never skips the publish.
 */
import type { GoldReadyEnvelope, TableChangedEnvelope } from "../../lib/envelope/index.ts";
import type { GoldLedger } from "../../lib/gold/ledger.ts";
import type { GoldLoader } from "../../lib/gold/loader.ts";
import { dependentsOf, LOADS } from "../../lib/gold/project.ts";
import type { SilverReader } from "../../lib/gold/silver-reader.ts";
import type { SqlProject } from "../../lib/sql/index.ts";

export interface GoldHandlerDeps {
	loader: GoldLoader;
	reader: SilverReader;
	ledger: GoldLedger;
	project: SqlProject;
	/** Publishes one gold.data.ready (fields without v/id/produced_at). */
	publish(ready: Omit<GoldReadyEnvelope, "v" | "id" | "produced_at">): Promise<void>;
}

export type GoldOutcome =
	| { status: "loaded"; tables: string[]; rows: number; snapshotRead: string | null }
	| { status: "skipped"; reason: string };

/** Handles one silver.data.processed envelope. */
export function createGoldHandler(deps: GoldHandlerDeps): (envelope: TableChangedEnvelope) => Promise<GoldOutcome> {
	return async (envelope) => {
		const silverTable = envelope.table.replace(/^silver\./, "");
		const goldTable = LOADS[silverTable];
		if (!goldTable) return { status: "skipped", reason: `no gold table reads silver.${silverTable}` };
		if (envelope.dates.length === 0) return { status: "skipped", reason: "no dates changed" };
		const dates = [...new Set(envelope.dates)].sort();
		const key = { silverTable, snapshotId: envelope.snapshot_id, orgId: envelope.org_id, dates };
		if (await deps.ledger.has(key)) return { status: "skipped", reason: "snapshot already loaded" };

		const read = await deps.reader.read(silverTable, envelope.org_id, dates);
		const loaded = await deps.loader.load(silverTable, read.rows);
		// Bookings, rates and clients change how every day of the org reads, so the
		// org's snapshot tables are rebuilt whichever table changed.
		await deps.loader.refresh(envelope.org_id);
		const tables = [goldTable, ...dependentsOf(deps.project, goldTable)].map((t) => `gold.${t}`);
		await deps.publish({
			org_id: envelope.org_id,
			source: envelope.source,
			trace_id: envelope.trace_id,
			tables,
			dates,
		});
		await deps.ledger.record({ ...key, rowsLoaded: loaded.rows });
		return { status: "loaded", tables, rows: loaded.rows, snapshotRead: read.snapshotId };
	};
}
