/**
 * A lake table: writes (append, partition overwrite, partition delete),
 * schema evolution, scans and reads, history, and maintenance, each write one
 * catalog commit retried on conflict.
 */
import type { TransformEngine } from "../engine/index.ts";
import { ValidationError } from "../errors.ts";
import { dateFromDays, daysFromDate } from "./bounds.ts";
import type { CommitContext, CommitResult } from "./commit.ts";
import { commit, loadCurrent, publish } from "./commit.ts";
import type { SchemaChange } from "./evolve.ts";
import { applySchemaChange } from "./evolve.ts";
import { sameId } from "./json.ts";
import type { ExpireOptions, OrphanOptions } from "./maintenance.ts";
import { applyExpiry, removeExpiredFiles, removeOrphans } from "./maintenance.ts";
import type { PartitionFilter } from "./partition.ts";
import { fileKeyPartition, partitionColumns, partitionMatches } from "./partition.ts";
import type { FileAccess } from "./read.ts";
import { relationSql } from "./read.ts";
import type { ScanOptions, ScanPlan } from "./scan.ts";
import { planScan } from "./scan.ts";
import type { ColumnSpec } from "./schema.ts";
import { currentSchema } from "./schema.ts";
import type { ChangeState, SnapshotChange } from "./snapshot-ops.ts";
import { prepareSnapshot } from "./snapshot-ops.ts";
import type { PrimitiveType, SnapshotId, TableMetadata } from "./types.ts";
import type { RowSource } from "./write.ts";
import { writeDataFiles } from "./write.ts";

export interface CommitSummary {
	/** The snapshot now current (null for a table never written). */
	snapshotId: SnapshotId | null;
	/** Metadata location the catalog points at. */
	metadataLocation: string;
	/** Attempts the commit took (1 without contention). */
	attempts: number;
	/** False when the change was empty and nothing was committed. */
	committed: boolean;
}

export interface SnapshotInfo {
	snapshotId: SnapshotId;
	parentId: SnapshotId | null;
	timestampMs: number;
	operation: string;
	summary: Record<string, string>;
	schemaId: number;
	isCurrent: boolean;
}

export interface ReadOptions extends ScanOptions {
	/** Select list, default `*`. */
	select?: string;
	/** Extra DuckDB predicate over the table's columns. */
	where?: string;
	/** Trailing clause, e.g. `GROUP BY org_id ORDER BY 1`. */
	tail?: string;
}

export interface CompactOptions extends PartitionFilter {
	/** Partitions with at least this many data files are compacted; default 2. */
	minFiles?: number;
}

export interface LakeTable {
	readonly namespace: string;
	readonly name: string;
	/** Table root URI (`location` in the metadata). */
	location(): Promise<string>;
	/** The current metadata (read through the catalog). */
	metadata(): Promise<TableMetadata>;
	/** Appends rows; ValidationError naming the column when they do not fit the schema (nothing committed). */
	append(source: RowSource): Promise<CommitSummary>;
	/** Atomically replaces the partitions present in `source` and those matching `also`. */
	overwrite(source: RowSource, also?: PartitionFilter): Promise<CommitSummary>;
	/** Removes every data file of the matching partitions (a `delete` snapshot). */
	deletePartitions(filter: PartitionFilter): Promise<CommitSummary>;
	addColumn(column: ColumnSpec): Promise<CommitSummary>;
	widenColumn(name: string, type: PrimitiveType): Promise<CommitSummary>;
	planScan(options?: ScanOptions): Promise<ScanPlan>;
	/**
	 * The planned files as a table expression of the lake's own DuckDB
	 * (`read_parquet([...], schema = ...)`, typed as the table's current schema),
	 * for a caller that runs its SQL on that engine and must not copy rows out.
	 */
	relation(options?: ScanOptions): Promise<string>;
	/** Runs `SELECT select FROM <table> [WHERE ...] tail` in DuckDB over the planned files. */
	query<T = Record<string, unknown>>(options?: ReadOptions): Promise<T[]>;
	/** Snapshots, oldest first. */
	history(): Promise<SnapshotInfo[]>;
	/**
	 * Deletes partitions whose report date is more than `days` before `todayMs`
	 * (default now). `days` defaults to the table property `pacer.retention-days`,
	 * else 90 for bronze and 365 for silver (DESIGN.md §5).
	 */
	applyRetention(options?: { days?: number; todayMs?: number }): Promise<CommitSummary>;
	/** Expires old snapshots and removes the files only they reached. */
	expireSnapshots(options: ExpireOptions): Promise<CommitSummary & { filesRemoved: number }>;
	/** Removes unreferenced objects older than the window; returns their keys. */
	removeOrphanFiles(options: OrphanOptions): Promise<string[]>;
	/** Rewrites partitions with many files into one file each (a `replace` snapshot). */
	compact(options?: CompactOptions): Promise<CommitSummary & { partitions: number; filesReplaced: number }>;
	/** Publishes the catalog's version for folder-listing readers (repairs a crash after a swap). */
	publish(): Promise<void>;
}

