/**
 * Scan planning: pick the snapshot (current, by id, or as of a time), prune
 * manifests by their partition summaries, files by partition values and by
 * column bounds, and return the live data files to read.
 */
import { ValidationError } from "../errors.ts";
import { compareBounds, encodeLiteral } from "./bounds.ts";
import type { ManifestIo } from "./manifest.ts";
import { liveFiles, readManifest, readManifestList } from "./manifest.ts";
import { currentSnapshot, snapshotById } from "./metadata.ts";
import type { PartitionFilter } from "./partition.ts";
import { partitionMatches, summaryMayMatch } from "./partition.ts";
import { currentSchema, schemaById } from "./schema.ts";
import type { IcebergSchema, LiveFile, PartitionSpec, Snapshot, SnapshotId, TableMetadata } from "./types.ts";

/** Keeps files that may hold values of a column within [min, max] (inclusive; either end optional). */
export interface ColumnRange {
	min?: unknown;
	max?: unknown;
}

export interface ScanOptions extends PartitionFilter {
	/** Read this snapshot instead of the current one. */
	snapshotId?: SnapshotId;
	/** Read the snapshot that was current at this time (epoch ms), from the snapshot log. */
	asOfMs?: number;
	/** Column ranges checked against file bounds (pruning only: rows are not filtered by them). */
	columns?: Record<string, ColumnRange>;
}

export interface ScanPlan {
	/** Null for a table with no snapshot yet (then `files` is empty). */
	snapshot: Snapshot | null;
	/** The schema to read with: the snapshot's own for time travel, else the current one. */
	schema: IcebergSchema;
	files: LiveFile[];
	manifestsRead: number;
	manifestsSkipped: number;
	filesSkipped: number;
}

export function pickSnapshot(
	metadata: TableMetadata,
	options: Pick<ScanOptions, "snapshotId" | "asOfMs">,
): Snapshot | null {
	if (options.snapshotId !== undefined) return snapshotById(metadata, options.snapshotId);
	if (options.asOfMs !== undefined) {
		const asOf = options.asOfMs;
		const entry = metadata["snapshot-log"].filter((e) => e["timestamp-ms"] <= asOf).at(-1);
		if (!entry)
			throw new ValidationError(`No snapshot at or before ${new Date(asOf).toISOString()}`, {
				context: { asOfMs: asOf },
			});
		return snapshotById(metadata, entry["snapshot-id"]);
	}
	return currentSnapshot(metadata);
}

function boundsMayMatch(schema: IcebergSchema, file: LiveFile, columns: Record<string, ColumnRange>): boolean {
	for (const [name, range] of Object.entries(columns)) {
		const field = schema.fields.find((f) => f.name === name);
		if (!field) throw new ValidationError(`Unknown column "${name}" in scan filter`, { context: { column: name } });
		const lower = file.dataFile.lower_bounds?.find((b) => b.key === field.id)?.value;
		const upper = file.dataFile.upper_bounds?.find((b) => b.key === field.id)?.value;
		const min = range.min === undefined ? null : encodeLiteral(field.type, range.min);
		const max = range.max === undefined ? null : encodeLiteral(field.type, range.max);
		if (min && upper && compareBounds(field.type, upper, min) < 0) return false;
		if (max && lower && compareBounds(field.type, lower, max) > 0) return false;
	}
	return true;
}

export async function planScan(io: ManifestIo, metadata: TableMetadata, options: ScanOptions = {}): Promise<ScanPlan> {
	const snapshot = pickSnapshot(metadata, options);
	const timeTravel = options.snapshotId !== undefined || options.asOfMs !== undefined;
	const schema = snapshot && timeTravel ? schemaById(metadata, snapshot["schema-id"]) : currentSchema(metadata);
	if (!snapshot) return { snapshot, schema, files: [], manifestsRead: 0, manifestsSkipped: 0, filesSkipped: 0 };
	const specs = new Map<number, PartitionSpec>(metadata["partition-specs"].map((s) => [s["spec-id"], s]));
	const manifests = await readManifestList(io, snapshot["manifest-list"]);
	const wanted = manifests.filter(
		(m) => m.added_files_count + m.existing_files_count > 0 && summaryMayMatch(m.partitions, options),
	);
	const entries = await Promise.all(wanted.map(async (m) => liveFiles(m, await readManifest(io, m.manifest_path))));
	const files: LiveFile[] = [];
	let filesSkipped = 0;
	wanted.forEach((manifest, i) => {
		const spec = specs.get(manifest.partition_spec_id);
		if (!spec) throw new ValidationError(`Partition spec ${manifest.partition_spec_id} missing`);
		for (const file of entries[i] ?? []) {
			const keep =
				partitionMatches(spec, file.dataFile.partition, options) &&
				(!options.columns || boundsMayMatch(schema, file, options.columns));
			if (keep) files.push(file);
			else filesSkipped++;
		}
	});
	return {
		snapshot,
		schema,
		files,
		manifestsRead: wanted.length,
		manifestsSkipped: manifests.length - wanted.length,
		filesSkipped,
	};
}
