import { openAdapters } from "../lib/runtime/adapters.ts";
import { loadConfigOrExit } from "../lib/runtime/boot.ts";
import { createLogger } from "../lib/runtime/logger.ts";
import { createMetrics } from "../lib/runtime/metrics.ts";
import { serve } from "../lib/runtime/serve.ts";
import { createGatewayApp } from "./app.ts";

// `bun run gateway`: the gateway alone, as a distributed deployment runs it.
const config = loadConfigOrExit("gateway");
const logger = createLogger({ level: config.logLevel, fields: { service: "gateway" } });
const adapters = await openAdapters(config, logger, ["warehouse"]);
const app = createGatewayApp({ metrics: createMetrics(), checks: adapters.checks });
serve({
	name: "gateway",
	app,
	port: config.port,
	logger,
	shutdownTimeoutMs: config.shutdownTimeoutMs,
	drain: () => adapters.close(),
});
