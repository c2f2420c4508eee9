import type { Config } from "../../lib/config/index.ts";
import type { ConnectorTables } from "../../lib/db/migrations/0002-connectors.ts";
import type { Database } from "../../lib/db/port.ts";
import { ConfigError } from "../../lib/errors.ts";
import type { Adapters } from "../../lib/runtime/adapters.ts";
import type { Logger } from "../../lib/runtime/logger.ts";
import type { Metrics } from "../../lib/runtime/metrics.ts";
import { type RunningSimulators, startSimulators } from "../../simulators/index.ts";
import { createWorld } from "../../simulators/world.ts";
import { connectionsOf, loadPacerConfigFile, type PacerConfig } from "./config.ts";
import { createConnectionStore } from "./connection-store.ts";
import { createDemoConfig } from "./demo-config.ts";
import { resolveSecretKey } from "./secrets.ts";
import { type ConnectorWorker, connectorWorker } from "./service.ts";
import { loadSources } from "./source-registry.ts";

export interface BootedConnector {
	worker: ConnectorWorker;
	config: PacerConfig;
	/** The in-process simulators when running the demo configuration, else null. */
	simulators: RunningSimulators | null;
	/** True when no PACER_CONFIG was given (the UI says "demo data"). */
	demo: boolean;
	stop(): Promise<void>;
}

/**
 * Starts the connector worker from the process configuration: PACER_CONFIG,
 * or without it the demo configuration against simulators started in process
 * on a free port. Connections are stored with their credentials encrypted
 * (PACER_SECRET_KEY, or the embedded key file) and read back from the table.
 * Shared by workers/connector/main.ts and the embedded `npm start`.
 */
export async function bootConnector(options: {
	config: Config;
	adapters: Adapters;
	logger: Logger;
	metrics?: Metrics;
	schedule?: boolean;
}): Promise<BootedConnector> {
	const { config, adapters, logger } = options;
	if (!adapters.objectStore)
		throw new ConfigError(["connector: the object store adapter must be opened (need: objectStore)"]);
	let simulators: RunningSimulators | null = null;
	let pacerConfig: PacerConfig;
	if (config.orgConfigPath) {
		pacerConfig = loadPacerConfigFile(config.orgConfigPath);
	} else {
		const world = createWorld();
		simulators = await startSimulators({ world });
		pacerConfig = createDemoConfig(world, simulators);
		logger.warn("PACER_CONFIG not set: running the demo configuration against the built-in simulators", {
			simulators: simulators.url,
			orgs: pacerConfig.orgs.map((o) => o.id),
		});
	}
	const key = resolveSecretKey({ secretKeyBase64: config.secretKeyBase64, dataDir: config.dataDir, logger });
	const database = adapters.database as unknown as Database<ConnectorTables>;
	const store = createConnectionStore(database, key);
	const configured = connectionsOf(pacerConfig);
	await store.save(configured, new Date());
	const ids = new Set(configured.map((c) => c.id));
	const connections = (await store.list()).filter((c) => ids.has(c.id));
	const sources = await loadSources(
		logger,
		connections.map((c) => c.source),
	);
	const worker = connectorWorker({
		bus: adapters.bus,
		database,
		objectStore: adapters.objectStore,
		logger,
		metrics: options.metrics,
		connections,
		sources,
		schedule: options.schedule,
		checks: adapters.checks,
	});
	logger.info("connector started", {
		connections: connections.map((c) => `${c.id} (${c.source}${c.schedule ? `, ${c.schedule} ${c.timezone}` : ""})`),
		demo: simulators !== null,
	});
	return {
		worker,
		config: pacerConfig,
		simulators,
		demo: simulators !== null,
		async stop() {
			await worker.stop();
			await simulators?.stop();
		},
	};
}
