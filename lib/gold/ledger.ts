/** The load ledger (gold.load_ledger): which silver snapshots gold has loaded, for idempotence and operators. */
import type { Warehouse } from "../warehouse/port.ts";

export interface LedgerEntry {
	silverTable: string;
	snapshotId: string;
	orgId: string;
	dates: readonly string[];
	rowsLoaded: number;
}

export interface GoldLedger {
	/** Whether this table's snapshot was loaded for these org and dates already. */
	has(entry: Omit<LedgerEntry, "rowsLoaded">): Promise<boolean>;
	record(entry: LedgerEntry): Promise<void>;
}

export function createGoldLedger(warehouse: Warehouse): GoldLedger {
	const table = `${warehouse.database}.load_ledger`;
	return {
		async has(entry) {
			const { rows } = await warehouse.query<{ n: string }>(
				`SELECT count() AS n FROM ${table} WHERE silver_table = {t:String} AND snapshot_id = {s:String} AND org_id = {o:String} AND hasAll(dates, {d:Array(Date)})`,
				{ params: { t: entry.silverTable, s: entry.snapshotId, o: entry.orgId, d: [...entry.dates] } },
			);
			return Number(rows[0]?.n ?? 0) > 0;
		},
		async record(entry) {
			await warehouse.insert(table, [
				{
					silver_table: entry.silverTable,
					snapshot_id: entry.snapshotId,
					org_id: entry.orgId,
					dates: [...entry.dates],
					rows_loaded: entry.rowsLoaded,
				},
			]);
		},
	};
}
