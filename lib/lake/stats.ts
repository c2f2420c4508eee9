/**
 * Iceberg data-file entries from Parquet files DuckDB wrote: exact row counts
 * and sizes, per-column sizes, value and null counts, and bounds from the
 * row-group statistics, either as COPY returned them (RETURN_STATS, no second
 * read) or read back from the footers (parquet_metadata). A bound is left out
 * whenever it cannot be proven exact (see bounds.ts).
 */

import type { TransformEngine } from "../engine/index.ts";
import { ValidationError } from "../errors.ts";
import { compareBounds, daysFromDate, encodeBound } from "./bounds.ts";
import { partitionColumns } from "./partition.ts";
import { parseDecimal } from "./schema.ts";
import type { DataFile, IcebergSchema, KeyValue, PartitionSpec, PrimitiveType } from "./types.ts";

interface ColumnChunk {
	file_name: string;
	path_in_schema: string;
	num_values: bigint | null;
	stats_null_count: bigint | null;
	stats_min_value: string | null;
	stats_max_value: string | null;
	total_compressed_size: bigint | null;
}

interface FileFooter {
	file_name: string;
	num_rows: bigint;
	file_size_bytes: bigint;
}

export const sqlString = (value: string) => `'${value.replace(/'/g, "''")}'`;

interface ColumnAcc {
	size: number;
	values: number;
	nulls: number | null;
	lower: Buffer | null;
	upper: Buffer | null;
	boundsValid: boolean;
	lowerText: string | null;
}

const emptyAcc = (): ColumnAcc => ({
	size: 0,
	values: 0,
	nulls: 0,
	lower: null,
	upper: null,
	boundsValid: true,
	lowerText: null,
});

/** Folds one column chunk (or one file's unified stats) into `acc`; `allNull` chunks carry no bounds. */
function addStats(
	acc: ColumnAcc,
	type: PrimitiveType | undefined,
	chunk: { nulls: number | null; allNull: boolean; min: string | null; max: string | null },
): void {
	acc.nulls = acc.nulls === null || chunk.nulls === null ? null : acc.nulls + chunk.nulls;
	if (type === undefined || chunk.allNull) return;
	const lower = chunk.min === null ? null : encodeBound(type, chunk.min);
	const upper = chunk.max === null ? null : encodeBound(type, chunk.max);
	if (lower === null || upper === null) {
		acc.boundsValid = false;
		return;
	}
	if (acc.lower === null || compareBounds(type, lower, acc.lower) < 0) {
		acc.lower = lower;
		acc.lowerText = chunk.min;
	}
	if (acc.upper === null || compareBounds(type, upper, acc.upper) > 0) acc.upper = upper;
}

/** Reads the footers of `localPaths` and returns one DataFile per path (file_path still the local path). */
export async function describeParquet(
	engine: TransformEngine,
	schema: IcebergSchema,
	spec: PartitionSpec,
	localPaths: readonly string[],
): Promise<DataFile[]> {
	if (localPaths.length === 0) return [];
	const list = `[${localPaths.map(sqlString).join(", ")}]`;
	const footers = await engine.all<FileFooter>(
		`SELECT file_name, num_rows, file_size_bytes FROM parquet_file_metadata(${list})`,
	);
	const chunks = await engine.all<ColumnChunk>(
		`SELECT file_name, path_in_schema, num_values, stats_null_count, stats_min_value, stats_max_value, total_compressed_size FROM parquet_metadata(${list})`,
	);
	const types = new Map(schema.fields.map((f) => [f.name, f.type] as const));
	const byFile = new Map<string, Map<string, ColumnAcc>>();
	for (const chunk of chunks) {
		const columns = byFile.get(chunk.file_name) ?? new Map<string, ColumnAcc>();
		byFile.set(chunk.file_name, columns);
		let acc = columns.get(chunk.path_in_schema);
		if (!acc) {
			acc = emptyAcc();
			columns.set(chunk.path_in_schema, acc);
		}
		acc.size += Number(chunk.total_compressed_size ?? 0n);
		acc.values += Number(chunk.num_values ?? 0n);
		const nulls = chunk.stats_null_count === null ? null : Number(chunk.stats_null_count);
		addStats(acc, types.get(chunk.path_in_schema), {
			nulls,
			allNull: nulls !== null && chunk.num_values !== null && nulls === Number(chunk.num_values),
			min: chunk.stats_min_value,
			max: chunk.stats_max_value,
		});
	}
	return footers.map((footer) =>
		dataFile(schema, spec, {
			path: footer.file_name,
			rows: Number(footer.num_rows),
			bytes: Number(footer.file_size_bytes),
			columns: byFile.get(footer.file_name) ?? new Map(),
		}),
	);
}

