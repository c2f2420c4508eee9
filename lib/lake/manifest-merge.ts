/**
 * Keeps the manifest list short: every commit adds manifests (one per
 * organisation, so a one-org scan skips the others by partition summary), and
 * once a snapshot would carry more than `threshold` manifests, those of one
 * organisation are merged into one, their files becoming EXISTING entries
 * that keep their snapshot ids and sequence numbers (Java's merge append).
 */
import type { CommitContext } from "./commit.ts";
import { liveFiles, readManifest, writeManifest } from "./manifest.ts";
import type { IcebergSchema, ManifestEntry, ManifestFile, PartitionSpec, SnapshotId } from "./types.ts";
import { STATUS_EXISTING } from "./types.ts";

/** Carried manifests above which a commit merges them (Java's commit.manifest.min-count-to-merge). */
export const MERGE_THRESHOLD = 100;

/** The organisation a manifest holds, when it holds one only. */
function soleOrg(manifest: ManifestFile): string | null {
	const org = manifest.partitions?.[0];
	if (!org?.lower_bound || !org.upper_bound || !org.lower_bound.equals(org.upper_bound)) return null;
	return org.lower_bound.toString("utf8");
}

export async function mergeManifests(
	ctx: CommitContext,
	manifests: ManifestFile[],
	args: {
		schema: IcebergSchema;
		spec: PartitionSpec;
		snapshotId: SnapshotId;
		sequenceNumber: number;
		threshold?: number;
	},
): Promise<{ manifests: ManifestFile[]; written: string[] }> {
	if (manifests.length <= (args.threshold ?? MERGE_THRESHOLD)) return { manifests, written: [] };
	const groups = new Map<string, ManifestFile[]>();
	const kept: ManifestFile[] = [];
	for (const manifest of manifests) {
		const org = manifest.partition_spec_id === args.spec["spec-id"] ? soleOrg(manifest) : null;
		if (org === null) kept.push(manifest);
		else groups.set(org, [...(groups.get(org) ?? []), manifest]);
	}
	const written: string[] = [];
	for (const group of groups.values()) {
		if (group.length < 2) {
			kept.push(...group);
			continue;
		}
		const entries: ManifestEntry[] = [];
		for (const manifest of group) {
			for (const file of liveFiles(manifest, await readManifest(ctx.io, manifest.manifest_path))) {
				entries.push({
					status: STATUS_EXISTING,
					snapshot_id: file.snapshotId,
					sequence_number: file.sequenceNumber,
					file_sequence_number: file.fileSequenceNumber,
					data_file: file.dataFile,
				});
			}
		}
		const merged = await writeManifest(ctx.io, ctx.tableKey, { ...args, entries });
		written.push(ctx.paths.key(merged.manifest_path));
		kept.push(merged);
	}
	return { manifests: kept, written };
}
