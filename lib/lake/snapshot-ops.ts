/**
 * One snapshot from a change: new data files (ADDED, in a manifest written
 * once and reused across commit retries), files removed by a predicate that
 * is re-evaluated on every base (DELETED entries in rewritten manifests), and
 * for compaction the files that must still be live.
 */
import { CommitConflictError } from "./catalog.ts";
import type { CommitContext, Loaded, Prepared } from "./commit.ts";
import { sameId } from "./json.ts";
import { liveFiles, readManifest, readManifestList, writeManifest, writeManifestList } from "./manifest.ts";
import { mergeManifests } from "./manifest-merge.ts";
import { addSnapshot, currentSnapshot, newSnapshotId, nextVersion, summarise } from "./metadata.ts";
import type { PartitionFilter } from "./partition.ts";
import { fileKeyPartition, partitionColumns, summaryMayMatch } from "./partition.ts";
import { currentSchema } from "./schema.ts";
import type {
	DataFile,
	IcebergSchema,
	LiveFile,
	ManifestEntry,
	ManifestFile,
	PartitionSpec,
	Snapshot,
	SnapshotId,
	TableMetadata,
} from "./types.ts";
import { STATUS_ADDED, STATUS_DELETED, STATUS_EXISTING } from "./types.ts";

export interface SnapshotChange {
	operation: Snapshot["summary"]["operation"];
	added: DataFile[];
	/** Manifests whose partition summaries cannot match this filter are carried over unread. */
	removeFilter?: PartitionFilter;
	/** Exact test for a live file of the base: true removes it. */
	removes?: (file: LiveFile) => boolean;
	/** Paths that must be live in the base and are removed (compaction); a missing one is a conflict. */
	mustRemove?: ReadonlySet<string>;
}

/** State kept across the attempts of one commit, so retries reuse what is still valid. */
export interface ChangeState {
	snapshotId?: number;
	/** Manifests of the added files (one per organisation), written once. */
	addedManifests?: ManifestFile[];
}

