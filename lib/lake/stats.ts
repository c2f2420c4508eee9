/**
 * Iceberg data-file entries from Parquet files DuckDB wrote: exact row counts
 * and sizes from the footer, per-column sizes, value and null counts, and
 * bounds from the row-group statistics (parquet_metadata). A bound is left
 * out whenever it cannot be proven exact (see bounds.ts).
 */

import type { TransformEngine } from "../engine/index.ts";
import { ValidationError } from "../errors.ts";
import { compareBounds, daysFromDate, encodeBound } from "./bounds.ts";
import { partitionColumns } from "./partition.ts";
import type { DataFile, IcebergSchema, KeyValue, PartitionSpec } from "./types.ts";

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
	const byFile = new Map<string, Map<string, ColumnAcc>>();
	for (const chunk of chunks) {
		const columns = byFile.get(chunk.file_name) ?? new Map<string, ColumnAcc>();
		byFile.set(chunk.file_name, columns);
		let acc = columns.get(chunk.path_in_schema);
		if (!acc) {
			acc = { size: 0, values: 0, nulls: 0, lower: null, upper: null, boundsValid: true, lowerText: null };
			columns.set(chunk.path_in_schema, acc);
		}
		const field = schema.fields.find((f) => f.name === chunk.path_in_schema);
		acc.size += Number(chunk.total_compressed_size ?? 0n);
		acc.values += Number(chunk.num_values ?? 0n);
		const nulls = chunk.stats_null_count === null ? null : Number(chunk.stats_null_count);
		acc.nulls = acc.nulls === null || nulls === null ? null : acc.nulls + nulls;
		if (!field) continue;
		const allNull = nulls !== null && chunk.num_values !== null && nulls === Number(chunk.num_values);
		if (allNull) continue;
		const lower = chunk.stats_min_value === null ? null : encodeBound(field.type, chunk.stats_min_value);
		const upper = chunk.stats_max_value === null ? null : encodeBound(field.type, chunk.stats_max_value);
		if (lower === null || upper === null) {
			acc.boundsValid = false;
			continue;
		}
		if (acc.lower === null || compareBounds(field.type, lower, acc.lower) < 0) {
			acc.lower = lower;
			acc.lowerText = chunk.stats_min_value;
		}
		if (acc.upper === null || compareBounds(field.type, upper, acc.upper) > 0) acc.upper = upper;
	}
	const { org, date } = partitionColumns(spec);
	return footers.map((footer) => {
		const columns = byFile.get(footer.file_name) ?? new Map<string, ColumnAcc>();
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
			if (
				!acc?.boundsValid ||
				!acc.lower ||
				!acc.upper ||
				acc.lower.compare(acc.upper) !== 0 ||
				acc.lowerText === null
			) {
				throw new ValidationError(
					`Data file ${footer.file_name} does not hold exactly one value of partition column ${name}`,
				);
			}
			return acc.lowerText;
		};
		return {
			content: 0,
			file_path: footer.file_name,
			file_format: "PARQUET",
			partition: { [org]: partitionText(org), [date]: daysFromDate(partitionText(date)) },
			record_count: Number(footer.num_rows),
			file_size_in_bytes: Number(footer.file_size_bytes),
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
	});
}