/** Table property overriding the layer's retention, in days of report date. */
export const RETENTION_PROPERTY = "pacer.retention-days";
const DEFAULT_RETENTION_DAYS: Record<string, number> = { bronze: 90, silver: 365 };

function summary(result: CommitResult): CommitSummary {
	const id = result.metadata["current-snapshot-id"];
	return {
		snapshotId: id === -1 ? null : id,
		metadataLocation: result.location,
		attempts: result.attempts,
		committed: result.committed,
	};
}

export function createLakeTable(args: {
	ctx: CommitContext;
	engine: TransformEngine;
	tempDir: string;
	access: FileAccess;
}): LakeTable {
	const { ctx, engine, access } = args;
	const writeCtx = { engine, store: ctx.store, paths: ctx.paths, tempDir: args.tempDir, tableKey: ctx.tableKey };

	async function change(build: () => Promise<SnapshotChange>): Promise<CommitSummary> {
		const snapshotChange = await build();
		const state: ChangeState = {};
		return summary(await commit(ctx, (base) => prepareSnapshot(ctx, base, snapshotChange, state)));
	}

	async function write(source: RowSource) {
		const { metadata } = await loadCurrent(ctx);
		const spec = metadata["partition-specs"].find((s) => s["spec-id"] === metadata["default-spec-id"]);
		if (!spec) throw new Error("default partition spec missing");
		return { spec, files: await writeDataFiles(writeCtx, currentSchema(metadata), spec, source) };
	}

	const schemaChange = async (changeSpec: SchemaChange) =>
		summary(await commit(ctx, async (base) => applySchemaChange(base, changeSpec, ctx.now())));

	const table: LakeTable = {
		namespace: ctx.ident.namespace,
		name: ctx.ident.name,
		location: async () => (await loadCurrent(ctx)).metadata.location,
		metadata: async () => (await loadCurrent(ctx)).metadata,
		append: (source) =>
			change(async () => {
				const { files } = await write(source);
				return { operation: "append", added: files };
			}),
		overwrite: (source, also) =>
			change(async () => {
				const { spec, files } = await write(source);
				const written = new Set(files.map((f) => fileKeyPartition(f, spec)));
				const paths = new Set(files.map((f) => f.file_path));
				return {
					operation: "overwrite",
					added: files,
					removes: (f) =>
						!paths.has(f.dataFile.file_path) &&
						(written.has(fileKeyPartition(f.dataFile, spec)) ||
							(also !== undefined && partitionMatches(spec, f.dataFile.partition, also))),
				};
			}),
		deletePartitions: async (filter) => {
			const { metadata } = await loadCurrent(ctx);
			const spec = metadata["partition-specs"][0];
			if (!spec) throw new Error("partition spec missing");
			return change(async () => ({
				operation: "delete",
				added: [],
				removeFilter: filter,
				removes: (f) => partitionMatches(spec, f.dataFile.partition, filter),
			}));
		},
		addColumn: (column) => schemaChange({ addColumn: column }),
		widenColumn: (name, type) => schemaChange({ widenColumn: { name, type } }),
		planScan: async (options = {}) => planScan(ctx.io, (await loadCurrent(ctx)).metadata, options),
		async relation(options: ScanOptions = {}) {
			const plan = await table.planScan(options);
			return relationSql(access, plan.schema, plan.files);
		},
		async query<T>(options: ReadOptions = {}) {
			const relation = await table.relation(options);
			const where = options.where ? ` WHERE ${options.where}` : "";
			return engine.all<T>(`SELECT ${options.select ?? "*"} FROM ${relation} AS t${where} ${options.tail ?? ""}`);
		},
		async history() {
			const { metadata } = await loadCurrent(ctx);
			return [...metadata.snapshots]
				.sort((a, b) => a["sequence-number"] - b["sequence-number"])
				.map((s) => ({
					snapshotId: s["snapshot-id"],
					parentId: s["parent-snapshot-id"] ?? null,
					timestampMs: s["timestamp-ms"],
					operation: s.summary.operation,
					summary: s.summary,
					schemaId: s["schema-id"],
					isCurrent: sameId(s["snapshot-id"], metadata["current-snapshot-id"]),
				}));
		},
		applyRetention: async ({ days, todayMs } = {}) => {
			const property = (await loadCurrent(ctx)).metadata.properties[RETENTION_PROPERTY];
			const keep = days ?? (property ? Number(property) : (DEFAULT_RETENTION_DAYS[ctx.ident.namespace] ?? 365));
			if (!Number.isInteger(keep) || keep < 0) {
				throw new ValidationError(`Retention must be a whole number of days, got ${keep}`, { context: { days: keep } });
			}
			const today = daysFromDate(new Date(todayMs ?? ctx.now()).toISOString().slice(0, 10));
			return table.deletePartitions({ dateTo: dateFromDays(today - keep - 1) });
		},
		async expireSnapshots(options) {
			let expired: Parameters<typeof removeExpiredFiles>[2] = [];
			const result = await commit(ctx, async (base) => {
				const outcome = applyExpiry(base, options, ctx.now());
				expired = outcome?.expired ?? [];
				return outcome?.prepared ?? null;
			});
			const filesRemoved = expired.length ? await removeExpiredFiles(ctx, result.metadata, expired) : 0;
			return { ...summary(result), filesRemoved };
		},
		removeOrphanFiles: (options) => removeOrphans(ctx, options),
		async compact(options = {}) {
			const plan = await table.planScan(options);
			const { metadata } = await loadCurrent(ctx);
			const spec = metadata["partition-specs"][0];
			if (!spec) throw new Error("partition spec missing");
			const groups = new Map<string, typeof plan.files>();
			for (const file of plan.files) {
				const key = fileKeyPartition(file.dataFile, spec);
				groups.set(key, [...(groups.get(key) ?? []), file]);
			}
			const chosen = [...groups.values()].filter((g) => g.length >= (options.minFiles ?? 2));
			const old = chosen.flat();
			if (old.length === 0)
				return {
					...summary({ ...(await loadCurrent(ctx)), attempts: 0, committed: false }),
					partitions: 0,
					filesReplaced: 0,
				};
			const relation = await relationSql(access, plan.schema, old);
			const { org, date } = partitionColumns(spec);
			const result = await change(async () => {
				const files = await writeDataFiles(writeCtx, plan.schema, spec, { sql: `SELECT * FROM ${relation}` });
				return {
					operation: "replace",
					added: files,
					removeFilter: {
						partitions: chosen.map((g) => ({
							orgId: String(g[0]?.dataFile.partition[org]),
							date: dateFromDays(Number(g[0]?.dataFile.partition[date])),
						})),
					},
					mustRemove: new Set(old.map((f) => f.dataFile.file_path)),
				};
			});
			return { ...result, partitions: chosen.length, filesReplaced: old.length };
		},
		publish: async () => publish(ctx, await loadCurrent(ctx)),
	};
	return table;
}
