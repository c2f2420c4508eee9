import type { Config } from "../config/index.ts";
import { type AdapterName, type Adapters, openAdapters } from "./adapters.ts";
import { loadConfigOrExit } from "./boot.ts";
import { createLogger, type Logger } from "./logger.ts";
import { serve } from "./serve.ts";
import { startWorker, type WorkerDefinition } from "./worker.ts";

/**
 * The whole of a worker's main.ts: configuration, adapters, the consumer
 * loop, the HTTP face on PORT, and SIGTERM → drain → exit. A bad
 * configuration prints every problem and exits with status 2.
 */
export async function runWorkerProcess(
	name: string,
	build: (adapters: Adapters, config: Config, logger: Logger) => WorkerDefinition | Promise<WorkerDefinition>,
	options: { need?: readonly AdapterName[]; env?: Record<string, string | undefined> } = {},
): Promise<void> {
	const config = loadConfigOrExit(name, options.env);
	const logger = createLogger({ level: config.logLevel, fields: { service: name } });
	const adapters = await openAdapters(config, logger, options.need ?? []);
	const worker = startWorker(await build(adapters, config, logger), {
		bus: adapters.bus,
		logger,
		checks: adapters.checks,
	});
	serve({
		name,
		app: worker.app,
		port: config.port,
		logger,
		shutdownTimeoutMs: config.shutdownTimeoutMs,
		drain: async () => {
			await worker.stop();
			await adapters.close();
		},
	});
}
