/**
 * Writing data files: rows (validated here) or a DuckDB query are cast to the
 * table schema, written by DuckDB as one Parquet file per (org, date)
 * partition with Iceberg field ids, described from their footers, and moved
 * into `<table>/data/` through the ObjectStore.
 */
import { randomUUID } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import type { TransformEngine } from "../engine/index.ts";
import { AdapterError, ValidationError } from "../errors.ts";
import type { ObjectStore } from "../objectstore/index.ts";
import { dateFromDays } from "./bounds.ts";
import { stringifyJson } from "./json.ts";
import { partitionColumns } from "./partition.ts";
import type { Paths } from "./paths.ts";
import { duckdbFits, duckdbType, validateRows } from "./schema.ts";
import { describeParquet, describeWritten, mayLackBounds, sqlString, type WrittenFile } from "./stats.ts";
import type { DataFile, IcebergSchema, PartitionSpec } from "./types.ts";

/** Rows as JS objects (validated against the schema), or a DuckDB query over the engine's relations. */
export type RowSource = { rows: readonly Record<string, unknown>[] } | { sql: string };

export interface WriteContext {
	engine: TransformEngine;
	store: ObjectStore;
	paths: Paths;
	/** Local scratch directory for Parquet files before they are moved. */
	tempDir: string;
	tableKey: string;
	/** Parallel uploads; default 8. */
	uploadConcurrency?: number;
}

/** Partitions one COPY keeps open at once: one file per partition and DuckDB thread up to this many. */
const MAX_OPEN_PARTITION_FILES = 4096;
/**
 * zstd level 1 rather than DuckDB's default 3: files of a few hundred rows
 * came out no larger (5% smaller on bronze-like rows) and COPY ran up to 10%
 * faster (timed on 100k-row appends over 365 days).
 */
const ZSTD_LEVEL = 1;
const REQUIRED_MARK = "pacer-lake-null-in-required-column:";
const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

interface Relation {
	sql: string;
	/** Whether the source has the column (a query may leave optional ones out). */
	has(name: string): boolean;
}

async function sourceRelation(
	ctx: WriteContext,
	schema: IcebergSchema,
	source: RowSource,
	dir: string,
): Promise<Relation | null> {
	if ("rows" in source) {
		if (source.rows.length === 0) return null;
		const rows = validateRows(schema, source.rows);
		const file = join(dir, "rows.ndjson");
		await writeFile(file, rows.map((r) => stringifyJson(r)).join("\n"));
		const columns = schema.fields.map((f) => `${sqlString(f.name)}: ${sqlString(duckdbType(f.type))}`).join(", ");
		return {
			sql: `read_json(${sqlString(file)}, format = 'newline_delimited', columns = {${columns}})`,
			has: () => true,
		};
	}
	const described = await ctx.engine.all<{ column_name: string; column_type: string }>(`DESCRIBE (${source.sql})`);
	const types = new Map(described.map((c) => [c.column_name, c.column_type]));
	for (const name of types.keys()) {
		if (!schema.fields.some((f) => f.name === name)) {
			throw new ValidationError(`Column "${name}" is not in the table schema`, { context: { column: name } });
		}
	}
	for (const field of schema.fields) {
		const type = types.get(field.name);
		if (type === undefined && field.required) {
			throw new ValidationError(`Column "${field.name}" is required and missing from the query`, {
				context: { column: field.name },
			});
		}
		if (type !== undefined && !duckdbFits(type, field.type)) {
			throw new ValidationError(`Column "${field.name}" has type ${type}, which does not fit ${field.type}`, {
				context: { column: field.name, type: field.type, given: type },
			});
		}
	}
	return { sql: `(${source.sql})`, has: (name) => types.has(name) };
}

function projection(schema: IcebergSchema, present: (name: string) => boolean): string {
	return schema.fields
		.map((f) => {
			const type = duckdbType(f.type);
			if (!present(f.name)) return `CAST(NULL AS ${type}) AS ${ident(f.name)}`;
			const value = `CAST(${ident(f.name)} AS ${type})`;
			const checked = f.required
				? `CASE WHEN ${ident(f.name)} IS NULL THEN error(${sqlString(REQUIRED_MARK + f.name)}) ELSE ${value} END`
				: value;
			return `${checked} AS ${ident(f.name)}`;
		})
		.join(", ");
}

/** Writes `source` as data files of the table and returns their entries (file_path = final URI). */
export async function writeDataFiles(
	ctx: WriteContext,
	schema: IcebergSchema,
	spec: PartitionSpec,
	source: RowSource,
): Promise<DataFile[]> {
	const dir = join(ctx.tempDir, `write-${randomUUID()}`);
	await mkdir(dir, { recursive: true });
	try {
		const relation = await sourceRelation(ctx, schema, source, dir);
		if (relation === null) return [];
		const { org, date } = partitionColumns(spec);
		const described: DataFile[] = [];
		const groups = await partitionGroups(ctx, relation, org, date);
		for (const [i, where] of groups.entries()) {
			const part = where === null ? relation : { ...relation, sql: `(SELECT * FROM ${relation.sql} WHERE ${where})` };
			described.push(...(await copyPartitioned(ctx, schema, spec, part, join(dir, `out-${i}`))));
		}
		return await uploadFiles(ctx, described, (file) => {
			const orgValue = encodeURIComponent(String(file.partition[org]));
			const day = dateFromDays(Number(file.partition[date]));
			return `${ctx.tableKey}/data/${org}=${orgValue}/${date}=${day}/${basename(file.file_path)}`;
		});
	} finally {
		await rm(dir, { recursive: true, force: true });
	}
}

