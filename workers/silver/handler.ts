/**
 * Stage 3 (DESIGN.md §1): for the organisation and report dates a
 * `bronze.data.cleaned` event names, reads exactly those bronze partitions,
 * runs the silver models (sql/silver, in dependency order) over them, and
 * replaces the same silver partitions atomically per table. Every bronze
 * partition maps onto one silver partition and holds every fetch of its day,
 * so the "latest fetch wins" dedup needs nothing else, and a rerun gives the
 * same rows: a partition whose rows would not change is not rewritten (no
 * new snapshot), which makes a redelivered event a no-op.
 */
import type { Bus } from "../../lib/bus/port.ts";
import type { TransformEngine } from "../../lib/engine/port.ts";
import { createEnvelope, type TableChangedEnvelope } from "../../lib/envelope/index.ts";
import { NotFoundError, ValidationError } from "../../lib/errors.ts";
import type { Lake, LakeTable, TableDefinition } from "../../lib/lake/index.ts";
import { SILVER_TABLES } from "../../lib/pipeline/silver-tables.ts";
import type { BatchHandler, MessageHandler } from "../../lib/runtime/consumer.ts";
import { envelopeBatchHandler, envelopeHandler, publishEnvelopes } from "../../lib/runtime/envelope-io.ts";
import type { Logger } from "../../lib/runtime/logger.ts";
import type { Model, SqlProject } from "../../lib/sql/index.ts";
import { duckType, type ModelRun, openModelRun, stageFromLake } from "./run-models.ts";

export interface SilverDeps {
	lake: Lake;
	/** The lake's own DuckDB engine: the lake writes silver tables from relations in it. */
	engine: TransformEngine;
	/** The SQL project (sql/); its silver models run. */
	project: SqlProject;
	bus: Bus;
	now?: () => Date;
}

export interface TableOutcome {
	table: string;
	snapshotId: string | null;
	/** False when the partitions already held exactly these rows. */
	changed: boolean;
	rows: number;
}

export interface SilverResult {
	orgId: string;
	dates: string[];
	tables: TableOutcome[];
	/** Delivery reconciliation and the batch's quality score (row-weighted over its partitions, 0-100). */
	quality: { rowsIn: number; rowsWritten: number; rowsSuperseded: number; rowsRejected: number; score: number };
	published: TableChangedEnvelope[];
}

export interface SilverProcessor {
	/** Rebuilds the silver partitions of `orgId` × `dates` from bronze and publishes what changed. */
	process(change: {
		orgId: string;
		dates: readonly string[];
		requestIds?: readonly string[];
		traceId?: string;
	}): Promise<SilverResult>;
}

const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;

