/**
 * Maintenance: expiring snapshots (metadata) with removal of the files only
 * expired snapshots reached, and removal of orphan files (leftovers of lost
 * or crashed commits) older than a safety window.
 */
import type { CommitContext, Loaded, Prepared } from "./commit.ts";
import { loadCurrent, publish } from "./commit.ts";
import { sameId } from "./json.ts";
import type { ManifestIo } from "./manifest.ts";
import { liveFiles, readManifest, readManifestList } from "./manifest.ts";
import { metadataVersion, nextVersion } from "./metadata.ts";
import type { Snapshot, TableMetadata } from "./types.ts";

export interface ExpireOptions {
	/** Snapshots committed before this time (epoch ms) are expired. */
	olderThanMs: number;
	/** Newest snapshots always kept, whatever their age; default 1. The current snapshot is always kept. */
	retainLast?: number;
}

/** The metadata without expired snapshots, or null when nothing expires. */
export function applyExpiry(
	base: Loaded,
	options: ExpireOptions,
	nowMs: number,
): { prepared: Prepared; expired: Snapshot[] } | null {
	const metadata = base.metadata;
	const byAge = [...metadata.snapshots].sort((a, b) => b["timestamp-ms"] - a["timestamp-ms"]);
	const newest = new Set(byAge.slice(0, Math.max(1, options.retainLast ?? 1)));
	const keep = (s: Snapshot) =>
		newest.has(s) ||
		s["timestamp-ms"] >= options.olderThanMs ||
		sameId(s["snapshot-id"], metadata["current-snapshot-id"]);
	const expired = metadata.snapshots.filter((s) => !keep(s));
	if (expired.length === 0) return null;
	const next = nextVersion(metadata, base.location, nowMs);
	next.snapshots = next.snapshots.filter((s) => !expired.some((e) => sameId(e["snapshot-id"], s["snapshot-id"])));
	const kept = (id: number | bigint) => next.snapshots.some((s) => sameId(s["snapshot-id"], id));
	// The log must not name snapshots that are gone; keep it from the oldest kept entry on.
	const firstKept = next["snapshot-log"].findIndex((e) => kept(e["snapshot-id"]));
	next["snapshot-log"] =
		firstKept < 0 ? [] : next["snapshot-log"].slice(firstKept).filter((e) => kept(e["snapshot-id"]));
	return { prepared: { metadata: next, attemptKeys: [] }, expired };
}

interface Reach {
	manifestLists: Set<string>;
	manifests: Set<string>;
	dataFiles: Set<string>;
}

/** Files reachable from snapshots: manifest lists, manifests, and data files (`liveOnly`: only live entries). */
export async function reachable(io: ManifestIo, snapshots: readonly Snapshot[], liveOnly: boolean): Promise<Reach> {
	const reach: Reach = { manifestLists: new Set(), manifests: new Set(), dataFiles: new Set() };
	for (const snapshot of snapshots) {
		reach.manifestLists.add(snapshot["manifest-list"]);
		for (const manifest of await readManifestList(io, snapshot["manifest-list"])) {
			reach.manifests.add(manifest.manifest_path);
			const entries = await readManifest(io, manifest.manifest_path);
			const files = liveOnly ? liveFiles(manifest, entries).map((f) => f.dataFile) : entries.map((e) => e.data_file);
			for (const file of files) reach.dataFiles.add(file.file_path);
		}
	}
	return reach;
}

/** Deletes what only the expired snapshots reached; returns the number of objects removed. */
export async function removeExpiredFiles(
	ctx: CommitContext,
	kept: TableMetadata,
	expired: readonly Snapshot[],
): Promise<number> {
	const before = await reachable(ctx.io, expired, false);
	const after = await reachable(ctx.io, kept.snapshots, true);
	const doomed = [
		...[...before.dataFiles].filter((p) => !after.dataFiles.has(p)),
		...[...before.manifests].filter((p) => !after.manifests.has(p)),
		...[...before.manifestLists].filter((p) => !after.manifestLists.has(p)),
	];
	for (const uri of doomed) {
		await ctx.store.delete(ctx.paths.key(uri));
		ctx.io.cache.delete(uri);
	}
	return doomed.length;
}

export interface OrphanOptions {
	/** Only objects last modified before this time (epoch ms) are removed: in-flight writes are younger. */
	olderThanMs: number;
}

/** Removes objects under the table that no current metadata reaches; returns their keys. */
export async function removeOrphans(ctx: CommitContext, options: OrphanOptions): Promise<string[]> {
	const current = await loadCurrent(ctx);
	await publish(ctx, current);
	const { metadata } = current;
	const reach = await reachable(ctx.io, metadata.snapshots, false);
	const keep = new Set<string>(
		[...reach.manifestLists, ...reach.manifests, ...reach.dataFiles].map((u) => ctx.paths.key(u)),
	);
	keep.add(ctx.paths.key(current.location));
	for (const entry of metadata["metadata-log"]) keep.add(ctx.paths.key(entry["metadata-file"]));
	const metadataDir = `${ctx.tableKey}/metadata/`;
	keep.add(`${metadataDir}version-hint.text`);
	const version = metadataVersion(metadata);
	const oldestKeptVersion = version - metadata["metadata-log"].length;
	const removed: string[] = [];
	for await (const object of ctx.store.list(`${ctx.tableKey}/`)) {
		if (keep.has(object.key)) continue;
		const published = /^v(\d+)\.metadata\.json$/.exec(object.key.slice(metadataDir.length));
		if (object.key.startsWith(metadataDir) && published) {
			const n = Number(published[1]);
			if (n >= oldestKeptVersion && n <= version) continue;
		}
		if (object.lastModified.getTime() >= options.olderThanMs) continue;
		await ctx.store.delete(object.key);
		removed.push(object.key);
	}
	return removed;
}
