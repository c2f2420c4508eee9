/**
 * Avro schemas of v2 manifests and manifest lists, field ids as in the spec
 * (and as Java writes them; see reference/iceberg.md §2.2-2.3).
 */
import type { PartitionSpec, PrimitiveType } from "./types.ts";

const opt = (name: string, id: number, type: unknown) => ({
	name,
	type: ["null", type],
	default: null,
	"field-id": id,
});
const kv = (name: string, id: number, keyId: number, valueId: number, value: string) =>
	opt(name, id, {
		type: "array",
		logicalType: "map",
		items: {
			type: "record",
			name: `k${keyId}_v${valueId}`,
			fields: [
				{ name: "key", type: "int", "field-id": keyId },
				{ name: "value", type: value, "field-id": valueId },
			],
		},
	});

/** Avro type of a partition value: the transform's result type (identity keeps the source type). */
export function partitionAvroType(sourceType: PrimitiveType): unknown {
	if (sourceType === "date") return { type: "int", logicalType: "date" };
	if (sourceType === "string") return "string";
	if (sourceType === "int") return "int";
	if (sourceType === "long") return "long";
	throw new Error(`Partition source type ${sourceType} is not supported`);
}

export function manifestEntrySchema(spec: PartitionSpec, sourceTypes: Map<number, PrimitiveType>): object {
	const partitionFields = spec.fields.map((f) => {
		const type = sourceTypes.get(f["source-id"]);
		if (!type) throw new Error(`Partition source ${f["source-id"]} not in schema`);
		return opt(f.name, f["field-id"], partitionAvroType(type));
	});
	return {
		type: "record",
		name: "manifest_entry",
		fields: [
			{ name: "status", type: "int", "field-id": 0 },
			opt("snapshot_id", 1, "long"),
			opt("sequence_number", 3, "long"),
			opt("file_sequence_number", 4, "long"),
			{
				name: "data_file",
				"field-id": 2,
				type: {
					type: "record",
					name: "r2",
					fields: [
						{ name: "content", type: "int", "field-id": 134 },
						{ name: "file_path", type: "string", "field-id": 100 },
						{ name: "file_format", type: "string", "field-id": 101 },
						{ name: "partition", "field-id": 102, type: { type: "record", name: "r102", fields: partitionFields } },
						{ name: "record_count", type: "long", "field-id": 103 },
						{ name: "file_size_in_bytes", type: "long", "field-id": 104 },
						kv("column_sizes", 108, 117, 118, "long"),
						kv("value_counts", 109, 119, 120, "long"),
						kv("null_value_counts", 110, 121, 122, "long"),
						kv("nan_value_counts", 137, 138, 139, "long"),
						kv("lower_bounds", 125, 126, 127, "bytes"),
						kv("upper_bounds", 128, 129, 130, "bytes"),
						opt("key_metadata", 131, "bytes"),
						opt("split_offsets", 132, { type: "array", items: "long", "element-id": 133 }),
						opt("equality_ids", 135, { type: "array", items: "int", "element-id": 136 }),
						opt("sort_order_id", 140, "int"),
					],
				},
			},
		],
	};
}

export const MANIFEST_FILE_SCHEMA = {
	type: "record",
	name: "manifest_file",
	fields: [
		{ name: "manifest_path", type: "string", "field-id": 500 },
		{ name: "manifest_length", type: "long", "field-id": 501 },
		{ name: "partition_spec_id", type: "int", "field-id": 502 },
		{ name: "content", type: "int", "field-id": 517 },
		{ name: "sequence_number", type: "long", "field-id": 515 },
		{ name: "min_sequence_number", type: "long", "field-id": 516 },
		{ name: "added_snapshot_id", type: "long", "field-id": 503 },
		{ name: "added_files_count", type: "int", "field-id": 504 },
		{ name: "existing_files_count", type: "int", "field-id": 505 },
		{ name: "deleted_files_count", type: "int", "field-id": 506 },
		{ name: "added_rows_count", type: "long", "field-id": 512 },
		{ name: "existing_rows_count", type: "long", "field-id": 513 },
		{ name: "deleted_rows_count", type: "long", "field-id": 514 },
		opt("partitions", 507, {
			type: "array",
			"element-id": 508,
			items: {
				type: "record",
				name: "r508",
				fields: [
					{ name: "contains_null", type: "boolean", "field-id": 509 },
					opt("contains_nan", 518, "boolean"),
					opt("lower_bound", 510, "bytes"),
					opt("upper_bound", 511, "bytes"),
				],
			},
		}),
		opt("key_metadata", 519, "bytes"),
	],
};
