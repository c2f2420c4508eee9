import type { Bus } from "../bus/port.ts";
import { allTopics } from "../bus/topics.ts";
import type { Config } from "../config/index.ts";
import { createDatabase, migrateToLatest } from "../db/index.ts";
import type { Database } from "../db/port.ts";
import type { ObjectStore } from "../objectstore/port.ts";
import type { Warehouse } from "../warehouse/port.ts";
import type { ReadinessCheck } from "./health-app.ts";
import type { Logger } from "./logger.ts";

export type AdapterName = "objectStore" | "warehouse";

export interface Adapters {
	readonly bus: Bus;
	readonly database: Database;
	/** Opened only when asked for (see openAdapters). */
	readonly objectStore: ObjectStore | null;
	readonly warehouse: Warehouse | null;
	/** One readiness check per dependency, for /ready. */
	readonly checks: ReadinessCheck[];
	/** Closes everything in reverse order of opening. */
	close(): Promise<void>;
}

/**
 * Configuration picks the adapters (DESIGN.md §2): embedded defaults, or
 * Kafka, S3, PostgreSQL and a ClickHouse server. Each distributed client is
 * imported only when configured, so an embedded run never loads kafkajs, the
 * AWS SDK, pg or the ClickHouse client, and a worker never loads chDB unless
 * it uses the embedded warehouse. Topics are created and migrations applied
 * here, once per process start (both are idempotent). The bus and the
 * database are always opened; the object store and the warehouse only when a
 * process needs them (`need`), because an embedded chDB data directory can be
 * held by one process only.
 */
export async function openAdapters(
	config: Config,
	logger: Logger,
	need: readonly AdapterName[] = ["objectStore", "warehouse"],
): Promise<Adapters> {
	const opened: { name: string; close(): Promise<void> }[] = [];
	const closeAll = async () => {
		for (const item of opened.reverse()) {
			await item.close().catch((error) => logger.error("close failed", { adapter: item.name, error }));
		}
	};
	try {
		const bus = await openBus(config, logger);
		opened.push({ name: "bus", close: () => bus.close() });
		await bus.ensureTopics(allTopics(config.bus.partitions));

		const database = await createDatabase(
			config.database.kind === "postgres"
				? { url: config.database.url, ...(config.database.schema ? { schema: config.database.schema } : {}) }
				: { sqlitePath: config.database.path },
		);
		opened.push({ name: "database", close: () => database.close() });
		await migrateToLatest(database);

		const objectStore = need.includes("objectStore") ? await openObjectStore(config) : null;
		if (objectStore) opened.push({ name: "objectStore", close: () => objectStore.close() });

		const warehouse = need.includes("warehouse") ? await openWarehouse(config) : null;
		if (warehouse) opened.push({ name: "warehouse", close: () => warehouse.close() });

		logger.info("adapters open", {
			bus: config.bus.kind,
			database: config.database.kind,
			object_store: objectStore ? config.objectStore.kind : "not opened",
			warehouse: warehouse ? config.warehouse.kind : "not opened",
		});
		const checks: ReadinessCheck[] = [
			{
				name: "database",
				check: async () => Array.isArray(await database.db.selectFrom("dead_letters").select("id").limit(1).execute()),
			},
		];
		if (warehouse) {
			checks.push({
				name: "warehouse",
				check: async () => (await warehouse.query("SELECT 1 AS ok")).rows.length === 1,
			});
		}
		return { bus, database, objectStore, warehouse, checks, close: closeAll };
	} catch (error) {
		await closeAll();
		throw error;
	}
}

async function openBus(config: Config, logger: Logger): Promise<Bus> {
	const bus = config.bus;
	if (bus.kind === "embedded") {
		const { createEmbeddedBus } = await import("../bus/embedded.ts");
		return createEmbeddedBus({
			dir: bus.dir,
			defaultPartitions: bus.partitions,
			retentionMs: bus.retentionHours * 3600_000,
			onHandlerError: (error, context) => logger.warn("batch failed; redelivering", { ...context, error }),
		});
	}
	const { createKafkaBus } = await import("../bus/kafka.ts");
	return createKafkaBus({
		brokers: [...bus.brokers],
		clientId: bus.clientId,
		topicPrefix: bus.topicPrefix,
		defaultPartitions: bus.partitions,
	});
}

async function openObjectStore(config: Config): Promise<ObjectStore> {
	const store = config.objectStore;
	if (store.kind === "local") {
		const { createLocalObjectStore } = await import("../objectstore/local.ts");
		return createLocalObjectStore({ root: store.root });
	}
	const { createS3ObjectStore } = await import("../objectstore/s3.ts");
	return createS3ObjectStore({
		bucket: store.bucket,
		prefix: store.prefix,
		region: store.region,
		...(store.endpoint ? { endpoint: store.endpoint } : {}),
		...(store.credentials ? { credentials: { ...store.credentials } } : {}),
	});
}

async function openWarehouse(config: Config): Promise<Warehouse> {
	const wh = config.warehouse;
	if (wh.kind === "chdb") {
		const { createChdbWarehouse } = await import("../warehouse/chdb.ts");
		return createChdbWarehouse({ path: wh.path, database: wh.database });
	}
	const { createClickhouseHttpWarehouse } = await import("../warehouse/clickhouse-http.ts");
	return createClickhouseHttpWarehouse({
		url: wh.url,
		database: wh.database,
		username: wh.username,
		password: wh.password,
	});
}
