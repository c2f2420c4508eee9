/**
 * `bun run worker:gold`: the gold worker as its own process. Organisations'
 * reporting currency and time zone come from PACER_CONFIG; without it no org
 * is recorded and every converted money column is flagged as missing a rate.
 */
import { readOrgSettings } from "../../lib/gold/orgs.ts";
import { runWorkerProcess } from "../../lib/runtime/run-worker.ts";
import { bootGold } from "./boot.ts";

await runWorkerProcess(
	"gold",
	(adapters, config) => bootGold({ config, adapters, orgs: readOrgSettings(config.orgConfigPath) }),
	{ need: ["objectStore", "warehouse"] },
);
