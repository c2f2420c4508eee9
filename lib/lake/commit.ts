/**
 * The commit protocol. The SQL catalog is the source of truth; readers that
 * list `metadata/` (ClickHouse) or read `version-hint.text` (icebird) must
 * only ever see committed versions, and the S3 test store ignores
 * conditional writes. So a writer:
 *   1. writes its candidate as `metadata/<uuid>.metadata.json` (ClickHouse
 *      skips such names as temporary; icebird never looks at them),
 *   2. compare-and-swaps the catalog row from the base location to it,
 *   3. if it won, publishes the same bytes as `metadata/v<N>.metadata.json`
 *      and then `version-hint.text` = N.
 * A loser deletes its candidate and manifest list, reloads and re-applies its
 * change on the new base. A crash between 2 and 3 leaves readers one version
 * behind until the next commit or maintenance publishes what the catalog says.
 */
import { randomUUID } from "node:crypto";
import { PacerError } from "../errors.ts";
import type { ObjectStore } from "../objectstore/index.ts";
import type { Catalog, TableIdent } from "./catalog.ts";
import { CommitConflictError } from "./catalog.ts";
import { parseJson, stringifyJson } from "./json.ts";
import type { ManifestIo } from "./manifest.ts";
import { metadataVersion } from "./metadata.ts";
import type { Paths } from "./paths.ts";
import type { TableMetadata } from "./types.ts";

export interface CommitContext {
	catalog: Catalog;
	store: ObjectStore;
	paths: Paths;
	io: ManifestIo;
	ident: TableIdent;
	/** Store key of the table root, `<layer>/<table>`. */
	tableKey: string;
	now(): number;
	sleep(ms: number): Promise<void>;
	/** Attempts before giving up on a contended table. */
	maxAttempts: number;
	/** Parsed metadata by location; metadata files are never rewritten. */
	metadataCache: Map<string, TableMetadata>;
	/** Carried manifests above which a commit merges those of one organisation. */
	mergeManifestsAbove: number;
	/** Test hook: called at named points of a commit (crash tests kill the process there). */
	onStep?: (step: CommitStep) => void | Promise<void>;
}

export type CommitStep = "prepared" | "candidate-written" | "swapped" | "published-metadata" | "published-hint";

export interface Loaded {
	location: string;
	metadata: TableMetadata;
}

export interface Prepared {
	metadata: TableMetadata;
	/** Keys written for this attempt only; removed if the attempt loses. */
	attemptKeys: string[];
}

export async function readMetadata(
	ctx: Pick<CommitContext, "store" | "paths" | "metadataCache">,
	location: string,
): Promise<TableMetadata> {
	const cached = ctx.metadataCache.get(location);
	if (cached) return cached;
	const text = new TextDecoder().decode(await ctx.store.getBytes(ctx.paths.key(location)));
	const metadata = parseJson<TableMetadata>(text);
	ctx.metadataCache.set(location, metadata);
	return metadata;
}

export async function loadCurrent(ctx: CommitContext): Promise<Loaded> {
	const location = await ctx.catalog.load(ctx.ident);
	return { location, metadata: await readMetadata(ctx, location) };
}

const versionKey = (ctx: CommitContext, n: number) => `${ctx.tableKey}/metadata/v${n}.metadata.json`;
const hintKey = (ctx: CommitContext) => `${ctx.tableKey}/metadata/version-hint.text`;

/** Writes a candidate metadata file under a temporary (uuid) name and returns its location. */
export async function writeCandidate(
	ctx: CommitContext,
	metadata: TableMetadata,
): Promise<{ location: string; text: string }> {
	const text = stringifyJson(metadata);
	const key = `${ctx.tableKey}/metadata/${randomUUID()}.metadata.json`;
	await ctx.store.put(key, text, { contentType: "application/json" });
	const location = ctx.paths.uri(key);
	ctx.metadataCache.set(location, metadata);
	return { location, text };
}

/**
 * Makes the committed version visible to folder-listing readers: writes
 * `v<N>.metadata.json` if missing and moves `version-hint.text` up to N,
 * but only while the catalog still points at `location` (a later winner
 * publishes its own version; the hint never moves backwards from here).
 */
export async function publish(ctx: CommitContext, loaded: Loaded, text?: string, announce = false): Promise<void> {
	const n = metadataVersion(loaded.metadata);
	if ((await ctx.store.head(versionKey(ctx, n))) === null) {
		await ctx.store.put(versionKey(ctx, n), text ?? stringifyJson(loaded.metadata), {
			contentType: "application/json",
		});
	}
	if (announce) await ctx.onStep?.("published-metadata");
	const hint = await ctx.store.head(hintKey(ctx));
	const current = hint ? Number(new TextDecoder().decode(await ctx.store.getBytes(hintKey(ctx)))) : 0;
	if (current >= n) return;
	if ((await ctx.catalog.load(ctx.ident)) !== loaded.location) return;
	await ctx.store.put(hintKey(ctx), String(n));
	if (announce) await ctx.onStep?.("published-hint");
}

export interface CommitResult {
	location: string;
	metadata: TableMetadata;
	attempts: number;
	/** False when the change was empty and nothing was committed. */
	committed: boolean;
}

/**
 * Runs `apply` on the current metadata and commits its result; on a lost
 * compare-and-swap, runs it again on the new base (apply must re-validate
 * against it). Throws CommitConflictError after `maxAttempts`.
 */
export async function commit(
	ctx: CommitContext,
	apply: (base: Loaded) => Promise<Prepared | null>,
): Promise<CommitResult> {
	for (let attempt = 1; ; attempt++) {
		const base = await loadCurrent(ctx);
		// Repairs a winner that died between its swap and its publish.
		await publish(ctx, base);
		const prepared = await apply(base);
		// Nothing to change (a delete that matches no file): no empty snapshot.
		if (prepared === null) return { ...base, attempts: attempt, committed: false };
		await ctx.onStep?.("prepared");
		const candidate = await writeCandidate(ctx, prepared.metadata);
		await ctx.onStep?.("candidate-written");
		let won: boolean;
		try {
			won = await ctx.catalog.swap(ctx.ident, base.location, candidate.location);
		} catch (error) {
			// The swap may have landed before the connection failed: ask again.
			won = (await ctx.catalog.load(ctx.ident).catch(() => null)) === candidate.location;
			if (!won) throw error;
		}
		if (won) {
			await ctx.onStep?.("swapped");
			const loaded = { location: candidate.location, metadata: prepared.metadata };
			await publish(ctx, loaded, candidate.text, true).catch((error) => {
				// Committed already; a failed publish is repaired by the next commit.
				if (!(error instanceof PacerError)) throw error;
			});
			return { ...loaded, attempts: attempt, committed: true };
		}
		await Promise.all(
			[ctx.paths.key(candidate.location), ...prepared.attemptKeys].map((k) => ctx.store.delete(k).catch(() => {})),
		);
		if (attempt >= ctx.maxAttempts) {
			throw new CommitConflictError(`Commit to ${ctx.ident.namespace}.${ctx.ident.name} lost ${attempt} times`, {
				...ctx.ident,
				attempts: attempt,
			});
		}
		// Jittered backoff so that contending writers spread out.
		await ctx.sleep(Math.random() * Math.min(1000, 10 * 2 ** attempt));
	}
}
