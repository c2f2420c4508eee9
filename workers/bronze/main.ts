/** `bun run worker:bronze`: the bronze worker as its own process. */
import { runWorkerProcess } from "../../lib/runtime/run-worker.ts";
import { bootBronze } from "./boot.ts";

await runWorkerProcess("bronze", (adapters, config, logger) => bootBronze({ config, adapters, logger }), {
	need: ["objectStore"],
});
