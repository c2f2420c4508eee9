/**
 * Stage 2: one `connector.data.raw` page into the bronze lake tables.
 *
 * Pages are handled many at a time (the bronze SQL over chunks of a bus
 * batch, one commit per table for the whole batch); a page seen before, or
 * one that cannot be split, is handled alone. Each page is stored once,
 * however often it is delivered:
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
import { createEnvelope, type RawDataEnvelope, type TableChangedEnvelope } from "../../lib/envelope/index.ts";
import { ValidationError } from "../../lib/errors.ts";
import type { LakeTable } from "../../lib/lake/index.ts";
import type { ObjectStore } from "../../lib/objectstore/port.ts";
import { publishEnvelopes } from "../../lib/runtime/envelope-io.ts";
import { readRawBody } from "./body.ts";
import { alreadyHolds, currentSnapshotId, dayIn } from "./lake-io.ts";
import type { BronzeLedger, LedgerRow } from "./ledger.ts";
import { splitPage } from "./split/index.ts";
import {
	type BronzeTransform,
	bronzeBatch,
	type LandedPage,
	QUARANTINE,
	RAW,
	type TransformResult,
} from "./transform.ts";

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
	/** Records per transform when pages are handled together; default 500,000. */
	maxBatchRecords?: number;
	/** Characters of record text per transform; default 32 Mi (see DEFAULT_MAX_BATCH_CHARS). */
	maxBatchChars?: number;
	/** Test hook: throw here to simulate a crash at that point. */
	onStep?: (step: BronzeStep, requestId: string) => void | Promise<void>;
}

export interface BronzeHandler {
	/** Processes one raw page; throws PageQuarantinedError for a page that cannot be split. */
	handleOne(envelope: RawDataEnvelope): Promise<void>;
	/** Processes fresh pages together; returns those left for handleOne. */
	handleMany(envelopes: readonly RawDataEnvelope[]): Promise<RawDataEnvelope[]>;
}

/** What one page's event counts: its request and its outcome in bronze. */
type CleanedPage = Pick<TransformResult, "rowsIn" | "rowsWritten" | "rowsQuarantined" | "dates"> & {
	requestId: string;
};

type SplitPage = { envelope: RawDataEnvelope; split: { records: readonly string[]; account?: string | null } };

/** Records one transform takes at most (a batch's chunks then share one lake commit). */
export const DEFAULT_MAX_BATCH_RECORDS = 500_000;
/**
 * Record text one transform takes at most: with the other columns, about 70 MB in DuckDB (which spills
 * beyond its ceiling, 512 MB by default). On 5M rows 32 Mi kept bronze's peak RSS about 100 MiB below
 * 64 Mi at the same speed.
 */
export const DEFAULT_MAX_BATCH_CHARS = 32 * 1024 * 1024;

/** bronze.raw_records as the lake append reads it: the output's rows with the transform's version. */
const RAW_WITH_VERSION = (version: string) =>
	`SELECT *, '${version.replace(/'/g, "''")}' AS transform_version FROM ${RAW}`;