/**
 * The partitions one COPY writes at most. DuckDB's partitioned writer keeps
 * every open file's rows in memory until it closes them all at the end, so a
 * batch spanning a year of report days would need all of it in memory at
 * once (and ran out at a 512 MB ceiling with ~110 MB of records).
 */
export const PARTITIONS_PER_COPY = 64;

/**
 * The relation cut into groups of at most PARTITIONS_PER_COPY partitions, as
 * WHERE predicates (ranges of days per organisation), or one group (null =
 * everything) when it is small, or when a partition value is NULL or absent
 * (the single COPY then fails on it, as it must, rather than leave it out).
 */
async function partitionGroups(
	ctx: WriteContext,
	relation: Relation,
	org: string,
	date: string,
): Promise<(string | null)[]> {
	if (!relation.has(org) || !relation.has(date)) return [null];
	const parts = await ctx.engine.all<{ o: string | null; d: string | null }>(
		`SELECT DISTINCT CAST(${ident(org)} AS VARCHAR) AS o, CAST(${ident(date)} AS VARCHAR) AS d FROM ${relation.sql} ORDER BY o, d`,
	);
	if (parts.length <= PARTITIONS_PER_COPY || parts.some((p) => p.o === null || p.d === null)) return [null];
	const groups: string[] = [];
	for (let start = 0; start < parts.length; start += PARTITIONS_PER_COPY) {
		const ranges = new Map<string, { from: string; to: string }>();
		for (const { o, d } of parts.slice(start, start + PARTITIONS_PER_COPY) as { o: string; d: string }[]) {
			const range = ranges.get(o);
			if (range) range.to = d;
			else ranges.set(o, { from: d, to: d });
		}
		groups.push(
			[...ranges]
				.map(
					([o, { from, to }]) =>
						`(CAST(${ident(org)} AS VARCHAR) = ${sqlString(o)} AND CAST(${ident(date)} AS VARCHAR) BETWEEN ${sqlString(from)} AND ${sqlString(to)})`,
				)
				.join(" OR "),
		);
	}
	return groups;
}

/**
 * Writes the relation as one Parquet file per partition under `out` and
 * describes them from the statistics COPY returns, reading back only the
 * footers of files where those may lack a bound (a second pass over every
 * footer cost about a fifth of an append).
 */
async function copyPartitioned(
	ctx: WriteContext,
	schema: IcebergSchema,
	spec: PartitionSpec,
	relation: Relation,
	out: string,
): Promise<DataFile[]> {
	const { org, date } = partitionColumns(spec);
	const fieldIds = schema.fields.map((f) => `${sqlString(f.name)}: ${f.id}`).join(", ");
	let written: WrittenFile[];
	try {
		// Above DuckDB's default of 100 open partition files it closes and reopens
		// them, writing many small files per partition (and slower).
		written = await ctx.engine.all<WrittenFile>(
			`SET partitioned_write_max_open_files = ${MAX_OPEN_PARTITION_FILES}; COPY (SELECT ${projection(schema, relation.has)} FROM ${relation.sql}) TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL ${ZSTD_LEVEL}, PARTITION_BY (${ident(org)}, ${ident(date)}), WRITE_PARTITION_COLUMNS true, FILENAME_PATTERN 'data_{uuid}', FIELD_IDS {${fieldIds}}, KV_METADATA {'iceberg.schema': ${sqlString(stringifyJson(schema))}}, RETURN_STATS true)`,
		);
	} catch (error) {
		throw copyError(error);
	} finally {
		await ctx.engine.run("RESET partitioned_write_max_open_files").catch(() => {});
	}
	const unsure = new Set(written.filter((file) => mayLackBounds(schema, file)));
	const sure = written.filter((file) => !unsure.has(file));
	const reread = await describeParquet(
		ctx.engine,
		schema,
		spec,
		[...unsure].map((file) => file.filename),
	);
	return [...describeWritten(schema, spec, sure), ...reread];
}

/** A failed COPY as the caller should see it: a ValidationError when the data does not fit. */
function copyError(error: unknown): unknown {
	const message = error instanceof Error ? error.message : String(error);
	const column = new RegExp(`${REQUIRED_MARK}(\\w+)`).exec(message)?.[1];
	if (column) {
		return new ValidationError(`Column "${column}" is required but the data has a null`, { context: { column } });
	}
	if (error instanceof AdapterError && /Conversion Error|Could not convert|out of range/i.test(message)) {
		return new ValidationError(`Data does not fit the table schema: ${message}`, { cause: error });
	}
	return error;
}

/** Moves local files into the store under `keyOf(file)` (renamed where the store can) and rewrites file_path to the final URI. */
export async function uploadFiles(
	ctx: WriteContext,
	files: DataFile[],
	keyOf: (file: DataFile) => string,
): Promise<DataFile[]> {
	const out: DataFile[] = new Array(files.length);
	let next = 0;
	const worker = async () => {
		for (let i = next++; i < files.length; i = next++) {
			const file = files[i] as DataFile;
			const key = keyOf(file);
			await (ctx.store.putFile
				? ctx.store.putFile(key, file.file_path)
				: ctx.store.put(key, Bun.file(file.file_path).stream()));
			out[i] = { ...file, file_path: ctx.paths.uri(key) };
		}
	};
	await Promise.all(Array.from({ length: Math.min(ctx.uploadConcurrency ?? 8, files.length) }, worker));
	return out;
}
