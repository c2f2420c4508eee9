/**
 * `npm start`: the whole platform in one Bun process on embedded defaults
 * (DESIGN.md §2): every worker that exists, the gateway and the web UI on
 * PORT (default 4000). The same configuration variables switch any adapter to
 * its distributed counterpart.
 */
import { createGatewayApp } from "../gateway/index.ts";
import { createDeadLetterRepository } from "../lib/ops/dead-letters.ts";
import { openAdapters } from "../lib/runtime/adapters.ts";
import { loadConfigOrExit } from "../lib/runtime/boot.ts";
import { createLogger } from "../lib/runtime/logger.ts";
import { createMetrics } from "../lib/runtime/metrics.ts";
import { serve } from "../lib/runtime/serve.ts";
import { startWorker } from "../lib/runtime/worker.ts";
import { bootBronze } from "../workers/bronze/boot.ts";
import { bootConnector } from "../workers/connector/boot.ts";
import { deadletterWorker } from "../workers/deadletter/index.ts";
import { bootGold } from "../workers/gold/boot.ts";
import { bootSilver } from "../workers/silver/boot.ts";

const config = loadConfigOrExit("pacer");
const logger = createLogger({ level: config.logLevel, fields: { service: "pacer" } });
const adapters = await openAdapters(config, logger);
const metrics = createMetrics();

// The connector consumes no topic: it runs on schedules and on demand.
const connector = await bootConnector({ config, adapters, logger, metrics });
const definitions = [
	deadletterWorker({ repository: createDeadLetterRepository(adapters.database.db) }),
	await bootBronze({ config, adapters, logger }),
	await bootSilver({ config, adapters, logger }),
	await bootGold({
		config,
		adapters,
		orgs: connector.config.orgs.map((o) => ({ orgId: o.id, reportingCurrency: o.currency, timezone: o.timezone })),
	}),
];
const workers = definitions.map((definition) => startWorker(definition, { bus: adapters.bus, logger, metrics }));

const app = createGatewayApp({
	metrics,
	checks: [...adapters.checks, ...workers.map((w) => ({ name: `consumer:${w.name}`, check: () => w.loop.isReady() }))],
});
app.route("/workers/connector", connector.worker.app);
// Each worker's own routes stay reachable under /workers/<name>/ in one process.
for (const worker of workers) app.route(`/workers/${worker.name}`, worker.app);

serve({
	name: "pacer",
	app,
	port: config.port,
	logger,
	shutdownTimeoutMs: config.shutdownTimeoutMs,
	drain: async () => {
		await Promise.all([...workers.map((w) => w.stop()), connector.stop()]);
		await adapters.close();
	},
});
logger.info("pacer started", {
	workers: [...workers.map((w) => w.name), "connector"],
	data_dir: config.dataDir,
	demo: connector.demo,
});
