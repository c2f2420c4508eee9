import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { openTestLake, type TestLake } from "../../test/support/lake.ts";
import { testNamespace } from "../../test/support/namespace.ts";
import { ValidationError } from "../errors.ts";
import { decodeAvro } from "./avro.ts";
import { CommitConflictError } from "./catalog.ts";
import type { LakeTable, TableDefinition } from "./index.ts";
import { parseJson, stringifyJson } from "./json.ts";
import { PARTITIONS_PER_COPY } from "./write.ts";

const definition = (name: string): TableDefinition => ({
	layer: "bronze",
	name,
	columns: [
		{ name: "org_id", type: "string", required: true },
		{ name: "report_date", type: "date", required: true },
		{ name: "impressions", type: "long", required: true },
		{ name: "spend", type: "decimal(9, 2)" },
		{ name: "seen_at", type: "timestamptz" },
	],
	partitionBy: { org: "org_id", date: "report_date" },
});

function rows(orgs: string[], dates: string[], perPartition: number, base = 0) {
	return orgs.flatMap((org_id, o) =>
		dates.flatMap((report_date, d) =>
			Array.from({ length: perPartition }, (_, i) => ({
				org_id,
				report_date,
				impressions: base + o * 1000 + d * 100 + i,
				spend: i % 2 ? null : `${i}.25`,
				seen_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i, 250)),
			})),
		),
	);
}

const count = async (table: LakeTable, options = {}) =>
	Number((await table.query<{ n: bigint }>({ select: "count(*) AS n", ...options }))[0]?.n);

