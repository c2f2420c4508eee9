import { resolve } from "node:path";
import type { WorkerDefinition } from "../../lib/runtime/worker.ts";
import { loadProject, type SqlProject } from "../../lib/sql/index.ts";
import { createSilverBatchHandler, createSilverHandler, createSilverProcessor, type SilverDeps } from "./handler.ts";

export {
	createSilverBatchHandler,
	createSilverHandler,
	createSilverProcessor,
	type SilverDeps,
	type SilverProcessor,
	type SilverResult,
	type TableOutcome,
} from "./handler.ts";

/** The bronze tables the silver models read; to the silver worker they are lake tables, not models. */
export const SILVER_SOURCES = ["bronze.raw_records"] as const;

/** Loads the silver models alone (`<sqlRoot>/silver`, default the repo's sql/), bronze tables as sources. */
export function loadSilverProject(sqlRoot = resolve(import.meta.dir, "../../sql")): SqlProject {
	return loadProject(resolve(sqlRoot, "silver"), { sources: [...SILVER_SOURCES] });
}

/** The silver worker: bronze.data.cleaned → sql/silver over the affected partitions → silver.data.processed. */
export function silverWorker(deps: Omit<SilverDeps, "project"> & { project?: SqlProject }): WorkerDefinition {
	const processor = createSilverProcessor({ ...deps, project: deps.project ?? loadSilverProject() });
	return {
		name: "silver",
		topics: ["bronze.data.cleaned"],
		handler: createSilverHandler(processor),
		batchHandler: createSilverBatchHandler(processor),
	};
}