export function createSilverProcessor(deps: SilverDeps): SilverProcessor {
	const models = deps.project.order.filter((m) => m.layer === "silver");
	const bronzeInputs = [...new Set(models.flatMap((m) => m.inputs).filter((i) => i.startsWith("bronze.")))];
	const definitions = new Map(SILVER_TABLES.map((d) => [`silver.${d.name}`, d]));
	const tables = new Map<string, Promise<LakeTable>>();
	let queue: Promise<unknown> = Promise.resolve();

	const openTable = (definition: TableDefinition) => {
		let table = tables.get(definition.name);
		if (!table) {
			table = deps.lake.loadTable("silver", definition.name).catch(async (error) => {
				if (!(error instanceof NotFoundError)) throw error;
				// Another process may create it between our load and create.
				return deps.lake.createTable(definition).catch(() => deps.lake.loadTable("silver", definition.name));
			});
			tables.set(definition.name, table);
			table.catch(() => tables.delete(definition.name));
		}
		return table;
	};

	/**
	 * Row count and an order-independent digest of rows typed as the table
	 * stores them: the sum of DuckDB's 64-bit hash of each row (the row itself,
	 * not its text, which would cost a string per row), so no sort is needed.
	 * Both sides are hashed by the same engine in the same run. Equal counts
	 * and sums mean "already written"; two different row sets agreeing on both
	 * is a 1-in-2^64 event, and would only skip a rewrite.
	 */
	const digestSql = `count(*) AS n, coalesce(sum(hash(t)::HUGEINT), 0)::VARCHAR AS d`;

	async function write(run: ModelRun, model: Model, partitions: { orgId: string; date: string }[]) {
		const definition = definitions.get(model.name);
		if (!definition) return null;
		const table = await openTable(definition);
		const version = `${model.name}@${model.fileVersion}`;
		const projection = definition.columns
			.map((c) =>
				c.name === "transform_version"
					? `${quote(version)} AS transform_version`
					: `CAST("${c.name}" AS ${duckType(c.type)}) AS "${c.name}"`,
			)
			.join(", ");
		const select = `SELECT ${projection} FROM ${run.name(model.name)}`;
		const [current] = await table.query<{ n: bigint; d: string }>({ partitions, select: digestSql });
		// Partitions written for the first time (a backfill) need no digest of the new rows, only their count.
		const [next] =
			Number(current?.n ?? 0) === 0
				? await deps.engine.all<{ n: bigint; d: string }>(
						`SELECT count(*) AS n, NULL AS d FROM ${run.name(model.name)}`,
					)
				: await deps.engine.all<{ n: bigint; d: string }>(`SELECT ${digestSql} FROM (${select}) AS t`);
		const rows = Number(next?.n ?? 0);
		if (rows === Number(current?.n ?? 0) && (rows === 0 || next?.d === current?.d)) {
			const snapshot = (await table.metadata())["current-snapshot-id"];
			return { table: model.name, snapshotId: snapshot === -1 ? null : String(snapshot), changed: false, rows };
		}
		const summary = await table.overwrite({ sql: select }, { partitions });
		const id = summary.snapshotId === null ? null : String(summary.snapshotId);
		return { table: model.name, snapshotId: id, changed: summary.committed, rows };
	}

	async function processNow(change: Parameters<SilverProcessor["process"]>[0]): Promise<SilverResult> {
		const dates = [...new Set(change.dates)].sort();
		if (dates.length === 0) throw new ValidationError("a silver run needs at least one date");
		const partitions = dates.map((date) => ({ orgId: change.orgId, date }));
		const run = await openModelRun(deps.engine);
		try {
			for (const input of bronzeInputs) await stageFromLake(run, deps.lake, input, { partitions });
			for (const model of models) await run.materialise(model);
			const outcomes: TableOutcome[] = [];
			for (const model of models) {
				const outcome = await write(run, model, partitions);
				if (outcome) outcomes.push(outcome);
			}
			const quality = await batchQuality(run);
			const published = outcomes
				.filter((o) => o.snapshotId !== null && (o.changed || o.rows > 0))
				.map((o) =>
					createEnvelope(
						"silver.data.processed",
						{
							org_id: change.orgId,
							source: "silver",
							table: o.table,
							snapshot_id: o.snapshotId as string,
							dates,
							row_counts: {
								rows: o.rows,
								...(o.table === "silver.delivery_daily"
									? {
											rows_in: quality.rowsIn,
											rows_superseded: quality.rowsSuperseded,
											rows_rejected: quality.rowsRejected,
											quality_score: quality.score,
										}
									: {}),
							},
							request_ids: [...(change.requestIds ?? [])],
							...(change.traceId ? { trace_id: change.traceId } : {}),
						},
						deps.now,
					),
				);
			if (published.length > 0) await publishEnvelopes(deps.bus, "silver.data.processed", published);
			return { orgId: change.orgId, dates, tables: outcomes, quality, published };
		} finally {
			await run.close();
		}
	}

	async function batchQuality(run: ModelRun): Promise<SilverResult["quality"]> {
		const [q] = await deps.engine.all<Record<string, bigint | number | null>>(
			`SELECT coalesce(sum(rows_in), 0) AS rows_in, coalesce(sum(rows_written), 0) AS rows_written,
				coalesce(sum(rows_superseded), 0) AS rows_superseded, coalesce(sum(rows_rejected), 0) AS rows_rejected,
				coalesce(round(sum(score * rows_in) / nullif(sum(rows_in), 0)), 100) AS score
			FROM ${run.name("silver.quality")}`,
		);
		return {
			rowsIn: Number(q?.rows_in ?? 0),
			rowsWritten: Number(q?.rows_written ?? 0),
			rowsSuperseded: Number(q?.rows_superseded ?? 0),
			rowsRejected: Number(q?.rows_rejected ?? 0),
			score: Number(q?.score ?? 100),
		};
	}

	return {
		// One run at a time: runs share the engine, and overwrites of one partition must not interleave.
		process(change) {
			const result = queue.then(() => processNow(change));
			queue = result.catch(() => {});
			return result;
		},
	};
}

/** Dates per silver run when events are merged: bounds the rows one run holds in memory. */
export const MAX_DATES_PER_RUN = 92;

/**
 * The worker's batch handler: the events of a bus batch merged per org, so a
 * partition named by many pages is rebuilt once, in runs of at most
 * MAX_DATES_PER_RUN dates. A failure hands the batch to the per-event handler.
 */
export function createSilverBatchHandler(processor: SilverProcessor): BatchHandler {
	return envelopeBatchHandler("bronze.data.cleaned", async (envelopes, { logger }) => {
		const byOrg = new Map<string, { dates: Set<string>; requestIds: Set<string>; traceId: string }>();
		for (const envelope of envelopes) {
			if (envelope.table !== "bronze.raw_records" || envelope.dates.length === 0) continue;
			const org = byOrg.get(envelope.org_id) ?? { dates: new Set(), requestIds: new Set(), traceId: envelope.trace_id };
			for (const date of envelope.dates) org.dates.add(date);
			for (const id of envelope.request_ids) org.requestIds.add(id);
			byOrg.set(envelope.org_id, org);
		}
		for (const [orgId, org] of byOrg) {
			const dates = [...org.dates].sort();
			for (let i = 0; i < dates.length; i += MAX_DATES_PER_RUN) {
				const result = await processor.process({
					orgId,
					dates: dates.slice(i, i + MAX_DATES_PER_RUN),
					requestIds: [...org.requestIds],
					traceId: org.traceId,
				});
				logProcessed(logger, result);
			}
		}
		return [];
	});
}

function logProcessed(logger: Logger, result: SilverResult): void {
	logger.info("silver partitions processed", {
		org_id: result.orgId,
		dates: result.dates.length,
		changed: result.tables.filter((t) => t.changed).map((t) => t.table),
		quality_score: result.quality.score,
		rows_rejected: result.quality.rowsRejected,
	});
}

/** The worker's message handler: bronze.data.cleaned for bronze.raw_records → a silver run; other tables are ignored. */
export function createSilverHandler(processor: SilverProcessor): MessageHandler {
	return envelopeHandler("bronze.data.cleaned", async (envelope, _message, { logger }) => {
		if (envelope.table !== "bronze.raw_records" || envelope.dates.length === 0) return;
		const result = await processor.process({
			orgId: envelope.org_id,
			dates: envelope.dates,
			requestIds: envelope.request_ids,
			traceId: envelope.trace_id,
		});
		logProcessed(logger, result);
	});
}
