/**
 * Runs the bronze SQL (sql/bronze/) over a batch of pages, chunk by chunk:
 * each chunk's records are staged as the source relation
 * `bronze.landed_records`, then each bronze model is materialised in order
 * through the SQL runner's engine (the checked records adding up over the
 * chunks), leaving `bronze.raw_records` and `bronze.quarantine` ready to
 * append to the lake.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { TransformEngine } from "../../lib/engine/port.ts";
import { ValidationError } from "../../lib/errors.ts";
import { duckdbSqlEngine, loadProject, type Model } from "../../lib/sql/index.ts";

export const LANDED = "bronze.landed_records";
export const CHECKED = "bronze.checked_records";
export const RAW = "bronze.raw_records";
export const QUARANTINE = "bronze.quarantine";

export interface BronzeTransform {
	/** The bronze models in dependency order. */
	readonly models: readonly Model[];
	/** What the rows record as `transform_version`: `<model>@<file version>` of each model, in order. */
	readonly version: string;
}

/** Loads the bronze models from `<sqlRoot>/bronze` (only that folder, so a broken silver file cannot stop bronze). */
export function loadBronzeTransform(sqlRoot: string): BronzeTransform {
	const sources = JSON.parse(readFileSync(join(sqlRoot, "sources.json"), "utf8")) as string[];
	const project = loadProject(join(sqlRoot, "bronze"), { sources });
	for (const name of [CHECKED, RAW, QUARANTINE]) project.get(name);
	const models = project.order.filter((m) => m.layer === "bronze");
	return { models, version: models.map((m) => `${m.name}@${m.fileVersion}`).join(", ") };
}

/** One page's records with the envelope fields, as staged in `bronze.landed_records`. */
export interface LandedPage {
	orgId: string;
	source: string;
	stream: string;
	connectionId: string;
	requestId: string;
	page: number | null;
	windowFrom: string;
	windowTo: string;
	/** ISO-8601 (envelope produced_at). */
	fetchedAt: string;
	/** The fetch day in the org's time zone, YYYY-MM-DD. */
	fetchDate: string;
	pageAccount: string | null;
	/** ISO-8601. */
	ingestedAt: string;
	records: readonly string[];
}

/** Check results of one page: rows checked and rows failing each check (a row may fail several). */
export interface BatchChecks extends Record<string, number> {
	rows_checked: number;
	structure_failed: number;
	required_fields_failed: number;
	date_failed: number;
	freshness_failed: number;
}

/** What the bronze models made of one page. */
export interface TransformResult {
	rowsIn: number;
	rowsWritten: number;
	rowsQuarantined: number;
	/** Report dates of the valid rows, sorted. */
	dates: string[];
	checks: BatchChecks;
}

const literal = (value: string | number | null) =>
	value === null ? "NULL" : typeof value === "number" ? String(value) : `'${value.replace(/'/g, "''")}'`;

/** The envelope fields every landed record carries: column, DuckDB type, value from its page. */
const PAGE_COLUMNS: readonly [string, string, (p: LandedPage) => string | number | null][] = [
	["org_id", "VARCHAR", (p) => p.orgId],
	["source", "VARCHAR", (p) => p.source],
	["stream", "VARCHAR", (p) => p.stream],
	["connection_id", "VARCHAR", (p) => p.connectionId],
	["request_id", "VARCHAR", (p) => p.requestId],
	["page", "INTEGER", (p) => p.page],
	["window_from", "DATE", (p) => p.windowFrom],
	["window_to", "DATE", (p) => p.windowTo],
	["fetched_at", "TIMESTAMPTZ", (p) => p.fetchedAt],
	["fetch_date", "DATE", (p) => p.fetchDate],
	["page_account", "VARCHAR", (p) => p.pageAccount],
	["ingested_at", "TIMESTAMPTZ", (p) => p.ingestedAt],
];

/** Separates the records of a page in its staging file; JSON text can never hold it raw. */
const RECORD_SEPARATOR = "\u001e";
/** Staging files written at once. */
const WRITE_CONCURRENCY = 32;

async function stage(engine: TransformEngine, pages: readonly LandedPage[], tempDir: string): Promise<void> {
	// One file per page, its records as they are, separated by a control character JSON text only holds
	// escaped (RFC 8259 §7; every splitter emits JSON): no per-record escaping here, DuckDB splits each
	// file in one pass keeping each record's text exactly, and no value it holds is bigger than a page.
	// Empty pages are left out (nothing to split).
	const staged = pages.filter((page) => page.records.length > 0);
	for (const page of staged) {
		for (const record of page.records) {
			if (record.includes(RECORD_SEPARATOR)) {
				throw new ValidationError(`a record of ${page.requestId} is not JSON text: it holds a raw control character`);
			}
		}
	}
	const dir = join(tempDir, `landed-${randomUUID()}`);
	await mkdir(dir, { recursive: true });
	try {
		for (let start = 0; start < staged.length; start += WRITE_CONCURRENCY) {
			await Promise.all(
				staged
					.slice(start, start + WRITE_CONCURRENCY)
					.map((page, k) => writeFile(join(dir, `${start + k}.txt`), page.records.join(RECORD_SEPARATOR))),
			);
		}
		const rows = staged
			.map(
				(page, p) => `(${p}, ${PAGE_COLUMNS.map(([, type, value]) => `${literal(value(page))}::${type}`).join(", ")})`,
			)
			.join(",\n");
		const from =
			staged.length === 0
				? "(SELECT NULL::INTEGER AS p, NULL::INTEGER AS i, NULL::VARCHAR AS r) WHERE false"
				: `(SELECT p, (generate_subscripts(records, 1) - 1)::INTEGER AS i, unnest(records) AS r
					FROM (SELECT parse_filename(filename, true)::INTEGER AS p, string_split(content, chr(30)) AS records
						FROM read_text(${literal(join(dir, "*.txt"))})))`;
		const columns = PAGE_COLUMNS.map(([name]) => `pg.${name}`);
		await engine.run("CREATE SCHEMA IF NOT EXISTS bronze");
		await engine.run(
			`CREATE OR REPLACE TABLE ${LANDED} AS
			WITH pg(p, ${PAGE_COLUMNS.map(([name]) => name).join(", ")}) AS (VALUES ${rows || `(NULL${", NULL".repeat(PAGE_COLUMNS.length)})`})
			SELECT ${columns.slice(0, -1).join(", ")}, rec.i AS record_index, rec.r AS record, pg.ingested_at
			FROM ${from} AS rec JOIN pg USING (p)`,
		);
	} finally {
		await rm(dir, { recursive: true, force: true });
	}
}