/** One row of `COPY ... (RETURN_STATS true)`: a file DuckDB wrote, with its stats unified over row groups. */
export interface WrittenFile {
	filename: string;
	count: bigint;
	file_size_bytes: bigint;
	column_statistics: { key: string; value: { key: string; value: string }[] }[];
}

/** Types encodeBound never bounds: their missing statistics lose nothing. */
const UNBOUNDED = new Set<PrimitiveType>(["float", "double"]);

/** Types whose RETURN_STATS text is not the footer's (booleans come as 0/1; wide decimals vary by version). */
const footerOnly = (type: PrimitiveType) => type === "boolean" || (parseDecimal(type)?.precision ?? 0) > 18;

/**
 * Whether the footers might give a bound RETURN_STATS left out or renders
 * differently. DuckDB drops a column's min/max for the whole file when any
 * row group has none (one all null, say), where describeParquet skips such
 * row groups. Such files (rare) are read back, so the entries do not depend
 * on which path described them.
 */
export function mayLackBounds(schema: IcebergSchema, file: WrittenFile): boolean {
	const byName = new Map(file.column_statistics.map((c) => [unquote(c.key), c.value]));
	return schema.fields.some((field) => {
		if (UNBOUNDED.has(field.type)) return false;
		if (footerOnly(field.type)) return true;
		const stats = new Map((byName.get(field.name) ?? []).map((s) => [s.key, s.value]));
		if (stats.has("min") && stats.has("max")) return false;
		const nulls = stats.get("null_count");
		return nulls === undefined || Number(nulls) !== Number(stats.get("num_values") ?? file.count);
	});
}

/** `"name"` (DuckDB's quoted column key) → name. */
const unquote = (key: string) => (key.startsWith('"') ? key.slice(1, -1).replace(/""/g, '"') : key);

/**
 * DataFiles from RETURN_STATS rows, so the footers need not be read back: the
 * sizes, counts and bounds are those parquet_metadata would give (file_path
 * still the local path).
 */
export function describeWritten(schema: IcebergSchema, spec: PartitionSpec, files: readonly WrittenFile[]): DataFile[] {
	const types = new Map(schema.fields.map((f) => [f.name, f.type] as const));
	return files.map((file) => {
		const rows = Number(file.count);
		const columns = new Map<string, ColumnAcc>();
		for (const { key, value } of file.column_statistics) {
			const name = unquote(key);
			const stats = new Map(value.map((s) => [s.key, s.value]));
			const nullText = stats.get("null_count");
			const nulls = nullText === undefined ? null : Number(nullText);
			const values = Number(stats.get("num_values") ?? rows);
			const acc = emptyAcc();
			acc.size = Number(stats.get("column_size_bytes") ?? 0);
			acc.values = values;
			addStats(acc, types.get(name), {
				nulls,
				allNull: nulls !== null && nulls === values,
				min: stats.get("min") ?? null,
				max: stats.get("max") ?? null,
			});
			columns.set(name, acc);
		}
		return dataFile(schema, spec, { path: file.filename, rows, bytes: Number(file.file_size_bytes), columns });
	});
}

function dataFile(
	schema: IcebergSchema,
	spec: PartitionSpec,
	file: { path: string; rows: number; bytes: number; columns: Map<string, ColumnAcc> },
): DataFile {
	const { org, date } = partitionColumns(spec);
	const { columns } = file;
	const metric = <V>(pick: (acc: ColumnAcc) => V | null): KeyValue<V>[] => {
		const out: KeyValue<V>[] = [];
		for (const field of schema.fields) {
			const acc = columns.get(field.name);
			const value = acc ? pick(acc) : null;
			if (value !== null) out.push({ key: field.id, value });
		}
		return out;
	};
	const partitionText = (name: string) => {
		const acc = columns.get(name);
		if (!acc?.boundsValid || !acc.lower || !acc.upper || acc.lower.compare(acc.upper) !== 0 || acc.lowerText === null) {
			throw new ValidationError(`Data file ${file.path} does not hold exactly one value of partition column ${name}`);
		}
		return acc.lowerText;
	};
	return {
		content: 0,
		file_path: file.path,
		file_format: "PARQUET",
		partition: { [org]: partitionText(org), [date]: daysFromDate(partitionText(date)) },
		record_count: file.rows,
		file_size_in_bytes: file.bytes,
		column_sizes: metric((a) => a.size),
		value_counts: metric((a) => a.values),
		null_value_counts: metric((a) => a.nulls),
		nan_value_counts: null,
		lower_bounds: metric((a) => (a.boundsValid ? a.lower : null)),
		upper_bounds: metric((a) => (a.boundsValid ? a.upper : null)),
		key_metadata: null,
		split_offsets: null,
		equality_ids: null,
		sort_order_id: null,
	};
}
