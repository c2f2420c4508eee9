import { Cron } from "croner";
import { CommitConflictError, type Lake, type Layer } from "../lake/index.ts";
import type { Logger } from "../runtime/logger.ts";

const DAY_MS = 86_400_000;

export interface MaintenanceOptions {
	/** Snapshots older than this are expired (their unreachable files deleted). Default 7 days, in ms. */
	snapshotMaxAgeMs?: number;
	/** Snapshots always kept, whatever their age. Default 10. */
	retainSnapshots?: number;
	/** Unreferenced files younger than this are left alone (in-flight writes). Default 3 days, in ms. */
	orphanMinAgeMs?: number;
	/** Partitions with at least this many files are compacted. Default 8. */
	compactMinFiles?: number;
}

export interface MaintenanceReport {
	table: string;
	ok: boolean;
	filesExpired?: number;
	orphansRemoved?: number;
	partitionsCompacted?: number;
	error?: string;
}

/**
 * One maintenance pass over every table of a layer (DESIGN.md §5): retention
 * by partition date (bronze 90 days, silver 1 year, or the table's
 * `pacer.retention-days`), compaction of small files, expiry of old
 * snapshots with the files only they reached, and removal of orphan files.
 * Returns a result per table and never throws: one table's failure does not
 * stop the others (a compaction that loses a race is simply retried next pass).
 */
export async function maintainLayer(
	lake: Lake,
	layer: Layer,
	options: MaintenanceOptions & { nowMs?: number } = {},
): Promise<MaintenanceReport[]> {
	const now = options.nowMs ?? Date.now();
	const reports: MaintenanceReport[] = [];
	for (const name of await lake.listTables(layer)) {
		const table = `${layer}.${name}`;
		try {
			const t = await lake.loadTable(layer, name);
			await t.applyRetention({ todayMs: now });
			let partitionsCompacted = 0;
			try {
				partitionsCompacted = (await t.compact({ minFiles: options.compactMinFiles ?? 8 })).partitions;
			} catch (error) {
				if (!(error instanceof CommitConflictError)) throw error;
			}
			const expired = await t.expireSnapshots({
				olderThanMs: now - (options.snapshotMaxAgeMs ?? 7 * DAY_MS),
				retainLast: options.retainSnapshots ?? 10,
			});
			const orphans = await t.removeOrphanFiles({ olderThanMs: now - (options.orphanMinAgeMs ?? 3 * DAY_MS) });
			reports.push({
				table,
				ok: true,
				filesExpired: expired.filesRemoved,
				orphansRemoved: orphans.length,
				partitionsCompacted,
			});
		} catch (error) {
			reports.push({ table, ok: false, error: (error as Error).message });
		}
	}
	return reports;
}

/**
 * Runs maintainLayer on a cron schedule (default 03:17 UTC daily, when
 * nothing else is busy). Returns a stop function for the worker's drain.
 */
export function scheduleLayerMaintenance(
	lake: Lake,
	layer: Layer,
	logger: Logger,
	options: MaintenanceOptions & { cron?: string } = {},
): () => void {
	const job = new Cron(
		options.cron ?? "17 3 * * *",
		{ timezone: "UTC", name: `lake-maintenance:${layer}`, protect: true },
		async () => {
			const reports = await maintainLayer(lake, layer, options);
			for (const report of reports) {
				if (report.ok) logger.info("lake maintenance", { ...report });
				else logger.error("lake maintenance failed", { ...report });
			}
		},
	);
	return () => job.stop();
}