/**
 * A batch of pages run through the bronze models in chunks. Each chunk is
 * staged and checked, and its checked records are added to those of the
 * chunks before (the other models, the outputs among them, are views or
 * tables over all of them), so the outputs hold the whole batch without a
 * copy of any record. `results` then counts every page of the batch.
 */
export interface BronzeBatch {
	/** Stages `pages` (none seen before in this batch) and checks them. */
	add(pages: readonly LandedPage[]): Promise<void>;
	/** Each page's result by request id; throws if a model lost or duplicated records. */
	results(): Promise<Map<string, TransformResult>>;
	/** Frees the batch's records in the engine (the outputs are empty until the next batch). */
	drop(): Promise<void>;
}

export function bronzeBatch(engine: TransformEngine, transform: BronzeTransform, tempDir: string): BronzeBatch {
	const rowsIn = new Map<string, number>();
	const sql = duckdbSqlEngine(engine);
	return {
		async add(pages) {
			const ids = pages.map((p) => p.requestId);
			if (new Set(ids).size !== pages.length || ids.some((id) => rowsIn.has(id))) {
				throw new ValidationError("a bronze batch must hold each request once");
			}
			await stage(engine, pages, tempDir);
			const first = rowsIn.size === 0;
			for (const page of pages) rowsIn.set(page.requestId, page.records.length);
			for (const model of transform.models) {
				// The outputs only filter the checked records: views, so a batch's records are held once (checked)
				// rather than three times. The landed copy goes as soon as it is checked.
				if (model.name === RAW || model.name === QUARANTINE) {
					if (first) await engine.run(`CREATE OR REPLACE VIEW ${model.name} AS ${model.body}`);
				} else if (model.name === CHECKED && !first) {
					await engine.run(`INSERT INTO ${CHECKED} SELECT * FROM (${model.body}\n)`);
				} else await sql.materialise(model.name, model.body);
				if (model.name === CHECKED) await engine.run(`DROP TABLE IF EXISTS ${LANDED}`);
			}
		},
		async results() {
			const per = await engine.all<Record<string, bigint | number | string | null>>(
				`WITH checks AS (
					SELECT request_id, count(*) AS rows_checked,
						count(*) FILTER (WHERE NOT is_structure_ok) AS structure_failed,
						count(*) FILTER (WHERE NOT is_complete) AS required_fields_failed,
						count(*) FILTER (WHERE NOT is_valid_date) AS date_failed,
						count(*) FILTER (WHERE NOT is_fresh) AS freshness_failed
					FROM ${CHECKED} GROUP BY ALL
				), written AS (
					SELECT request_id, count(*) AS written, string_agg(DISTINCT report_date::VARCHAR, ',' ORDER BY report_date::VARCHAR) AS dates
					FROM ${RAW} GROUP BY ALL
				), quarantined AS (
					SELECT request_id, count(*) AS quarantined FROM ${QUARANTINE} GROUP BY ALL
				)
				SELECT c.*, coalesce(w.written, 0) AS written, coalesce(q.quarantined, 0) AS quarantined, w.dates
				FROM checks AS c LEFT JOIN written AS w USING (request_id) LEFT JOIN quarantined AS q USING (request_id)`,
			);
			const byRequest = new Map(per.map((row) => [String(row.request_id), row]));
			const results = new Map<string, TransformResult>();
			for (const [requestId, count] of rowsIn) {
				const row = byRequest.get(requestId);
				const checks: BatchChecks = {
					rows_checked: Number(row?.rows_checked ?? 0),
					structure_failed: Number(row?.structure_failed ?? 0),
					required_fields_failed: Number(row?.required_fields_failed ?? 0),
					date_failed: Number(row?.date_failed ?? 0),
					freshness_failed: Number(row?.freshness_failed ?? 0),
				};
				const result: TransformResult = {
					rowsIn: count,
					rowsWritten: Number(row?.written ?? 0),
					rowsQuarantined: Number(row?.quarantined ?? 0),
					dates: row?.dates ? String(row.dates).split(",") : [],
					checks,
				};
				// Every landed record leaves bronze by exactly one door; anything else is a broken model.
				if (result.rowsIn !== result.rowsWritten + result.rowsQuarantined || checks.rows_checked !== result.rowsIn) {
					throw new ValidationError(
						`bronze models lost or duplicated records of ${requestId}: in ${result.rowsIn}, written ${result.rowsWritten}, quarantined ${result.rowsQuarantined}`,
						{ context: { request_id: requestId, model: RAW } },
					);
				}
				results.set(requestId, result);
			}
			return results;
		},
		async drop() {
			rowsIn.clear();
			await engine.run(`DROP TABLE IF EXISTS ${LANDED}; DROP TABLE IF EXISTS ${CHECKED}`);
		},
	};
}
