import { mkdirSync } from "node:fs";
import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Config } from "../config/index.ts";
import type { Database } from "../db/port.ts";
import { createDuckdbEngine } from "../engine/duckdb.ts";
import type { TransformEngine } from "../engine/port.ts";
import { ConfigError } from "../errors.ts";
import { type CatalogTables, createLake, fileUri, type Lake, type Layer } from "../lake/index.ts";
import type { Adapters } from "../runtime/adapters.ts";
import type { Logger } from "../runtime/logger.ts";
import { isProcessAlive } from "../runtime/process-alive.ts";
import { scheduleLayerMaintenance } from "./maintenance.ts";

export interface PipelineLake {
	readonly lake: Lake;
	/** The worker's own DuckDB: staging, transforms, Parquet writes. */
	readonly engine: TransformEngine;
	/** The worker's private scratch directory under the data dir. */
	readonly tempDir: string;
	close(): Promise<void>;
}

/**
 * Opens the lake for one pipeline worker (bronze, silver, gold): a DuckDB of
 * its own, the lake on the configured object store (warehouse = the store's
 * root: a local directory or s3://bucket/prefix) with its catalog in the
 * application database, and a scratch directory private to this process.
 */
export async function openPipelineLake(options: {
	config: Config;
	adapters: Adapters;
	worker: string;
	duckdbThreads?: number;
	/** Schedules the daily maintenance (retention, compaction, expiry, orphans) of this layer's tables. */
	maintain?: { layer: Layer; logger: Logger };
}): Promise<PipelineLake> {
	const { config, adapters } = options;
	const store = adapters.objectStore;
	if (!store) throw new ConfigError([`${options.worker}: the object store adapter must be opened (need: objectStore)`]);
	const local = config.objectStore.kind === "local" ? config.objectStore.root : null;
	const warehouseUri =
		config.objectStore.kind === "local"
			? fileUri(config.objectStore.root)
			: `s3://${`${config.objectStore.bucket}/${config.objectStore.prefix}`.replace(/\/+$/, "")}`;
	const tempDir = join(config.dataDir, "tmp", `${options.worker}-${process.pid}`);
	if (!openScratch.has(tempDir)) await clearStaleScratch(join(config.dataDir, "tmp"), options.worker);
	mkdirSync(tempDir, { recursive: true });
	openScratch.set(tempDir, (openScratch.get(tempDir) ?? 0) + 1);
	const engine = await createDuckdbEngine({
		threads: options.duckdbThreads ?? 2,
		memoryLimit: config.duckdbMemoryLimit,
		tempDirectory: join(tempDir, "duckdb"),
	});
	try {
		const lake = await createLake({
			store,
			warehouseUri,
			database: adapters.database as unknown as Database<CatalogTables>,
			engine,
			tempDir: join(tempDir, "lake"),
			cacheMaxBytes: config.lakeCacheMb * 1024 * 1024,
			...(local ? { localRoot: local } : {}),
		});
		const stopMaintenance = options.maintain
			? scheduleLayerMaintenance(lake, options.maintain.layer, options.maintain.logger)
			: () => {};
		return {
			lake,
			engine,
			tempDir,
			close: async () => {
				stopMaintenance();
				await engine.close();
				release(tempDir);
			},
		};
	} catch (error) {
		await engine.close();
		release(tempDir);
		throw error;
	}
}

/** Scratch directories of this process's open lakes, with how many use each: never cleared under them. */
const openScratch = new Map<string, number>();

function release(dir: string): void {
	const users = (openScratch.get(dir) ?? 1) - 1;
	if (users > 0) openScratch.set(dir, users);
	else openScratch.delete(dir);
}

/** Scratch directories of dead processes are left alone this long, in case the directory is shared. */
const STALE_SCRATCH_MS = 60 * 60_000;

/**
 * Removes what earlier processes of `worker` left under `root`: the
 * directories `<worker>-<pid>` of processes no longer running and untouched
 * for an hour (spill files, upload scratch, cached copies of S3 files), and
 * in this process's own directory (a restarted container often gets the same
 * pid) the DuckDB spill and the lake's scratch, keeping its file cache.
 */
export async function clearStaleScratch(root: string, worker: string, now = Date.now()): Promise<string[]> {
	const removed: string[] = [];
	const names = await readdir(root).catch(() => [] as string[]);
	for (const name of names) {
		const pid = Number(new RegExp(`^${worker}-(\\d+)$`).exec(name)?.[1]);
		if (!Number.isInteger(pid)) continue;
		const dir = join(root, name);
		if (pid === process.pid) {
			await rm(join(dir, "duckdb"), { recursive: true, force: true });
			for (const entry of await readdir(join(dir, "lake")).catch(() => [] as string[])) {
				if (entry !== "cache") await rm(join(dir, "lake", entry), { recursive: true, force: true });
			}
			continue;
		}
		if (isProcessAlive(pid)) continue;
		const modified = await stat(dir).then(
			(s) => s.mtimeMs,
			() => now,
		);
		if (now - modified < STALE_SCRATCH_MS) continue;
		await rm(dir, { recursive: true, force: true });
		removed.push(name);
	}
	return removed;
}
