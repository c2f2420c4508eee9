/** `bun run worker:bronze`: the bronze worker as its own process. */
import { runWorkerProcess } from "../../lib/runtime/run-worker.ts";
import { bootBronze } from "./boot.ts";

await runWorkerProcess(
	"bronze",
	async (adapters, config, logger) => {
		const bronze = await bootBronze({ config, adapters, logger });
		return { ...bronze.definition, close: bronze.close };
	},
	{ need: ["objectStore"] },
);