describe("lake tables (local store, SQLite catalog)", () => {
	const namespace = testNamespace("lake");
	let run: TestLake;

	beforeAll(async () => {
		run = await openTestLake({ dir: namespace.dir, id: namespace.id });
	});
	afterAll(async () => {
		await run?.close();
		namespace.cleanup();
	});

	test("rows that do not fit the schema fail naming the column and change nothing", async () => {
		const table = await run.lake.createTable(definition("bad_input"));
		await table.append({ rows: rows(["a"], ["2026-01-01"], 2) });
		const before = await table.metadata();
		const attempts: [() => Promise<unknown>, string][] = [
			[() => table.append({ rows: [{ org_id: "a", report_date: "2026-01-01", impressions: "many" }] }), "impressions"],
			[() => table.append({ rows: [{ org_id: "a", report_date: "2026-01-01", impressions: null }] }), "impressions"],
			[() => table.append({ rows: [{ org_id: null, report_date: "2026-01-01", impressions: 1 }] }), "org_id"],
			[() => table.append({ rows: [{ org_id: "a", report_date: "01/02/2026", impressions: 1 }] }), "report_date"],
			[
				() => table.append({ rows: [{ org_id: "a", report_date: "2026-01-01", impressions: 1, spend: "1.234" }] }),
				"spend",
			],
			[() => table.append({ rows: [{ org_id: "a", report_date: "2026-01-01", impressions: 1, extra: 1 }] }), "extra"],
			[
				() => table.append({ sql: "SELECT 'a' AS org_id, DATE '2026-01-01' AS report_date, 'x' AS impressions" }),
				"impressions",
			],
			[
				() =>
					table.append({ sql: "SELECT 'a' AS org_id, DATE '2026-01-01' AS report_date, NULL::BIGINT AS impressions" }),
				"impressions",
			],
			[() => table.append({ sql: "SELECT 'a' AS org_id, DATE '2026-01-01' AS report_date" }), "impressions"],
		];
		for (const [attempt, column] of attempts) {
			const error = await attempt().then(
				() => null,
				(e: unknown) => e,
			);
			expect(error).toBeInstanceOf(ValidationError);
			expect((error as ValidationError).context.column).toBe(column);
			expect((error as Error).message).toContain(column);
		}
		const after = await table.metadata();
		expect(after["current-snapshot-id"]).toBe(before["current-snapshot-id"]);
		expect(after.snapshots).toHaveLength(1);
		expect(await count(table)).toBe(2);
	});

	test("data files carry exact counts and bounds, manifests the header keys readers need", async () => {
		const table = await run.lake.createTable(definition("stats"));
		await table.append({ rows: rows(["a", "b"], ["2026-01-01", "2026-01-02"], 5) });
		const plan = await table.planScan();
		expect(plan.files).toHaveLength(4);
		for (const { dataFile } of plan.files) {
			const path = new URL(dataFile.file_path).pathname;
			const [actual] = await run.engine.all<Record<string, bigint | string>>(
				`SELECT count(*) AS n, min(impressions)::VARCHAR AS lo, max(impressions)::VARCHAR AS hi, count(*) - count(spend) AS spend_nulls FROM read_parquet('${path}')`,
			);
			expect(dataFile.record_count).toBe(Number(actual?.n));
			const bound = (list: typeof dataFile.lower_bounds, id: number) => list?.find((b) => b.key === id)?.value;
			expect(bound(dataFile.lower_bounds, 3)?.readBigInt64LE()).toBe(BigInt(actual?.lo as string));
			expect(bound(dataFile.upper_bounds, 3)?.readBigInt64LE()).toBe(BigInt(actual?.hi as string));
			expect(dataFile.null_value_counts?.find((c) => c.key === 4)?.value).toBe(Number(actual?.spend_nulls));
			expect(dataFile.partition.org_id).toBe(path.includes("org_id=a") ? "a" : "b");
			const fields = await run.engine.all<{ name: string; field_id: bigint }>(
				`SELECT name, field_id FROM parquet_schema('${path}') WHERE field_id IS NOT NULL`,
			);
			expect(fields.map((f) => [f.name, Number(f.field_id)])).toEqual([
				["org_id", 1],
				["report_date", 2],
				["impressions", 3],
				["spend", 4],
				["seen_at", 5],
			]);
		}
		const metadata = await table.metadata();
		const list = metadata.snapshots[0]?.["manifest-list"] ?? "";
		const listFile = await decodeAvro<{ manifest_path: string }>(
			await run.store.getBytes(list.slice(run.warehouseUri.length + 1)),
		);
		expect(listFile.metadata["format-version"]).toBe("2");
		const manifestPath = listFile.records[0]?.manifest_path ?? "";
		const manifest = await decodeAvro(await run.store.getBytes(manifestPath.slice(run.warehouseUri.length + 1)));
		expect(JSON.parse(manifest.metadata["partition-spec"] ?? "")).toHaveLength(2);
		expect(JSON.parse(manifest.metadata.schema ?? "")["schema-id"]).toBe(0);
		expect(manifest.metadata["format-version"]).toBe("2");
		expect(manifest.metadata.content).toBe("data");
		expect(metadata.snapshots[0]?.summary["total-records"]).toBe("20");
	});

	test("an append over more partitions than one COPY takes writes each once, every row exactly once", async () => {
		const table = await run.lake.createTable(definition("many_partitions"));
		const dates = Array.from({ length: 100 }, (_, d) => new Date(Date.UTC(2026, 0, 1 + d)).toISOString().slice(0, 10));
		const written = rows(["a", "b"], dates, 3);
		expect(dates.length * 2).toBeGreaterThan(PARTITIONS_PER_COPY * 3);
		await table.append({ rows: written });
		const plan = await table.planScan();
		expect(plan.files.length).toBe(200);
		expect(new Set(plan.files.map((f) => JSON.stringify(f.dataFile.partition))).size).toBe(200);
		expect(plan.files.every((f) => Number(f.dataFile.record_count) === 3)).toBe(true);
		const [sums] = await table.query<{ n: bigint; s: bigint }>({ select: "count(*) AS n, sum(impressions) AS s" });
		expect(Number(sums?.n)).toBe(written.length);
		expect(Number(sums?.s)).toBe(written.reduce((sum, r) => sum + r.impressions, 0));
		// A NULL partition value is refused whole, not left out of the groups.
		const before = await table.metadata();
		await expect(
			table.append({
				sql: "SELECT 'a' AS org_id, DATE '2026-01-01' + i::INTEGER AS report_date, i AS impressions FROM range(100) AS t(i) UNION ALL SELECT 'a', NULL, 1",
			}),
		).rejects.toBeInstanceOf(ValidationError);
		expect((await table.metadata())["current-snapshot-id"]).toBe(before["current-snapshot-id"]);
	});

	test("scan planning prunes by partition and by column bounds", async () => {
		const table = await run.lake.createTable(definition("pruning"));
		await table.append({ rows: rows(["a", "b", "c"], ["2026-01-01", "2026-01-02", "2026-01-03"], 3) });
		await table.append({ rows: rows(["d"], ["2026-02-01"], 3) });
		const one = await table.planScan({ orgIds: ["b"], dateFrom: "2026-01-02", dateTo: "2026-01-02" });
		expect(one.files).toHaveLength(1);
		expect(one.filesSkipped).toBe(2); // only org b's manifest was read
		expect(one.manifestsSkipped).toBe(3); // one manifest per organisation and commit
		const byBounds = await table.planScan({ columns: { impressions: { min: 2100, max: 2102 } } });
		expect(byBounds.files.map((f) => f.dataFile.partition)).toEqual([{ org_id: "c", report_date: 20455 }]);
		expect(await count(table, { orgIds: ["a", "c"], dateTo: "2026-01-02" })).toBe(12);
	});

	test("time travel by snapshot id and by time, with the schema of the snapshot; history", async () => {
		const table = await run.lake.createTable(definition("travel"));
		const first = await table.append({ rows: rows(["a"], ["2026-01-01"], 4) });
		const afterFirst = Date.now();
		await Bun.sleep(5); // two commits in one millisecond would share a timestamp
		await table.addColumn({ name: "clicks", type: "long" });
		await table.append({ rows: [{ org_id: "a", report_date: "2026-01-02", impressions: 1, clicks: 9 }] });
		expect(await count(table)).toBe(5);
		expect(await count(table, { snapshotId: first.snapshotId ?? 0 })).toBe(4);
		expect(await count(table, { asOfMs: afterFirst })).toBe(4);
		const old = await table.query({ snapshotId: first.snapshotId ?? 0, tail: "LIMIT 1" });
		expect(Object.keys(old[0] ?? {})).not.toContain("clicks");
		const now = await table.query<{ clicks: bigint | null }>({ select: "clicks", where: "clicks IS NOT NULL" });
		expect(now).toEqual([{ clicks: 9n }]);
		const history = await table.history();
		expect(history.map((h) => h.operation)).toEqual(["append", "append"]);
		expect(history[1]?.parentId).toBe(history[0]?.snapshotId ?? null);
		expect(history[1]?.isCurrent).toBe(true);
		await expect(table.query({ asOfMs: 1 })).rejects.toThrow(/No snapshot/);
	});

	test("retention deletes old partitions; orphan cleanup keeps young and referenced files", async () => {
		const table = await run.lake.createTable({
			...definition("retention"),
			properties: { "pacer.retention-days": "30" },
		});
		await table.append({ rows: rows(["a", "b"], ["2026-01-01", "2026-03-01", "2026-03-30"], 2) });
		expect((await table.applyRetention({ days: 365, todayMs: Date.UTC(2026, 3, 1) })).committed).toBe(false);
		const result = await table.applyRetention({ todayMs: Date.UTC(2026, 3, 1) }); // the table's 30 days
		expect(result.committed).toBe(true);
		expect(await count(table)).toBe(4);
		expect((await table.history()).at(-1)?.operation).toBe("delete");
		const again = await table.applyRetention({ days: 30, todayMs: Date.UTC(2026, 3, 1) });
		expect(again.committed).toBe(false);

		const leftovers = [
			"bronze/retention/data/org_id=a/report_date=2026-03-01/lost.parquet",
			"bronze/retention/metadata/0b1c2d3e-0000-4000-8000-000000000000.metadata.json",
		];
		for (const key of leftovers) await run.store.put(key, "leftover");
		expect(await table.removeOrphanFiles({ olderThanMs: Date.now() - 60_000 })).toEqual([]);
		const removed = await table.removeOrphanFiles({ olderThanMs: Date.now() + 1000 });
		expect(removed.sort()).toEqual(leftovers.sort());
		expect(await count(table)).toBe(4);
	});

	test("an overwrite that loses its commit is re-applied on the new base", async () => {
		const table = await run.lake.createTable(definition("conflict"));
		await table.append({ rows: rows(["a"], ["2026-01-01", "2026-01-02"], 3) });
		const other = await openTestLake({
			dir: namespace.dir,
			id: namespace.id,
			extra: {
				onCommitStep: async (step) => {
					if (step !== "prepared" || interfered) return;
					interfered = true;
					await table.append({ rows: rows(["a"], ["2026-01-01"], 2, 500) });
				},
			},
		});
		let interfered = false;
		try {
			const mine = await other.lake.loadTable("bronze", "conflict");
			const result = await mine.overwrite({ rows: rows(["a"], ["2026-01-01"], 1, 900) });
			expect(result.attempts).toBe(2);
			// The interfering append landed in the overwritten partition, so the retry replaced it too.
			expect(await count(table, { dateFrom: "2026-01-01", dateTo: "2026-01-01" })).toBe(1);
			expect(await count(table)).toBe(4);
			const names = [];
			for await (const o of run.store.list("bronze/conflict/metadata/")) names.push(o.key.split("/").at(-1) ?? "");
			const published = names.filter((n) => /^v\d+\.metadata\.json$/.test(n)).sort();
			expect(published).toEqual(["v1.metadata.json", "v2.metadata.json", "v3.metadata.json", "v4.metadata.json"]);
			expect(new TextDecoder().decode(await run.store.getBytes("bronze/conflict/metadata/version-hint.text"))).toBe(
				"4",
			);
		} finally {
			await other.close();
		}
	});

	test("compaction loses to a concurrent overwrite of its files instead of resurrecting them", async () => {
		const table = await run.lake.createTable(definition("compaction_conflict"));
		for (const base of [0, 10, 20]) await table.append({ rows: rows(["a"], ["2026-01-01"], 2, base) });
		let interfered = false;
		const other = await openTestLake({
			dir: namespace.dir,
			id: namespace.id,
			extra: {
				onCommitStep: async (step) => {
					if (step !== "prepared" || interfered) return;
					interfered = true;
					await table.overwrite({ rows: rows(["a"], ["2026-01-01"], 1, 700) });
				},
			},
		});
		try {
			const compactor = await other.lake.loadTable("bronze", "compaction_conflict");
			await expect(compactor.compact()).rejects.toBeInstanceOf(CommitConflictError);
			expect(await count(table)).toBe(1);
			expect((await table.history()).at(-1)?.operation).toBe("overwrite");
		} finally {
			await other.close();
		}
	});

	test("float widens to double and old files read as double", async () => {
		const table = await run.lake.createTable({
			...definition("widen_float"),
			columns: [...definition("widen_float").columns, { name: "ratio", type: "float" }],
		});
		await table.append({ rows: [{ org_id: "a", report_date: "2026-01-01", impressions: 1, ratio: 0.5 }] });
		await table.widenColumn("ratio", "double");
		await table.append({ rows: [{ org_id: "a", report_date: "2026-01-02", impressions: 2, ratio: 0.1 }] });
		const read = await table.query<{ ratio: number }>({ select: "ratio", tail: "ORDER BY impressions" });
		expect(read).toEqual([{ ratio: 0.5 }, { ratio: 0.1 }]);
		await expect(table.widenColumn("ratio", "float")).rejects.toThrow(/cannot change/);
		await expect(table.addColumn({ name: "must", type: "long", required: true })).rejects.toThrow(/optional/);
	});

	test("metadata JSON keeps 64-bit ids exact", () => {
		const text = '{"current-snapshot-id":9223372036854775807,"small":42,"f":1.5}';
		const parsed = parseJson<Record<string, unknown>>(text);
		expect(parsed["current-snapshot-id"]).toBe(9223372036854775807n);
		expect(parsed.small).toBe(42);
		expect(stringifyJson(parsed)).toBe(text);
	});
});
