import type { LakeTable } from "../../lib/lake/index.ts";

/**
 * Whether the table already holds rows of `requestId` (a commit from an
 * attempt that died before its ledger update). The scan is pruned to the org
 * and to files whose request_id bounds cover the request.
 */
export async function alreadyHolds(table: LakeTable, orgId: string, requestId: string): Promise<boolean> {
	const [row] = await table.query<{ n: bigint | number }>({
		orgIds: [orgId],
		columns: { request_id: { min: requestId, max: requestId } },
		select: "count(*) AS n",
		where: `request_id = '${requestId.replace(/'/g, "''")}'`,
	});
	return Number(row?.n ?? 0) > 0;
}

/** The table's current snapshot id as text, or null before its first write. */
export async function currentSnapshotId(table: LakeTable): Promise<string | null> {
	const id = (await table.metadata())["current-snapshot-id"];
	return Number(id) === -1 ? null : String(id);
}

/** The calendar day of `at` in `timeZone` (IANA), YYYY-MM-DD; an unknown zone falls back to UTC. */
export function dayIn(at: Date, timeZone: string): string {
	try {
		return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(at);
	} catch {
		return at.toISOString().slice(0, 10);
	}
}
