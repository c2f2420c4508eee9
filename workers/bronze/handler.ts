/**
 * Stage 2: one `connector.data.raw` page into the bronze lake tables.
 *
 * Each page is stored once, however often it is delivered:
 *   1. the ledger row for its request_id: done → nothing to do (publish if that step was lost);
 *   2. claim it as pending, read and split the page, run the bronze SQL;
 *   3. append valid rows to bronze.raw_records and failed ones to bronze.quarantine;
 *   4. complete the ledger row, publish bronze.data.cleaned, mark it published.
 * A worker dying after 3 and before 4 leaves the row pending: the next delivery
 * then looks in each lake table for the request_id and appends only where it
 * is absent, so the crash window never doubles a page. A page that cannot be
 * split is quarantined whole (record_index -1) and dead-lettered with the reason.
 */
import type { Bus } from "../../lib/bus/port.ts";
import { BRONZE_DATA_CLEANED } from "../../lib/bus/topics.ts";
import type { TransformEngine } from "../../lib/engine/port.ts";
import { createEnvelope, type RawDataEnvelope } from "../../lib/envelope/index.ts";
import { ValidationError } from "../../lib/errors.ts";
import type { LakeTable } from "../../lib/lake/index.ts";
import type { ObjectStore } from "../../lib/objectstore/port.ts";
import { publishEnvelopes } from "../../lib/runtime/envelope-io.ts";
import { readRawBody } from "./body.ts";
import { alreadyHolds, currentSnapshotId, dayIn } from "./lake-io.ts";
import type { BronzeLedger, LedgerRow } from "./ledger.ts";
import { splitPage } from "./split/index.ts";
import { type BronzeTransform, QUARANTINE, RAW, runBronzeTransform } from "./transform.ts";

/** The whole page failed (not JSON, no list, unexpected header, checksum): quarantined, then dead-lettered. */
export class PageQuarantinedError extends ValidationError {}

/** Named points of one page's processing, for tests of the crash windows between them. */
export type BronzeStep = "lake-committed" | "ledger-completed";

export interface BronzeHandlerDeps {
	bus: Bus;
	store: ObjectStore;
	engine: TransformEngine;
	tables: { raw: LakeTable; quarantine: LakeTable };
	ledger: BronzeLedger;
	transform: BronzeTransform;
	/** The org's IANA time zone (entity and CRM records report on the fetch day there). */
	timezoneFor(envelope: RawDataEnvelope): Promise<string>;
	/** Scratch directory for staging files. */
	tempDir: string;
	/** Clock for ingested_at; default the system clock. */
	now?: () => Date;
	/** Test hook: throw here to simulate a crash at that point. */
	onStep?: (step: BronzeStep, requestId: string) => void | Promise<void>;
}

