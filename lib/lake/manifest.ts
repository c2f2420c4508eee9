/**
 * Reading and writing manifests and manifest lists, with the Avro header keys
 * other readers require (ClickHouse: `schema`, `partition-spec`,
 * `format-version`), and the partition summaries used for pruning.
 */
import { randomUUID } from "node:crypto";
import type { ObjectStore } from "../objectstore/index.ts";
import { decodeAvro, encodeAvro } from "./avro.ts";
import { compareBounds } from "./bounds.ts";
import { stringifyJson } from "./json.ts";
import { MANIFEST_FILE_SCHEMA, manifestEntrySchema } from "./manifest-schemas.ts";
import { partitionBound } from "./partition.ts";
import type { Paths } from "./paths.ts";
import type {
	IcebergSchema,
	LiveFile,
	ManifestEntry,
	ManifestFile,
	PartitionFieldSummary,
	PartitionSpec,
	PrimitiveType,
	SnapshotId,
} from "./types.ts";
import { STATUS_ADDED, STATUS_DELETED, STATUS_EXISTING } from "./types.ts";

export interface ManifestIo {
	store: ObjectStore;
	paths: Paths;
	/** Decoded manifests by path; files are immutable, so entries never go stale. */
	cache: Map<string, ManifestEntry[]>;
}

/** Writes a data manifest at `<table>/metadata/<uuid>-m0.avro` and returns its manifest-list row. */
export async function writeManifest(
	io: ManifestIo,
	tableKey: string,
	args: {
		schema: IcebergSchema;
		spec: PartitionSpec;
		entries: ManifestEntry[];
		snapshotId: SnapshotId;
		sequenceNumber: number;
	},
): Promise<ManifestFile> {
	const { schema, spec, entries } = args;
	const types = new Map(schema.fields.map((f) => [f.id, f.type] as const));
	const bytes = await encodeAvro(manifestEntrySchema(spec, types), entries, {
		schema: stringifyJson(schema),
		"schema-id": String(schema["schema-id"]),
		"partition-spec": stringifyJson(spec.fields),
		"partition-spec-id": String(spec["spec-id"]),
		"format-version": "2",
		content: "data",
	});
	const key = `${tableKey}/metadata/${randomUUID()}-m0.avro`;
	await io.store.put(key, bytes);
	const path = io.paths.uri(key);
	io.cache.set(path, entries);
	const count = (status: number) => entries.filter((e) => e.status === status);
	const rows = (list: ManifestEntry[]) => list.reduce((sum, e) => sum + e.data_file.record_count, 0);
	const live = entries.filter((e) => e.status !== STATUS_DELETED);
	const minSeq = live.reduce(
		(min, e) =>
			Math.min(min, e.status === STATUS_ADDED ? args.sequenceNumber : (e.sequence_number ?? args.sequenceNumber)),
		args.sequenceNumber,
	);
	return {
		manifest_path: path,
		manifest_length: bytes.length,
		partition_spec_id: spec["spec-id"],
		content: 0,
		sequence_number: args.sequenceNumber,
		min_sequence_number: minSeq,
		added_snapshot_id: args.snapshotId,
		added_files_count: count(STATUS_ADDED).length,
		existing_files_count: count(STATUS_EXISTING).length,
		deleted_files_count: count(STATUS_DELETED).length,
		added_rows_count: rows(count(STATUS_ADDED)),
		existing_rows_count: rows(count(STATUS_EXISTING)),
		deleted_rows_count: rows(count(STATUS_DELETED)),
		partitions: summarise(spec, types, live),
		key_metadata: null,
	};
}

function summarise(
	spec: PartitionSpec,
	types: Map<number, PrimitiveType>,
	entries: ManifestEntry[],
): PartitionFieldSummary[] {
	return spec.fields.map((field) => {
		const type = types.get(field["source-id"]) ?? "string";
		let lower: Buffer | null = null;
		let upper: Buffer | null = null;
		let containsNull = false;
		for (const entry of entries) {
			const value = entry.data_file.partition[field.name];
			if (value === null || value === undefined) {
				containsNull = true;
				continue;
			}
			const bound = partitionBound(type, value);
			if (lower === null || compareBounds(type, bound, lower) < 0) lower = bound;
			if (upper === null || compareBounds(type, bound, upper) > 0) upper = bound;
		}
		return { contains_null: containsNull, contains_nan: null, lower_bound: lower, upper_bound: upper };
	});
}

/** Writes the manifest list of a snapshot; the key follows Java's `snap-<id>-<attempt>-<uuid>.avro`. */
export async function writeManifestList(
	io: ManifestIo,
	tableKey: string,
	args: { snapshotId: SnapshotId; parentId: SnapshotId | null; sequenceNumber: number; manifests: ManifestFile[] },
): Promise<string> {
	const bytes = await encodeAvro(MANIFEST_FILE_SCHEMA, args.manifests, {
		"snapshot-id": String(args.snapshotId),
		"parent-snapshot-id": args.parentId === null ? "null" : String(args.parentId),
		"sequence-number": String(args.sequenceNumber),
		"format-version": "2",
	});
	const key = `${tableKey}/metadata/snap-${args.snapshotId}-1-${randomUUID()}.avro`;
	await io.store.put(key, bytes);
	return io.paths.uri(key);
}

export async function readManifestList(io: ManifestIo, uri: string): Promise<ManifestFile[]> {
	const bytes = await io.store.getBytes(io.paths.key(uri));
	return (await decodeAvro<ManifestFile>(bytes)).records;
}

export async function readManifest(io: ManifestIo, uri: string): Promise<ManifestEntry[]> {
	const cached = io.cache.get(uri);
	if (cached) return cached;
	const bytes = await io.store.getBytes(io.paths.key(uri));
	const { records } = await decodeAvro<ManifestEntry>(bytes);
	io.cache.set(uri, records);
	return records;
}

/** Live (ADDED or EXISTING) entries of a manifest with inherited sequence numbers filled in. */
export function liveFiles(manifest: ManifestFile, entries: ManifestEntry[]): LiveFile[] {
	const out: LiveFile[] = [];
	for (const entry of entries) {
		if (entry.status === STATUS_DELETED) continue;
		const inherited = entry.status === STATUS_ADDED;
		out.push({
			snapshotId: entry.snapshot_id ?? manifest.added_snapshot_id,
			sequenceNumber: entry.sequence_number ?? (inherited ? manifest.sequence_number : 0),
			fileSequenceNumber: entry.file_sequence_number ?? (inherited ? manifest.sequence_number : 0),
			dataFile: entry.data_file,
		});
	}
	return out;
}
