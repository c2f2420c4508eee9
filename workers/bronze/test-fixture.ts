/**
 * Test fixture for the bronze worker: an embedded bus (restartable on its
 * directory), a lake on a temp dir with a SQLite catalog and DuckDB, the app
 * database with the ledger, the worker running, and collectors of
 * bronze.data.cleaned and of the raw topic's dead letters.
 */
import { join } from "node:path";
import {
	allTopics,
	BRONZE_DATA_CLEANED,
	CONNECTOR_DATA_RAW,
	createEmbeddedBus,
	decodeDeadLetter,
	dlqTopic,
} from "../../lib/bus/index.ts";
import type { Bus, Subscription } from "../../lib/bus/port.ts";
import { createDatabase, migrateToLatest } from "../../lib/db/index.ts";
import type { BronzeTables } from "../../lib/db/migrations/0003-bronze.ts";
import type { Database } from "../../lib/db/port.ts";
import { parseEnvelope, type TableChangedEnvelope } from "../../lib/envelope/index.ts";
import type { LakeTable } from "../../lib/lake/index.ts";
import type { ObjectStore } from "../../lib/objectstore/port.ts";
import { createLogger } from "../../lib/runtime/logger.ts";
import { type RunningWorker, startWorker } from "../../lib/runtime/worker.ts";
import { openTestLake, type TestLake } from "../../test/support/lake.ts";
import { waitFor } from "../../test/support/namespace.ts";
import { SQL_ROOT } from "./boot.ts";
import { type BronzeHandler, type BronzeHandlerDeps, type BronzeStep, createBronzeHandler } from "./handler.ts";
import { bronzeWorker } from "./index.ts";
import { createBronzeLedger, type LedgerRow } from "./ledger.ts";
import { openBronzeTables } from "./tables.ts";
import { loadBronzeTransform } from "./transform.ts";

export interface BronzeFixture {
	bus: Bus;
	lake: TestLake & { tables: { raw: LakeTable; quarantine: LakeTable } };
	/** Waits until the worker has committed every raw message published so far. */
	drained(): Promise<void>;
	settled(pages: number): Promise<void>;
	restartBus(): Promise<void>;
	cleaned(): Promise<TableChangedEnvelope[]>;
	deadLetters(): Promise<{ request_id: string; reason: string }[]>;
	ledgerRows(): Promise<LedgerRow[]>;
	/** The handler with the worker's dependencies, throwing once at `crashAt` for `requestId`. */
	handler(
		crash: { crashAt: BronzeStep; requestId: string },
		limits?: Pick<BronzeHandlerDeps, "maxBatchRecords" | "maxBatchChars">,
	): BronzeHandler;
	close(): Promise<void>;
}

const GROUP = "pacer-bronze";

export async function boot(ns: { dir: string; id: string }, store: ObjectStore): Promise<BronzeFixture> {
	const testLake = await openTestLake({ dir: ns.dir, id: ns.id });
	const tables = await openBronzeTables(testLake.lake);
	const app = await createDatabase<BronzeTables>({ sqlitePath: join(ns.dir, "app.sqlite") });
	await migrateToLatest(app as unknown as Database);
	const logger = createLogger({ level: "error", write: () => {} });
	const deps: BronzeHandlerDeps = {
		bus: null as unknown as Bus,
		store,
		engine: testLake.engine,
		tables,
		ledger: createBronzeLedger(app.db),
		transform: loadBronzeTransform(SQL_ROOT),
		timezoneFor: async () => "America/New_York",
		tempDir: join(ns.dir, "stage"),
	};
	const cleaned = new Map<string, TableChangedEnvelope>();
	const letters = new Map<string, { request_id: string; reason: string }>();
	let bus: Bus;
	let worker: RunningWorker;
	let collectors: Subscription[] = [];

	async function open() {
		bus = await createEmbeddedBus({ dir: join(ns.dir, "bus"), defaultPartitions: 1, onHandlerError: () => {} });
		await bus.ensureTopics(allTopics(1));
		deps.bus = bus;
		worker = startWorker({ ...bronzeWorker(deps), initialBackoffMs: 10 }, { bus, logger });
		collectors = [
			bus.subscribe({ groupId: "test-cleaned", topics: [BRONZE_DATA_CLEANED] }, async (batch) => {
				for (const m of batch.messages) {
					const envelope = parseEnvelope(BRONZE_DATA_CLEANED, m.value, m.key);
					cleaned.set(envelope.id, envelope);
				}
			}),
			bus.subscribe({ groupId: "test-dlq", topics: [dlqTopic(CONNECTOR_DATA_RAW)] }, async (batch) => {
				for (const m of batch.messages) {
					const letter = decodeDeadLetter(m.value);
					const original = JSON.parse(letter.original.value_utf8 ?? "{}") as { request_id: string };
					letters.set(`${m.partition}:${m.offset}`, { request_id: original.request_id, reason: letter.error.message });
				}
			}),
		];
		await Promise.all([worker.loop.subscription.ready, ...collectors.map((c) => c.ready)]);
	}
	async function shut() {
		await worker.stop();
		for (const c of collectors) await c.stop();
		await bus.close();
	}
	const caughtUp = (group: string, topic: string) =>
		waitFor(async () => (await bus.lag(group, topic)).every((p) => p.lag === 0 && p.committedOffset !== "-1"), {
			timeoutMs: 60_000,
			what: `${group} to catch up on ${topic}`,
		});
	const drained = async () => {
		await caughtUp(GROUP, CONNECTOR_DATA_RAW);
	};
	await open();

	return {
		get bus() {
			return bus;
		},
		lake: { ...testLake, tables },
		drained,
		settled: drained,
		async restartBus() {
			await shut();
			await open();
		},
		async cleaned() {
			await caughtUp("test-cleaned", BRONZE_DATA_CLEANED).catch(() => undefined);
			return [...cleaned.values()];
		},
		async deadLetters() {
			await caughtUp("test-dlq", dlqTopic(CONNECTOR_DATA_RAW)).catch(() => undefined);
			return [...letters.values()];
		},
		ledgerRows: () => app.db.selectFrom("bronze_requests").selectAll().execute(),
		handler({ crashAt, requestId }, limits = {}) {
			let crashed = false;
			return createBronzeHandler({
				...deps,
				...limits,
				onStep: (step, id) => {
					if (step === crashAt && id === requestId && !crashed) {
						crashed = true;
						throw new Error(`crash at ${step}`);
					}
				},
			});
		},
		async close() {
			await shut();
			await app.close();
			await testLake.close();
		},
	};
}

/** Records in bronze.raw_records per `source/stream`. */
export async function rawCounts(lake: { tables: { raw: LakeTable } }): Promise<Record<string, number>> {
	const rows = await lake.tables.raw.query<{ k: string; n: bigint }>({
		select: "source || '/' || stream AS k, count(*) AS n",
		tail: "GROUP BY 1 ORDER BY 1",
	});
	return Object.fromEntries(rows.map((r) => [r.k, Number(r.n)]));
}
