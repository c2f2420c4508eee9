/**
 * Apache Iceberg v2 table metadata as stored in `*.metadata.json` (spec
 * Appendix C). Snapshot ids we generate fit in a JS number; ids written by
 * other engines may not, so they are `number | bigint` (see json.ts).
 */

export type SnapshotId = number | bigint;

export type PrimitiveType =
	| "boolean"
	| "int"
	| "long"
	| "float"
	| "double"
	| "date"
	| "timestamp"
	| "timestamptz"
	| "string"
	| `decimal(${number}, ${number})`;

export interface SchemaField {
	id: number;
	name: string;
	required: boolean;
	type: PrimitiveType;
	doc?: string;
}

export interface IcebergSchema {
	type: "struct";
	"schema-id": number;
	fields: SchemaField[];
}

export interface PartitionField {
	"source-id": number;
	"field-id": number;
	name: string;
	transform: string;
}

export interface PartitionSpec {
	"spec-id": number;
	fields: PartitionField[];
}

export interface Snapshot {
	"snapshot-id": SnapshotId;
	"parent-snapshot-id"?: SnapshotId;
	"sequence-number": number;
	"timestamp-ms": number;
	"manifest-list": string;
	"schema-id": number;
	summary: Record<string, string> & { operation: "append" | "replace" | "overwrite" | "delete" };
}

export interface TableMetadata {
	"format-version": 2;
	"table-uuid": string;
	location: string;
	"last-sequence-number": number;
	"last-updated-ms": number;
	"last-column-id": number;
	"current-schema-id": number;
	schemas: IcebergSchema[];
	"default-spec-id": number;
	"partition-specs": PartitionSpec[];
	"last-partition-id": number;
	"default-sort-order-id": number;
	"sort-orders": { "order-id": number; fields: unknown[] }[];
	properties: Record<string, string>;
	"current-snapshot-id": SnapshotId;
	refs: Record<string, { "snapshot-id": SnapshotId; type: "branch" | "tag" }>;
	snapshots: Snapshot[];
	"snapshot-log": { "timestamp-ms": number; "snapshot-id": SnapshotId }[];
	"metadata-log": { "timestamp-ms": number; "metadata-file": string }[];
}

/** Partition tuple of a data file, keyed by partition field name (identity org, date as days). */
export type PartitionValues = Record<string, string | number | null>;

export interface KeyValue<V> {
	key: number;
	value: V;
}

/** `data_file` struct of a manifest entry (field ids 100-143). */
export interface DataFile {
	content: number;
	file_path: string;
	file_format: string;
	partition: PartitionValues;
	record_count: number;
	file_size_in_bytes: number;
	column_sizes: KeyValue<number>[] | null;
	value_counts: KeyValue<number>[] | null;
	null_value_counts: KeyValue<number>[] | null;
	nan_value_counts: KeyValue<number>[] | null;
	lower_bounds: KeyValue<Buffer>[] | null;
	upper_bounds: KeyValue<Buffer>[] | null;
	key_metadata: Buffer | null;
	split_offsets: number[] | null;
	equality_ids: number[] | null;
	sort_order_id: number | null;
}

export const STATUS_EXISTING = 0;
export const STATUS_ADDED = 1;
export const STATUS_DELETED = 2;

/** `manifest_entry` record. Sequence numbers are null when inherited (ADDED). */
export interface ManifestEntry {
	status: number;
	snapshot_id: SnapshotId | null;
	sequence_number: number | null;
	file_sequence_number: number | null;
	data_file: DataFile;
}

export interface PartitionFieldSummary {
	contains_null: boolean;
	contains_nan: boolean | null;
	lower_bound: Buffer | null;
	upper_bound: Buffer | null;
}

/** `manifest_file` record of a manifest list. */
export interface ManifestFile {
	manifest_path: string;
	manifest_length: number;
	partition_spec_id: number;
	content: number;
	sequence_number: number;
	min_sequence_number: number;
	added_snapshot_id: SnapshotId;
	added_files_count: number;
	existing_files_count: number;
	deleted_files_count: number;
	added_rows_count: number;
	existing_rows_count: number;
	deleted_rows_count: number;
	partitions: PartitionFieldSummary[] | null;
	key_metadata: Buffer | null;
}

/** A live data file with its inherited sequence numbers resolved. */
export interface LiveFile {
	snapshotId: SnapshotId;
	sequenceNumber: number;
	fileSequenceNumber: number;
	dataFile: DataFile;
}