export async function prepareSnapshot(
	ctx: CommitContext,
	base: Loaded,
	change: SnapshotChange,
	state: ChangeState,
): Promise<Prepared | null> {
	const metadata = base.metadata;
	const parent = currentSnapshot(metadata);
	const sequenceNumber = metadata["last-sequence-number"] + 1;
	if (state.snapshotId === undefined || metadata.snapshots.some((s) => sameId(s["snapshot-id"], state.snapshotId))) {
		state.snapshotId = newSnapshotId(metadata);
		state.addedManifests = undefined;
	}
	const snapshotId = state.snapshotId;
	const schema = currentSchema(metadata);
	const spec = metadata["partition-specs"].find((s) => s["spec-id"] === metadata["default-spec-id"]);
	if (!spec) throw new Error("default partition spec missing");
	const attemptKeys: string[] = [];
	const manifests: ManifestFile[] = [];
	const removed: LiveFile[] = [];
	const changed = new Set<string>();

	const wantsRemoval = change.removes !== undefined || change.mustRemove !== undefined;
	for (const manifest of parent ? await readManifestList(ctx.io, parent["manifest-list"]) : []) {
		// A manifest left with only DELETED entries served its snapshot; later ones drop it.
		if (manifest.added_files_count + manifest.existing_files_count === 0) continue;
		if (!wantsRemoval || (change.removeFilter && !summaryMayMatch(manifest.partitions, change.removeFilter))) {
			manifests.push(manifest);
			continue;
		}
		const live = liveFiles(manifest, await readManifest(ctx.io, manifest.manifest_path));
		const gone = live.filter((f) => change.mustRemove?.has(f.dataFile.file_path) || change.removes?.(f));
		if (gone.length === 0) {
			manifests.push(manifest);
			continue;
		}
		const entries: ManifestEntry[] = live.map((f) => {
			const deleted = gone.includes(f);
			return {
				status: deleted ? STATUS_DELETED : STATUS_EXISTING,
				snapshot_id: deleted ? snapshotId : f.snapshotId,
				sequence_number: f.sequenceNumber,
				file_sequence_number: f.fileSequenceNumber,
				data_file: f.dataFile,
			};
		});
		const rewritten = await writeManifest(ctx.io, ctx.tableKey, { schema, spec, entries, snapshotId, sequenceNumber });
		attemptKeys.push(ctx.paths.key(rewritten.manifest_path));
		manifests.push(rewritten);
		removed.push(...gone);
		for (const f of gone) changed.add(fileKeyPartition(f.dataFile, spec));
	}
	if (change.mustRemove) {
		const found = new Set(removed.map((f) => f.dataFile.file_path));
		const missing = [...change.mustRemove].filter((p) => !found.has(p));
		if (missing.length > 0) {
			await Promise.all(attemptKeys.map((k) => ctx.store.delete(k)));
			throw new CommitConflictError(`${missing.length} file(s) to replace are no longer in the table`, {
				...ctx.ident,
				missing: missing.slice(0, 5),
			});
		}
	}
	if (change.added.length === 0 && removed.length === 0) {
		await Promise.all(attemptKeys.map((k) => ctx.store.delete(k)));
		return null;
	}
	const merged = await mergeManifests(ctx, manifests, {
		schema,
		spec,
		snapshotId,
		sequenceNumber,
		threshold: ctx.mergeManifestsAbove,
	});
	attemptKeys.push(...merged.written);
	if (change.added.length > 0) {
		state.addedManifests ??= await writeAddedManifests(ctx, change.added, { schema, spec, snapshotId, sequenceNumber });
		// ADDED entries inherit their sequence number from these rows: only it changes on a retry.
		merged.manifests.unshift(
			...state.addedManifests.map((m) => ({
				...m,
				sequence_number: sequenceNumber,
				min_sequence_number: sequenceNumber,
			})),
		);
		for (const f of change.added) changed.add(fileKeyPartition(f, spec));
	}
	const manifestList = await writeManifestList(ctx.io, ctx.tableKey, {
		snapshotId,
		parentId: parent ? parent["snapshot-id"] : null,
		sequenceNumber,
		manifests: merged.manifests,
	});
	attemptKeys.push(ctx.paths.key(manifestList));
	const next: TableMetadata = nextVersion(metadata, base.location, ctx.now());
	const snapshot: Snapshot = {
		"snapshot-id": snapshotId,
		...(parent ? { "parent-snapshot-id": parent["snapshot-id"] } : {}),
		"sequence-number": sequenceNumber,
		"timestamp-ms": next["last-updated-ms"],
		"manifest-list": manifestList,
		"schema-id": schema["schema-id"],
		summary: summarise(parent, {
			operation: change.operation,
			addedFiles: change.added.length,
			addedRecords: change.added.reduce((n, f) => n + f.record_count, 0),
			addedBytes: change.added.reduce((n, f) => n + f.file_size_in_bytes, 0),
			deletedFiles: removed.length,
			deletedRecords: removed.reduce((n, f) => n + f.dataFile.record_count, 0),
			removedBytes: removed.reduce((n, f) => n + f.dataFile.file_size_in_bytes, 0),
			changedPartitions: changed.size,
		}),
	};
	addSnapshot(next, snapshot);
	return { metadata: next, attemptKeys };
}

async function writeAddedManifests(
	ctx: CommitContext,
	added: DataFile[],
	args: { schema: IcebergSchema; spec: PartitionSpec; snapshotId: SnapshotId; sequenceNumber: number },
): Promise<ManifestFile[]> {
	const { org } = partitionColumns(args.spec);
	const byOrg = new Map<string, DataFile[]>();
	for (const file of added) {
		const key = String(file.partition[org]);
		byOrg.set(key, [...(byOrg.get(key) ?? []), file]);
	}
	const out: ManifestFile[] = [];
	for (const files of byOrg.values()) {
		const entries = files.map((data_file) => ({
			status: STATUS_ADDED,
			snapshot_id: args.snapshotId,
			sequence_number: null,
			file_sequence_number: null,
			data_file,
		}));
		out.push(await writeManifest(ctx.io, ctx.tableKey, { ...args, entries }));
	}
	return out;
}
