/**
 * Four processes append 25 commits each to one table through the SQLite and
 * through the PostgreSQL catalog: 100 commits, every row present once, and
 * ClickHouse's reader sees the same.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { openTestLake, sharedColumns } from "../../test/support/lake.ts";
import { openClickhouseIceberg } from "../../test/support/lake-readers.ts";
import { testNamespace } from "../../test/support/namespace.ts";
import { postgresUnavailableReason, startPostgres, type TestPostgres } from "../../test/support/postgres.ts";
import { describeWithService } from "../../test/support/services.ts";

const WRITERS = 4;
const COMMITS = 25;
const ROWS = 3;

async function runWriters(config: Record<string, unknown>): Promise<number[][]> {
	const children = Array.from({ length: WRITERS }, (_, writer) =>
		Bun.spawn(
			[
				process.execPath,
				join(import.meta.dir, "../../test/support/lake-writer.ts"),
				JSON.stringify({ ...config, writer, commits: COMMITS, rowsPerCommit: ROWS }),
			],
			{
				stdout: "pipe",
				stderr: "pipe",
			},
		),
	);
	return Promise.all(
		children.map(async (child) => {
			const [code, out, err] = await Promise.all([
				child.exited,
				new Response(child.stdout).text(),
				new Response(child.stderr).text(),
			]);
			if (code !== 0) throw new Error(`writer exited ${code}: ${err}`);
			return (JSON.parse(out.trim()) as { attempts: number[] }).attempts;
		}),
	);
}

function concurrencySuite(
	name: string,
	missing: string | null,
	catalog: () => Promise<{ postgresUrl?: string; stop(): Promise<void> }>,
) {
	describeWithService(`lake concurrency (${name} catalog)`, missing, () => {
		const namespace = testNamespace("lake-concurrency");
		let postgresUrl: string | undefined;
		let stop = async () => {};
		beforeAll(async () => {
			const made = await catalog();
			postgresUrl = made.postgresUrl;
			stop = made.stop;
		});
		afterAll(async () => {
			await stop();
			namespace.cleanup();
		});

		test(`${WRITERS} processes x ${COMMITS} commits: all commits land, every row once`, async () => {
			const config = { dir: namespace.dir, id: namespace.id, postgresUrl };
			const run = await openTestLake(config);
			try {
				const table = await run.lake.createTable({
					layer: "bronze",
					name: "shared",
					columns: [...sharedColumns],
					partitionBy: { org: "org_id", date: "report_date" },
				});
				const attempts = await runWriters(config);
				expect(attempts.flat()).toHaveLength(WRITERS * COMMITS);
				const history = await table.history();
				expect(history).toHaveLength(WRITERS * COMMITS);
				const [figures] = await table.query<{ n: bigint; d: bigint }>({
					select: "count(*) AS n, count(DISTINCT row_id) AS d",
				});
				expect(figures).toEqual({ n: BigInt(WRITERS * COMMITS * ROWS), d: BigInt(WRITERS * COMMITS * ROWS) });
				const ch = await openClickhouseIceberg(join(namespace.dir, "chdb"), namespace.dir);
				try {
					const [theirs] = await ch.query<{ n: number; d: number }>(
						`SELECT count() AS n, uniqExact(row_id) AS d FROM icebergLocal('${join(run.root ?? "", "bronze/shared")}')`,
					);
					expect(theirs).toEqual({ n: WRITERS * COMMITS * ROWS, d: WRITERS * COMMITS * ROWS });
				} finally {
					await ch.close();
				}
				console.log(`${name}: ${attempts.flat().reduce((a, b) => a + b, 0)} attempts for ${WRITERS * COMMITS} commits`);
			} finally {
				await run.close();
			}
		}, 240_000);
	});
}

concurrencySuite("SQLite", null, async () => ({ stop: async () => {} }));

let postgres: TestPostgres | undefined;
concurrencySuite("PostgreSQL", postgresUnavailableReason(), async () => {
	postgres = await startPostgres();
	return { postgresUrl: postgres.url, stop: () => postgres?.stop() ?? Promise.resolve() };
});