/** Processes one raw page; throws PageQuarantinedError for a page that cannot be split. */
export function createBronzeHandler(deps: BronzeHandlerDeps): (envelope: RawDataEnvelope) => Promise<void> {
	const now = deps.now ?? (() => new Date());
	const { ledger, tables } = deps;

	async function finish(envelope: RawDataEnvelope, row: LedgerRow): Promise<void> {
		if (row.state === "page_quarantined") throw new PageQuarantinedError(`page quarantined: ${row.reason}`);
		if (row.published_at !== null || row.rows_written === 0 || row.snapshot_id === null) return;
		const cleaned = createEnvelope(
			BRONZE_DATA_CLEANED,
			{
				org_id: envelope.org_id,
				source: envelope.source,
				trace_id: envelope.trace_id,
				table: RAW,
				snapshot_id: row.snapshot_id,
				dates: JSON.parse(row.dates) as string[],
				row_counts: { in: row.rows_in, written: row.rows_written, quarantined: row.rows_quarantined },
				request_ids: [row.request_id],
			},
			now,
		);
		await publishEnvelopes(deps.bus, BRONZE_DATA_CLEANED, [cleaned]);
		await ledger.markPublished(row.request_id, now());
	}

	/** Appends unless a previous attempt (pending row) already committed this request to the table. */
	async function append(table: LakeTable, sql: string, envelope: RawDataEnvelope, recovering: boolean) {
		if (recovering && (await alreadyHolds(table, envelope.org_id, envelope.request_id))) {
			return currentSnapshotId(table);
		}
		const summary = await table.append({ sql });
		return summary.snapshotId === null ? null : String(summary.snapshotId);
	}

	async function quarantinePage(envelope: RawDataEnvelope, reason: string, raw: string, recovering: boolean) {
		const ingestedAt = now();
		if (!recovering || !(await alreadyHolds(tables.quarantine, envelope.org_id, envelope.request_id))) {
			await tables.quarantine.append({
				rows: [
					{
						org_id: envelope.org_id,
						ingest_date: ingestedAt.toISOString().slice(0, 10),
						source: envelope.source,
						stream: envelope.stream,
						request_id: envelope.request_id,
						record_index: -1,
						reason,
						raw,
						ingested_at: ingestedAt,
					},
				],
			});
		}
		await deps.onStep?.("lake-committed", envelope.request_id);
		await ledger.complete(envelope.request_id, {
			state: "page_quarantined",
			snapshotId: null,
			rowsIn: 1,
			rowsWritten: 0,
			rowsQuarantined: 1,
			dates: [],
			checks: { rows_checked: 1, structure_failed: 1 },
			reason,
			transformVersion: null,
			ingestedAt,
		});
		throw new PageQuarantinedError(`page quarantined: ${reason}`);
	}

	return async (envelope) => {
		const existing = await ledger.begin({
			requestId: envelope.request_id,
			orgId: envelope.org_id,
			source: envelope.source,
			stream: envelope.stream,
			startedAt: now(),
		});
		if (existing && existing.state !== "pending") return finish(envelope, existing);
		const recovering = existing !== null;

		const body = await readRawBody(envelope, deps.store);
		if (!body.ok) return quarantinePage(envelope, body.reason, body.raw, recovering);
		const split = splitPage(envelope.source, envelope.stream, body.text);
		if (!split.ok) return quarantinePage(envelope, split.reason, body.text, recovering);

		const ingestedAt = now();
		const fetchedAt = new Date(envelope.produced_at);
		const result = await runBronzeTransform(
			deps.engine,
			deps.transform,
			{
				orgId: envelope.org_id,
				source: envelope.source,
				stream: envelope.stream,
				connectionId: envelope.connection_id,
				requestId: envelope.request_id,
				page: envelope.page ?? null,
				windowFrom: envelope.window.from,
				windowTo: envelope.window.to,
				fetchedAt: fetchedAt.toISOString(),
				fetchDate: dayIn(fetchedAt, await deps.timezoneFor(envelope)),
				pageAccount: split.account ?? null,
				ingestedAt: ingestedAt.toISOString(),
				records: split.records,
			},
			deps.tempDir,
		);
		const version = deps.transform.version.replace(/'/g, "''");
		const snapshotId =
			result.rowsWritten > 0
				? await append(tables.raw, `SELECT *, '${version}' AS transform_version FROM ${RAW}`, envelope, recovering)
				: null;
		if (result.rowsQuarantined > 0)
			await append(tables.quarantine, `SELECT * FROM ${QUARANTINE}`, envelope, recovering);
		await deps.onStep?.("lake-committed", envelope.request_id);

		await ledger.complete(envelope.request_id, {
			state: "ingested",
			snapshotId,
			rowsIn: result.rowsIn,
			rowsWritten: result.rowsWritten,
			rowsQuarantined: result.rowsQuarantined,
			dates: result.dates,
			checks: result.checks,
			reason: null,
			transformVersion: deps.transform.version,
			ingestedAt,
		});
		await deps.onStep?.("ledger-completed", envelope.request_id);
		const row = await ledger.get(envelope.request_id);
		if (row) await finish(envelope, row);
	};
}
