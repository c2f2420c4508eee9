/**
 * Building table metadata: a new table, the next version of a table, and a
 * snapshot added to it with exact summary totals (ClickHouse answers count()
 * from `total-records`).
 */
import { randomInt, randomUUID } from "node:crypto";
import { ValidationError } from "../errors.ts";
import { sameId } from "./json.ts";
import { nameMapping } from "./schema.ts";
import type { IcebergSchema, PartitionSpec, Snapshot, SnapshotId, TableMetadata } from "./types.ts";

/** Table property holding the number N of `metadata/v<N>.metadata.json`. */
export const VERSION_PROPERTY = "pacer.metadata-version";

export function metadataVersion(metadata: TableMetadata): number {
	const version = Number(metadata.properties[VERSION_PROPERTY] ?? "0");
	if (!Number.isSafeInteger(version) || version < 1) {
		throw new ValidationError(`Table metadata has no valid ${VERSION_PROPERTY}`, { context: { version } });
	}
	return version;
}

export function newTableMetadata(args: {
	location: string;
	schema: IcebergSchema;
	spec: PartitionSpec;
	properties: Record<string, string>;
	nowMs: number;
}): TableMetadata {
	const { schema, spec } = args;
	return {
		"format-version": 2,
		"table-uuid": randomUUID(),
		location: args.location,
		"last-sequence-number": 0,
		"last-updated-ms": args.nowMs,
		"last-column-id": Math.max(0, ...schema.fields.map((f) => f.id)),
		"current-schema-id": schema["schema-id"],
		schemas: [schema],
		"default-spec-id": spec["spec-id"],
		"partition-specs": [spec],
		"last-partition-id": Math.max(999, ...spec.fields.map((f) => f["field-id"])),
		"default-sort-order-id": 0,
		"sort-orders": [{ "order-id": 0, fields: [] }],
		properties: {
			"write.format.default": "parquet",
			"schema.name-mapping.default": nameMapping(schema),
			...args.properties,
			[VERSION_PROPERTY]: "1",
		},
		// Java writes -1 for "no snapshot"; JSON null would break ClickHouse.
		"current-snapshot-id": -1,
		refs: {},
		snapshots: [],
		"snapshot-log": [],
		"metadata-log": [],
	};
}

/** Keeps this many previous metadata files in `metadata-log` (Java's write.metadata.previous-versions-max). */
export const METADATA_LOG_MAX = 100;

/** A copy of `base` as the next version, logging `baseLocation` as the previous metadata file. */
export function nextVersion(base: TableMetadata, baseLocation: string, nowMs: number): TableMetadata {
	const next = structuredClone(base);
	next["last-updated-ms"] = Math.max(nowMs, base["last-updated-ms"] + 1);
	next["metadata-log"] = [
		...base["metadata-log"],
		{ "timestamp-ms": base["last-updated-ms"], "metadata-file": baseLocation },
	].slice(-METADATA_LOG_MAX);
	next.properties[VERSION_PROPERTY] = String(metadataVersion(base) + 1);
	return next;
}

/** A fresh snapshot id in [1, 2^53-1] not used by the table. */
export function newSnapshotId(metadata: TableMetadata): number {
	for (;;) {
		const id = randomInt(1, 2 ** 47) * 64 + randomInt(0, 64);
		if (!metadata.snapshots.some((s) => sameId(s["snapshot-id"], id))) return id;
	}
}

export function currentSnapshot(metadata: TableMetadata): Snapshot | null {
	const id = metadata["current-snapshot-id"];
	if (id === -1 || id === undefined) return null;
	return metadata.snapshots.find((s) => sameId(s["snapshot-id"], id)) ?? null;
}

export interface SummaryDelta {
	operation: Snapshot["summary"]["operation"];
	addedFiles: number;
	addedRecords: number;
	addedBytes: number;
	deletedFiles: number;
	deletedRecords: number;
	removedBytes: number;
	changedPartitions: number;
}

export function summarise(parent: Snapshot | null, delta: SummaryDelta): Snapshot["summary"] {
	const total = (key: string) => Number(parent?.summary[key] ?? "0");
	return {
		operation: delta.operation,
		"added-data-files": String(delta.addedFiles),
		"added-records": String(delta.addedRecords),
		"added-files-size": String(delta.addedBytes),
		"deleted-data-files": String(delta.deletedFiles),
		"deleted-records": String(delta.deletedRecords),
		"removed-files-size": String(delta.removedBytes),
		"changed-partition-count": String(delta.changedPartitions),
		"total-data-files": String(total("total-data-files") + delta.addedFiles - delta.deletedFiles),
		"total-records": String(total("total-records") + delta.addedRecords - delta.deletedRecords),
		"total-files-size": String(total("total-files-size") + delta.addedBytes - delta.removedBytes),
		"total-delete-files": "0",
		"total-position-deletes": "0",
		"total-equality-deletes": "0",
		"engine-name": "pacer",
	};
}

/** Adds `snapshot` and makes it current on `main`. */
export function addSnapshot(metadata: TableMetadata, snapshot: Snapshot): void {
	metadata.snapshots.push(snapshot);
	metadata["current-snapshot-id"] = snapshot["snapshot-id"];
	metadata.refs = { ...metadata.refs, main: { "snapshot-id": snapshot["snapshot-id"], type: "branch" } };
	metadata["last-sequence-number"] = snapshot["sequence-number"];
	metadata["snapshot-log"].push({ "timestamp-ms": snapshot["timestamp-ms"], "snapshot-id": snapshot["snapshot-id"] });
}

export function snapshotById(metadata: TableMetadata, id: SnapshotId): Snapshot {
	const snapshot = metadata.snapshots.find((s) => sameId(s["snapshot-id"], id));
	if (!snapshot) throw new ValidationError(`Snapshot ${id} not found`, { context: { snapshotId: String(id) } });
	return snapshot;
}
