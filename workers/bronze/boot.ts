import { join, resolve } from "node:path";
import type { Config } from "../../lib/config/index.ts";
import type { ConnectorTables } from "../../lib/db/migrations/0002-connectors.ts";
import type { BronzeTables } from "../../lib/db/migrations/0003-bronze.ts";
import type { Database } from "../../lib/db/port.ts";
import { openPipelineLake } from "../../lib/pipeline/lake-boot.ts";
import type { Adapters } from "../../lib/runtime/adapters.ts";
import type { Logger } from "../../lib/runtime/logger.ts";
import type { WorkerDefinition } from "../../lib/runtime/worker.ts";
import { bronzeWorker } from "./index.ts";
import { createBronzeLedger } from "./ledger.ts";
import { openBronzeTables } from "./tables.ts";
import { connectionTimezones } from "./timezones.ts";
import { loadBronzeTransform } from "./transform.ts";

/** The repository's sql/ folder. */
export const SQL_ROOT = resolve(import.meta.dir, "../../sql");

/**
 * Opens what the bronze worker needs beyond the shared adapters: its own
 * DuckDB (staging and Parquet writes), the lake on the object store with the
 * catalog in the application database, and the bronze tables. Shared by
 * workers/bronze/main.ts and the embedded `npm start`.
 */
export async function bootBronze(options: {
	config: Config;
	adapters: Adapters;
	logger: Logger;
}): Promise<WorkerDefinition> {
	const { adapters } = options;
	const opened = await openPipelineLake({
		...options,
		worker: "bronze",
		maintain: { layer: "bronze", logger: options.logger },
	});
	try {
		const tables = await openBronzeTables(opened.lake);
		const db = adapters.database.db;
		const timezoneOf = connectionTimezones(db as unknown as Database<ConnectorTables>["db"]);
		const definition = bronzeWorker({
			bus: adapters.bus,
			store: adapters.objectStore as NonNullable<Adapters["objectStore"]>,
			engine: opened.engine,
			tables,
			ledger: createBronzeLedger(db as unknown as Database<BronzeTables>["db"]),
			transform: loadBronzeTransform(SQL_ROOT),
			timezoneFor: (envelope) => timezoneOf(envelope.connection_id),
			tempDir: join(opened.tempDir, "stage"),
		});
		// close() releases what boot opened (its DuckDB, the maintenance job); the adapters stay the caller's.
		return { ...definition, close: opened.close };
	} catch (error) {
		await opened.close();
		throw error;
	}
}
