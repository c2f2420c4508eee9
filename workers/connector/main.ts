import { openAdapters } from "../../lib/runtime/adapters.ts";
import { loadConfigOrExit } from "../../lib/runtime/boot.ts";
import { createLogger } from "../../lib/runtime/logger.ts";
import { serve } from "../../lib/runtime/serve.ts";
import { bootConnector } from "./boot.ts";

const config = loadConfigOrExit("connector");
const logger = createLogger({ level: config.logLevel, fields: { service: "connector" } });
const adapters = await openAdapters(config, logger, ["objectStore"]);
const connector = await bootConnector({ config, adapters, logger });
serve({
	name: "connector",
	app: connector.worker.app,
	port: config.port,
	logger,
	shutdownTimeoutMs: config.shutdownTimeoutMs,
	drain: async () => {
		await connector.stop();
		await adapters.close();
	},
});
