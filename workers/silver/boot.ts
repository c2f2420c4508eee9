import type { Config } from "../../lib/config/index.ts";
import { openPipelineLake } from "../../lib/pipeline/lake-boot.ts";
import type { Adapters } from "../../lib/runtime/adapters.ts";
import type { Logger } from "../../lib/runtime/logger.ts";
import type { WorkerDefinition } from "../../lib/runtime/worker.ts";
import { silverWorker } from "./index.ts";

/**
 * Opens the silver worker's lake (its own DuckDB, the daily maintenance of
 * the silver layer) and builds the worker; its close() releases them. Shared
 * by workers/silver/main.ts and the embedded `npm start`.
 */
export async function bootSilver(options: {
	config: Config;
	adapters: Adapters;
	logger: Logger;
}): Promise<WorkerDefinition> {
	const opened = await openPipelineLake({
		config: options.config,
		adapters: options.adapters,
		worker: "silver",
		maintain: { layer: "silver", logger: options.logger },
	});
	return {
		...silverWorker({
			lake: opened.lake,
			engine: opened.engine,
			bus: options.adapters.bus,
		}),
		close: opened.close,
	};
}
