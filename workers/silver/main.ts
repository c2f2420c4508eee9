/** `bun run worker:silver`: the silver worker as its own process. */
import { join } from "node:path";
import { openPipelineLake } from "../../lib/pipeline/lake-boot.ts";
import { runWorkerProcess } from "../../lib/runtime/run-worker.ts";
import { silverWorker } from "./index.ts";

await runWorkerProcess(
	"silver",
	async (adapters, config, logger) => {
		const opened = await openPipelineLake({
			config,
			adapters,
			worker: "silver",
			maintain: { layer: "silver", logger },
		});
		return {
			...silverWorker({
				lake: opened.lake,
				engine: opened.engine,
				bus: adapters.bus,
				tempDir: join(opened.tempDir, "runs"),
			}),
			close: opened.close,
		};
	},
	{ need: ["objectStore"] },
);
