/**
 * Reads the silver partitions a snapshot changed. Reads go through the lake
 * (DuckDB over the planned Parquet files, pruned to the org/date partitions)
 * at the table's current snapshot, not the message's: a late or redelivered
 * message then reloads the newest data, never older data over newer.
 */
import type { Lake } from "../lake/index.ts";

export interface SilverRead {
	rows: Record<string, unknown>[];
	/** The snapshot read (null: the table has none yet). */
	snapshotId: string | null;
}

export interface SilverReader {
	read(table: string, orgId: string, dates: readonly string[]): Promise<SilverRead>;
}

/** A SilverReader over the lake's silver tables. */
export function createLakeSilverReader(lake: Lake): SilverReader {
	return {
		async read(table, orgId, dates) {
			const silver = await lake.loadTable("silver", table);
			const partitions = dates.map((date) => ({ orgId, date }));
			const plan = await silver.planScan({ partitions });
			if (!plan.snapshot) return { rows: [], snapshotId: null };
			const snapshotId = plan.snapshot["snapshot-id"];
			const rows = await silver.query({ partitions, snapshotId });
			return { rows, snapshotId: String(snapshotId) };
		},
	};
}