export function createBronzeHandler(deps: BronzeHandlerDeps): BronzeHandler {
	const now = deps.now ?? (() => new Date());
	const maxBatchRecords = deps.maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS;
	const maxBatchChars = deps.maxBatchChars ?? DEFAULT_MAX_BATCH_CHARS;
	const { ledger, tables } = deps;

	/** The bronze.data.cleaned event for pages of one org, source and stream committed in snapshot `snapshotId`. */
	const cleanedEvent = (envelope: RawDataEnvelope, snapshotId: string, members: readonly CleanedPage[]) =>
		createEnvelope(
			BRONZE_DATA_CLEANED,
			{
				org_id: envelope.org_id,
				source: envelope.source,
				trace_id: envelope.trace_id,
				table: RAW,
				snapshot_id: snapshotId,
				dates: [...new Set(members.flatMap((m) => m.dates))].sort(),
				row_counts: {
					in: members.reduce((n, m) => n + m.rowsIn, 0),
					written: members.reduce((n, m) => n + m.rowsWritten, 0),
					quarantined: members.reduce((n, m) => n + m.rowsQuarantined, 0),
				},
				request_ids: members.map((m) => m.requestId),
			},
			now,
		);

	async function publish(events: TableChangedEnvelope[]): Promise<void> {
		if (events.length === 0) return;
		await publishEnvelopes(deps.bus, BRONZE_DATA_CLEANED, events);
		await ledger.markPublished(
			events.flatMap((e) => e.request_ids),
			now(),
		);
	}

	/** A page seen before: a quarantined page fails again; an ingested one is published if that step was lost. */
	async function finish(envelope: RawDataEnvelope, row: LedgerRow): Promise<void> {
		if (row.state === "page_quarantined") throw new PageQuarantinedError(`page quarantined: ${row.reason}`);
		if (row.published_at !== null || row.rows_written === 0 || row.snapshot_id === null) return;
		const page = {
			requestId: row.request_id,
			rowsIn: row.rows_in,
			rowsWritten: row.rows_written,
			rowsQuarantined: row.rows_quarantined,
			dates: JSON.parse(row.dates) as string[],
		};
		await publish([cleanedEvent(envelope, row.snapshot_id, [page])]);
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

	/** Split pages with the envelope fields the bronze models read. */
	function landedPages(pages: readonly SplitPage[], ingestedAt: Date): Promise<LandedPage[]> {
		return Promise.all(
			pages.map(async ({ envelope, split }) => {
				const fetchedAt = new Date(envelope.produced_at);
				return {
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
				};
			}),
		);
	}

	/**
	 * Appends the rows of `pages` (the batch's outputs, RAW and QUARANTINE)
	 * in one commit per table, then completes their ledger rows and publishes.
	 * `recovering` (one page only) skips a table that already holds the page
	 * from an attempt that died before its ledger update.
	 */
	async function commit(
		pages: readonly RawDataEnvelope[],
		results: ReadonlyMap<string, TransformResult>,
		ingestedAt: Date,
		recovering: boolean,
	): Promise<void> {
		const first = pages[0];
		if (!first) return;
		const total = (key: "rowsWritten" | "rowsQuarantined") => [...results.values()].reduce((sum, r) => sum + r[key], 0);
		const snapshotId =
			total("rowsWritten") > 0
				? await append(tables.raw, RAW_WITH_VERSION(deps.transform.version), first, recovering)
				: null;
		if (total("rowsQuarantined") > 0) {
			await append(tables.quarantine, `SELECT * FROM ${QUARANTINE}`, first, recovering);
		}
		for (const envelope of pages) await deps.onStep?.("lake-committed", envelope.request_id);

		await ledger.completeMany(
			pages.map((envelope) => {
				const result = results.get(envelope.request_id) as TransformResult;
				return {
					requestId: envelope.request_id,
					outcome: {
						state: "ingested",
						snapshotId: result.rowsWritten > 0 ? snapshotId : null,
						rowsIn: result.rowsIn,
						rowsWritten: result.rowsWritten,
						rowsQuarantined: result.rowsQuarantined,
						dates: result.dates,
						checks: result.checks,
						reason: null,
						transformVersion: deps.transform.version,
						ingestedAt,
					},
				};
			}),
		);
		for (const envelope of pages) await deps.onStep?.("ledger-completed", envelope.request_id);

		// One event per org, source and stream of the batch: silver needs the org and the dates.
		if (snapshotId === null) return;
		const groups = new Map<string, { envelope: RawDataEnvelope; members: CleanedPage[] }>();
		for (const envelope of pages) {
			const result = results.get(envelope.request_id) as TransformResult;
			if (result.rowsWritten === 0) continue;
			const key = `${envelope.org_id}\u0000${envelope.source}\u0000${envelope.stream}`;
			const group = groups.get(key) ?? { envelope, members: [] };
			group.members.push({ requestId: envelope.request_id, ...result });
			groups.set(key, group);
		}
		await publish([...groups.values()].map((g) => cleanedEvent(g.envelope, snapshotId, g.members)));
	}

	async function handleOne(envelope: RawDataEnvelope): Promise<void> {
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
		const batch = bronzeBatch(deps.engine, deps.transform, deps.tempDir);
		try {
			await batch.add(await landedPages([{ envelope, split }], ingestedAt));
			await commit([envelope], await batch.results(), ingestedAt, recovering);
		} finally {
			await batch.drop();
		}
	}

	/**
	 * Many fresh pages at once: the bronze models run over chunks of at most
	 * `maxBatchRecords` records and `maxBatchChars` characters of them (the
	 * engine's working set), and all chunks' rows go into the lake in one
	 * commit per table. Each commit writes a file for every report day it
	 * touches, so one commit per batch rather than per chunk means several
	 * times fewer files for bronze to write and for silver to read. Pages seen
	 * before (done, or pending after a crash), pages that cannot be read or
	 * split, and repeats within the batch are returned for handleOne, which
	 * knows how to finish, recover or quarantine them.
	 */
	async function handleMany(envelopes: readonly RawDataEnvelope[]): Promise<RawDataEnvelope[]> {
		const left: RawDataEnvelope[] = [];
		const unique: RawDataEnvelope[] = [];
		const seen = new Set<string>();
		for (const envelope of envelopes) {
			if (seen.has(envelope.request_id)) left.push(envelope);
			else {
				seen.add(envelope.request_id);
				unique.push(envelope);
			}
		}
		const claimed = await ledger.beginMany(
			unique.map((e) => ({
				requestId: e.request_id,
				orgId: e.org_id,
				source: e.source,
				stream: e.stream,
				startedAt: now(),
			})),
		);
		const ingestedAt = now();
		const batch = bronzeBatch(deps.engine, deps.transform, deps.tempDir);
		const done: RawDataEnvelope[] = [];
		let chunk: SplitPage[] = [];
		let records = 0;
		let chars = 0;
		// (Splitting the next chunk while DuckDB checks this one was tried: on two cores it was no faster, and
		// held two chunks of records.)
		const flush = async () => {
			if (chunk.length === 0) return;
			await batch.add(await landedPages(chunk, ingestedAt));
			done.push(...chunk.map((page) => page.envelope));
			chunk = [];
			records = 0;
			chars = 0;
		};
		try {
			for (const envelope of unique) {
				if (!claimed.has(envelope.request_id)) {
					left.push(envelope);
					continue;
				}
				const body = await readRawBody(envelope, deps.store);
				const split = body.ok ? splitPage(envelope.source, envelope.stream, body.text) : null;
				if (!split?.ok) {
					left.push(envelope); // claimed and pending: handleOne quarantines it as a recovering page
					continue;
				}
				let pageChars = 0;
				for (const record of split.records) pageChars += record.length;
				if (records > 0 && (records + split.records.length > maxBatchRecords || chars + pageChars > maxBatchChars)) {
					await flush();
				}
				chunk.push({ envelope, split });
				records += split.records.length;
				chars += pageChars;
			}
			await flush();
			if (done.length > 0) await commit(done, await batch.results(), ingestedAt, false);
		} finally {
			await batch.drop();
		}
		return left;
	}

	return { handleOne, handleMany };
}
