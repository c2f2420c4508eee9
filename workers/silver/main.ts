/** `bun run worker:silver`: the silver worker as its own process. */
import { runWorkerProcess } from "../../lib/runtime/run-worker.ts";
import { bootSilver } from "./boot.ts";

await runWorkerProcess("silver", (adapters, config, logger) => bootSilver({ config, adapters, logger }), {
	need: ["objectStore"],
});
