import type { Config } from "../../lib/config/index.ts";
import { ConfigError } from "../../lib/errors.ts";
import { createGoldLedger } from "../../lib/gold/ledger.ts";
import type { OrgSettings } from "../../lib/gold/loader.ts";
import { createGoldLoader } from "../../lib/gold/loader.ts";
import { migrateGold } from "../../lib/gold/migrate.ts";
import { loadGoldProject } from "../../lib/gold/project.ts";
import { createLakeSilverReader } from "../../lib/gold/silver-reader.ts";
import { openPipelineLake } from "../../lib/pipeline/lake-boot.ts";
import type { Adapters } from "../../lib/runtime/adapters.ts";
import type { WorkerDefinition } from "../../lib/runtime/worker.ts";
import { goldWorker } from "./index.ts";

/**
 * Prepares the gold worker: migrates the warehouse (ordered, ledgered),
 * deploys the views, records the organisations' reporting currency and time
 * zone, and opens the lake it reads silver from. Shared by
 * workers/gold/main.ts and the embedded `npm start`.
 */
export async function bootGold(options: {
	config: Config;
	adapters: Adapters;
	orgs: readonly OrgSettings[];
}): Promise<WorkerDefinition> {
	const warehouse = options.adapters.warehouse;
	if (!warehouse) throw new ConfigError(["gold: the warehouse adapter must be opened (need: warehouse)"]);
	const migrated = await migrateGold(warehouse);
	if (migrated.error) throw migrated.error;
	const project = loadGoldProject();
	const loader = createGoldLoader({ warehouse, project });
	await loader.deployViews();
	await loader.upsertOrgs(options.orgs);
	const { lake, close } = await openPipelineLake({
		config: options.config,
		adapters: options.adapters,
		worker: "gold",
	});
	return goldWorker({
		bus: options.adapters.bus,
		loader,
		reader: createLakeSilverReader(lake),
		ledger: createGoldLedger(warehouse),
		project,
		close,
	});
}
