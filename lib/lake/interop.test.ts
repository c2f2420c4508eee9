/**
 * Other Iceberg readers agree with us: ClickHouse's reader (chDB
 * icebergLocal) and icebird read our tables after appends, an overwrite, a
 * delete, schema changes, compaction and expiry, and return the same row
 * count, sums, distinct partitions and partition-filtered count.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { icebergRead } from "icebird";
import { openTestLake, type TestLake } from "../../test/support/lake.ts";
import {
	type ClickhouseIceberg,
	openClickhouseIceberg,
	storeFetch,
	withFetch,
} from "../../test/support/lake-readers.ts";
import { testNamespace } from "../../test/support/namespace.ts";
import { s3rverMissingReason, startS3rver } from "../../test/support/s3rver.ts";
import { describeWithService } from "../../test/support/services.ts";
import { decodeAvro } from "./avro.ts";
import type { LakeTable } from "./index.ts";

type Row = {
	org_id: string;
	report_date: string;
	impressions: number;
	clicks: number | null;
	spend: string | null;
	campaign: string | null;
	video_views?: number | null;
};

interface Figures {
	rows: number;
	impressions: number;
	clicks: number;
	partitions: number;
	filtered: number;
}

const FILTER = { org: "org1", date: "2026-01-02" };

function batch(seed: number, orgs: number, days: number, perPartition: number): Row[] {
	const rows: Row[] = [];
	for (let o = 0; o < orgs; o++)
		for (let d = 0; d < days; d++)
			for (let i = 0; i < perPartition; i++) {
				const n = seed * 1000 + o * 100 + d * 10 + i;
				rows.push({
					org_id: `org${o}`,
					report_date: `2026-01-0${d + 1}`,
					impressions: n,
					clicks: i % 3 === 0 ? null : n % 7,
					spend: `${n % 50}.${String(n % 100).padStart(2, "0")}`,
					campaign: `c-${n % 5}`,
				});
			}
	return rows;
}

function expected(rows: Row[]): Figures {
	return {
		rows: rows.length,
		impressions: rows.reduce((s, r) => s + r.impressions, 0),
		clicks: rows.reduce((s, r) => s + (r.clicks ?? 0), 0),
		partitions: new Set(rows.map((r) => `${r.org_id}|${r.report_date}`)).size,
		filtered: rows.filter((r) => r.org_id === FILTER.org && r.report_date === FILTER.date).length,
	};
}

async function ours(table: LakeTable): Promise<Figures> {
	const [all] = await table.query<Record<string, bigint | number | null>>({
		select:
			"count(*) AS n, sum(impressions) AS s, coalesce(sum(clicks), 0) AS c, count(DISTINCT (org_id, report_date)) AS p",
	});
	const [one] = await table.query<{ n: bigint }>({
		select: "count(*) AS n",
		orgIds: [FILTER.org],
		dateFrom: FILTER.date,
		dateTo: FILTER.date,
	});
	return {
		rows: Number(all?.n),
		impressions: Number(all?.s ?? 0),
		clicks: Number(all?.c),
		partitions: Number(all?.p),
		filtered: Number(one?.n),
	};
}

async function clickhouse(ch: ClickhouseIceberg, source: string): Promise<Figures & { unpruned: number }> {
	const [all] = await ch.query<Record<string, string | number>>(
		`SELECT count() AS n, sum(impressions) AS s, sum(ifNull(clicks, 0)) AS c, uniqExact(org_id, report_date) AS p FROM ${source}`,
	);
	const where = `WHERE org_id = '${FILTER.org}' AND report_date = toDate('${FILTER.date}')`;
	const [one] = await ch.query<{ n: string }>(`SELECT count() AS n FROM ${source} ${where}`);
	const [raw] = await ch.query<{ n: string }>(
		`SELECT count() AS n FROM ${source} ${where} SETTINGS use_iceberg_partition_pruning = 0, use_iceberg_metadata_files_cache = 0`,
	);
	return {
		rows: Number(all?.n),
		impressions: Number(all?.s),
		clicks: Number(all?.c),
		partitions: Number(all?.p),
		filtered: Number(one?.n),
		unpruned: Number(raw?.n),
	};
}

async function icebird(lakeRun: TestLake, location: string): Promise<Figures> {
	const rows = await withFetch(storeFetch(lakeRun.store, lakeRun.warehouseUri), () =>
		icebergRead({ tableUrl: location }),
	);
	const day = (v: unknown) => (v instanceof Date ? v.toISOString().slice(0, 10) : String(v));
	return {
		rows: rows.length,
		impressions: rows.reduce((s, r) => s + Number(r.impressions), 0),
		clicks: rows.reduce((s, r) => s + Number(r.clicks ?? 0), 0),
		partitions: new Set(rows.map((r) => `${r.org_id}|${day(r.report_date)}`)).size,
		filtered: rows.filter((r) => r.org_id === FILTER.org && day(r.report_date) === FILTER.date).length,
	};
}

interopSuite("local store, ClickHouse icebergLocal", null, async (namespace) => {
	// A low merge threshold makes later snapshots carry merged manifests (EXISTING entries).
	const run = await openTestLake({ dir: namespace.dir, id: namespace.id, extra: { mergeManifestsAbove: 4 } });
	return { run, source: `icebergLocal('${join(run.root ?? "", "bronze/delivery")}')`, stop: async () => {} };
});

interopSuite("S3 store (s3rver), ClickHouse icebergS3", s3rverMissingReason(), async (namespace) => {
	const s3 = await startS3rver();
	const run = await openTestLake({ dir: namespace.dir, id: namespace.id, s3, extra: { mergeManifestsAbove: 4 } });
	const credentials = s3.credentials ? `, '${s3.credentials.accessKeyId}', '${s3.credentials.secretAccessKey}'` : "";
	const url = `${s3.endpoint}/${s3.bucket}/${namespace.id}/bronze/delivery`;
	return { run, source: `icebergS3('${url}'${credentials})`, stop: () => s3.stop() };
});

type Setup = (namespace: {
	id: string;
	dir: string;
}) => Promise<{ run: TestLake; source: string; stop(): Promise<void> }>;

function interopSuite(name: string, missing: string | null, setup: Setup) {
	describeWithService(`lake interop (${name}): ClickHouse and icebird agree with us`, missing, () => {
		const namespace = testNamespace("lake-interop");
		let run: TestLake;
		let ch: ClickhouseIceberg;
		let table: LakeTable;
		let model: Row[] = [];
		let source = "";
		let firstSnapshot: number | bigint | null = null;
		let stop = async () => {};

		beforeAll(async () => {
			const made = await setup(namespace);
			run = made.run;
			stop = made.stop;
			ch = await openClickhouseIceberg(join(namespace.dir, "chdb"), namespace.dir);
			table = await run.lake.createTable({
				layer: "bronze",
				name: "delivery",
				columns: [
					{ name: "org_id", type: "string", required: true },
					{ name: "report_date", type: "date", required: true },
					{ name: "impressions", type: "long", required: true },
					{ name: "clicks", type: "int" },
					{ name: "spend", type: "decimal(9, 2)" },
					{ name: "campaign", type: "string" },
				],
				partitionBy: { org: "org_id", date: "report_date" },
			});
			source = made.source;
		});

		afterAll(async () => {
			await ch?.close();
			await run?.close();
			await stop();
			namespace.cleanup();
		});

		async function agree(step: string) {
			const want = expected(model);
			const location = await table.location();
			const [mine, theirs, bird] = [await ours(table), await clickhouse(ch, source), await icebird(run, location)];
			expect({ step, ...mine }).toEqual({ step, ...want });
			expect({ step, ...theirs }).toEqual({ step, ...want, unpruned: want.filtered });
			expect({ step, ...bird }).toEqual({ step, ...want });
		}

		test("after two appends", async () => {
			const first = batch(1, 3, 4, 3);
			firstSnapshot = (await table.append({ rows: first })).snapshotId;
			model = [...first];
			await agree("append 1");
			const second = batch(2, 2, 3, 2);
			await table.append({ rows: second });
			model.push(...second);
			await agree("append 2");
		});

		test("after overwriting a partition and deleting partitions", async () => {
			const restated = batch(3, 2, 2, 4).filter((r) => r.org_id === "org1" && r.report_date === "2026-01-02");
			const result = await table.overwrite({ rows: restated });
			expect(result.committed).toBe(true);
			model = model.filter((r) => !(r.org_id === "org1" && r.report_date === "2026-01-02")).concat(restated);
			await agree("overwrite");
			await table.deletePartitions({ orgIds: ["org2"], dateTo: "2026-01-02" });
			model = model.filter((r) => !(r.org_id === "org2" && r.report_date <= "2026-01-02"));
			await agree("delete");
			// Time travel: ClickHouse at the first snapshot sees what we see there.
			const then = await table.query<{ n: bigint }>({ select: "count(*) AS n", snapshotId: firstSnapshot ?? 0 });
			const [theirs] = await ch.query<{ n: number }>(
				`SELECT count() AS n FROM ${source} SETTINGS iceberg_snapshot_id = ${firstSnapshot}`,
			);
			expect(Number(theirs?.n)).toBe(Number(then[0]?.n));
			expect(Number(then[0]?.n)).toBe(batch(1, 3, 4, 3).length);
		});

		test("after adding a column and widening types", async () => {
			await table.addColumn({ name: "video_views", type: "long" });
			await table.widenColumn("clicks", "long");
			await table.widenColumn("spend", "decimal(18, 2)");
			const more = batch(4, 3, 2, 2).map((r) => ({
				...r,
				video_views: r.impressions * 2,
				clicks: 3_000_000_000 + (r.clicks ?? 0),
			}));
			await table.append({ rows: more });
			model.push(...more);
			// By now commits have merged manifests: readers see EXISTING entries too.
			const metadata = await table.metadata();
			const current = metadata.snapshots.find((s) => s["snapshot-id"] === metadata["current-snapshot-id"]);
			const list = await decodeAvro<{ existing_files_count: number }>(
				await run.store.getBytes((current?.["manifest-list"] ?? "").slice(run.warehouseUri.length + 1)),
			);
			expect(list.records.some((m) => m.existing_files_count > 0)).toBe(true);
			await agree("schema change");
			const [views] = await ch.query<{ v: string; n: string }>(
				`SELECT sum(video_views) AS v, countIf(video_views IS NULL) AS n FROM ${source}`,
			);
			expect(Number(views?.v)).toBe(more.reduce((s, r) => s + (r.video_views ?? 0), 0));
			expect(Number(views?.n)).toBe(model.length - more.length);
		});

		test("after compaction and expiry", async () => {
			const before = (await table.planScan()).files.length;
			const compacted = await table.compact();
			expect(compacted.filesReplaced).toBeGreaterThan(0);
			expect((await table.planScan()).files.length).toBeLessThan(before);
			expect((await table.history()).at(-1)?.operation).toBe("replace");
			await agree("compaction");
			const expired = await table.expireSnapshots({ olderThanMs: Date.now() + 1, retainLast: 1 });
			expect(expired.filesRemoved).toBeGreaterThan(0);
			expect(await table.history()).toHaveLength(1);
			await agree("expiry");
			// Emptied by a delete: an empty manifest list that ClickHouse reads as no rows.
			// (icebird 0.3.1 refuses tables without data manifests, so it is not asked.)
			await table.deletePartitions({});
			expect(await ours(table)).toEqual({ rows: 0, impressions: 0, clicks: 0, partitions: 0, filtered: 0 });
			const [empty] = await ch.query<{ n: number }>(`SELECT count() AS n FROM ${source}`);
			expect(Number(empty?.n)).toBe(0);
		});
	});
}
