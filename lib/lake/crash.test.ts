/**
 * A writer killed with SIGKILL at any point of a commit leaves the table at
 * the previous or the new snapshot, for us and for ClickHouse's reader, and
 * orphan cleanup removes what the dead writer left behind.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { openTestLake, sharedColumns, type TestLake } from "../../test/support/lake.ts";
import type { ClickhouseIceberg } from "../../test/support/lake-readers.ts";
import { openClickhouseIceberg } from "../../test/support/lake-readers.ts";
import { testNamespace } from "../../test/support/namespace.ts";

const ROWS = 4;
const STEPS = ["writing", "prepared", "candidate-written", "swapped", "published-metadata", "published-hint"] as const;

describe("lake crash safety (SIGKILL during a commit)", () => {
	const namespace = testNamespace("lake-crash");
	let run: TestLake;
	let ch: ClickhouseIceberg;
	beforeAll(async () => {
		run = await openTestLake({ dir: namespace.dir, id: namespace.id });
		ch = await openClickhouseIceberg(join(namespace.dir, "chdb"), namespace.dir);
	});
	afterAll(async () => {
		await ch?.close();
		await run?.close();
		namespace.cleanup();
	});

	for (const step of STEPS) {
		test(`killed at "${step}": previous or new snapshot, leftovers removed by orphan cleanup`, async () => {
			const name = `crash_${step.replace(/-/g, "_")}`;
			const table = await run.lake.createTable({
				layer: "bronze",
				name,
				columns: [...sharedColumns],
				partitionBy: { org: "org_id", date: "report_date" },
			});
			const crashCommit = 1 + Math.floor(Math.random() * 2);
			const child = Bun.spawn(
				[
					process.execPath,
					join(import.meta.dir, "../../test/support/lake-writer.ts"),
					JSON.stringify({
						dir: namespace.dir,
						id: namespace.id,
						writer: 0,
						commits: 4,
						rowsPerCommit: ROWS,
						table: name,
						crashStep: step,
						crashCommit,
						crashDelayMs: Math.floor(Math.random() * 40),
					}),
				],
				{ stdout: "pipe", stderr: "pipe" },
			);
			const code = await child.exited;
			expect(code).toBe(137);
			expect(child.signalCode).toBe("SIGKILL");

			const committed = crashCommit + (["swapped", "published-metadata", "published-hint"].includes(step) ? 1 : 0);
			const count = async () => Number((await table.query<{ n: bigint }>({ select: "count(*) AS n" }))[0]?.n);
			const source = `icebergLocal('${join(run.root ?? "", "bronze", name)}')`;
			const theirs = async () => Number((await ch.query<{ n: number }>(`SELECT count() AS n FROM ${source}`))[0]?.n);
			// "writing" may die before or after its commit finished, the timer being random.
			const ours = await count();
			if (step === "writing") expect([crashCommit * ROWS, (crashCommit + 1) * ROWS]).toContain(ours);
			else expect(ours).toBe(committed * ROWS);
			// ClickHouse lists published versions: never ahead of the catalog, at most one behind.
			expect([ours - ROWS, ours]).toContain(await theirs());
			expect(await table.history()).toHaveLength(ours / ROWS);

			await table.publish();
			expect(await theirs()).toBe(ours);
			const removed = await table.removeOrphanFiles({ olderThanMs: Date.now() + 1000 });
			if (step === "candidate-written" || step === "prepared") expect(removed.length).toBeGreaterThan(0);
			expect(await table.removeOrphanFiles({ olderThanMs: Date.now() + 1000 })).toEqual([]);
			expect(await count()).toBe(ours);
			expect(await theirs()).toBe(ours);
			// The table takes new commits after the crash.
			await table.append({ rows: [{ org_id: "org0", report_date: "2026-01-01", row_id: "after", writer: 9 }] });
			expect(await theirs()).toBe(ours + 1);
		}, 60_000);
	}
});
