/**
 * The local copies of a remote store's data files that DuckDB reads, kept
 * under a size cap. Data files never change, so a copy stays valid for as long
 * as it is kept; beyond the cap the least recently used copies go, except
 * those used within `minAgeMs` (a relation planned a moment ago may still be
 * read from them). Copies left by an earlier process are adopted, in the
 * order of their last modification, and its unfinished downloads removed.
 */
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";

export interface FileCacheOptions {
	dir: string;
	/** Bytes the copies may take before the least recently used go. */
	maxBytes: number;
	/** Copies used more recently than this stay, even above the cap. Default 10 minutes. */
	minAgeMs?: number;
	/** Clock, epoch ms; default Date.now. */
	now?: () => number;
}

export interface FileCache {
	/** The local path of `key`, downloading it with `download` when it is not cached. */
	path(key: string, download: () => Promise<Uint8Array>): Promise<string>;
	/** Bytes the copies take now. */
	size(): Promise<number>;
}

const PARTIAL = ".partial";

export function createFileCache(options: FileCacheOptions): FileCache {
	const now = options.now ?? Date.now;
	const minAgeMs = options.minAgeMs ?? 10 * 60_000;
	/** Key → size and last use; a Map keeps insertion order, so re-inserting on use keeps it least recent first. */
	const entries = new Map<string, { bytes: number; usedAt: number }>();
	const downloads = new Map<string, Promise<string>>();
	let total = 0;
	let adopted: Promise<void> | null = null;

	async function adopt(): Promise<void> {
		const found: { key: string; bytes: number; mtime: number }[] = [];
		const walk = async (dir: string, prefix: string) => {
			const names = await readdir(dir, { withFileTypes: true }).catch(() => []);
			for (const entry of names) {
				const path = join(dir, entry.name);
				const key = prefix ? `${prefix}/${entry.name}` : entry.name;
				if (entry.isDirectory()) await walk(path, key);
				else if (entry.name.endsWith(PARTIAL)) await rm(path, { force: true });
				else {
					const info = await stat(path);
					found.push({ key, bytes: info.size, mtime: info.mtimeMs });
				}
			}
		};
		await walk(options.dir, "");
		for (const file of found.sort((a, b) => a.mtime - b.mtime)) {
			entries.set(file.key, { bytes: file.bytes, usedAt: file.mtime });
			total += file.bytes;
		}
		await evict();
	}

	async function evict(): Promise<void> {
		for (const [key, entry] of entries) {
			if (total <= options.maxBytes) return;
			if (now() - entry.usedAt < minAgeMs) return; // everything after it is more recent still
			entries.delete(key);
			total -= entry.bytes;
			await rm(join(options.dir, key), { force: true });
		}
	}

	async function fetchCopy(key: string, download: () => Promise<Uint8Array>): Promise<string> {
		const path = join(options.dir, key);
		await mkdir(dirname(path), { recursive: true });
		const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}${PARTIAL}`;
		const bytes = await download();
		await Bun.write(temp, bytes);
		await rename(temp, path);
		entries.set(key, { bytes: bytes.byteLength, usedAt: now() });
		total += bytes.byteLength;
		await evict();
		return path;
	}

	return {
		async path(key, download) {
			adopted ??= adopt();
			await adopted;
			const entry = entries.get(key);
			if (entry) {
				entries.delete(key);
				if (await Bun.file(join(options.dir, key)).exists()) {
					entries.set(key, { ...entry, usedAt: now() });
					return join(options.dir, key);
				}
				total -= entry.bytes; // removed behind our back: fetched again below
			}
			let pending = downloads.get(key);
			if (!pending) {
				pending = fetchCopy(key, download).finally(() => downloads.delete(key));
				downloads.set(key, pending);
			}
			return pending;
		},
		async size() {
			adopted ??= adopt();
			await adopted;
			return total;
		},
	};
}
