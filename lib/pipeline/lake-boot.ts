import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config/index.ts";
import type { Database } from "../db/port.ts";
import { createDuckdbEngine } from "../engine/duckdb.ts";
import type { TransformEngine } from "../engine/port.ts";
import { ConfigError } from "../errors.ts";
import { type CatalogTables, createLake, fileUri, type Lake, type Layer } from "../lake/index.ts";
import type { Adapters } from "../runtime/adapters.ts";
import type { Logger } from "../runtime/logger.ts";
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
	mkdirSync(tempDir, { recursive: true });
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
			},
		};
	} catch (error) {
		await engine.close();
		throw error;
	}
}
