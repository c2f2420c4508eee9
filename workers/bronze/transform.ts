/**
 * Runs the bronze SQL (sql/bronze/) over one page: the records are staged as
 * the source relation `bronze.landed_records`, then each bronze model is
 * materialised in order through the SQL runner's engine, leaving
 * `bronze.raw_records` and `bronze.quarantine` ready to append to the lake.
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
export interface LandedBatch {
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

/** Check results of one batch: rows checked and rows failing each check (a row may fail several). */
export interface BatchChecks extends Record<string, number> {
	rows_checked: number;
	structure_failed: number;
	required_fields_failed: number;
	date_failed: number;
	freshness_failed: number;
}

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

async function stage(engine: TransformEngine, batch: LandedBatch, tempDir: string): Promise<void> {
	await mkdir(tempDir, { recursive: true });
	const file = join(tempDir, `landed-${randomUUID()}.ndjson`);
	// Records travel as JSON strings so DuckDB keeps their text exactly; the file path avoids one
	// INSERT per record (pages run to thousands of rows).
	await writeFile(file, batch.records.map((record, i) => JSON.stringify({ i, r: record })).join("\n"));
	try {
		const constants = [
			`${literal(batch.orgId)}::VARCHAR AS org_id`,
			`${literal(batch.source)}::VARCHAR AS source`,
			`${literal(batch.stream)}::VARCHAR AS stream`,
			`${literal(batch.connectionId)}::VARCHAR AS connection_id`,
			`${literal(batch.requestId)}::VARCHAR AS request_id`,
			`${literal(batch.page)}::INTEGER AS page`,
			`${literal(batch.windowFrom)}::DATE AS window_from`,
			`${literal(batch.windowTo)}::DATE AS window_to`,
			`${literal(batch.fetchedAt)}::TIMESTAMPTZ AS fetched_at`,
			`${literal(batch.fetchDate)}::DATE AS fetch_date`,
			`${literal(batch.pageAccount)}::VARCHAR AS page_account`,
		].join(", ");
		const from =
			batch.records.length === 0
				? "(SELECT NULL::INTEGER AS i, NULL::VARCHAR AS r) WHERE false"
				: `read_json(${literal(file)}, format = 'newline_delimited', columns = {i: 'INTEGER', r: 'VARCHAR'})`;
		await engine.run("CREATE SCHEMA IF NOT EXISTS bronze");
		await engine.run(
			`CREATE OR REPLACE TABLE ${LANDED} AS SELECT ${constants}, i AS record_index, r AS record, ${literal(batch.ingestedAt)}::TIMESTAMPTZ AS ingested_at FROM ${from}`,
		);
	} finally {
		await rm(file, { force: true });
	}
}

/** Stages the batch and runs the bronze models; the outputs stay in the engine for the lake writes. */
export async function runBronzeTransform(
	engine: TransformEngine,
	transform: BronzeTransform,
	batch: LandedBatch,
	tempDir: string,
): Promise<TransformResult> {
	await stage(engine, batch, tempDir);
	const sql = duckdbSqlEngine(engine);
	for (const model of transform.models) await sql.materialise(model.name, model.body);
	const [counts] = await engine.all<Record<string, bigint | number>>(
		`SELECT count(*) AS rows_checked,
			count(*) FILTER (WHERE NOT is_structure_ok) AS structure_failed,
			count(*) FILTER (WHERE NOT is_complete) AS required_fields_failed,
			count(*) FILTER (WHERE NOT is_valid_date) AS date_failed,
			count(*) FILTER (WHERE NOT is_fresh) AS freshness_failed
		FROM ${CHECKED}`,
	);
	const [written] = await engine.all<{ n: bigint }>(`SELECT count(*) AS n FROM ${RAW}`);
	const [quarantined] = await engine.all<{ n: bigint }>(`SELECT count(*) AS n FROM ${QUARANTINE}`);
	const dates = await engine.all<{ d: string }>(`SELECT DISTINCT report_date::VARCHAR AS d FROM ${RAW} ORDER BY 1`);
	const checks = Object.fromEntries(Object.entries(counts ?? {}).map(([k, v]) => [k, Number(v)])) as BatchChecks;
	const result = {
		rowsIn: batch.records.length,
		rowsWritten: Number(written?.n ?? 0),
		rowsQuarantined: Number(quarantined?.n ?? 0),
		dates: dates.map((d) => d.d),
		checks,
	};
	// Every landed record leaves bronze by exactly one door; anything else is a broken model.
	if (result.rowsIn !== result.rowsWritten + result.rowsQuarantined || checks.rows_checked !== result.rowsIn) {
		throw new ValidationError(
			`bronze models lost or duplicated records of ${batch.requestId}: in ${result.rowsIn}, written ${result.rowsWritten}, quarantined ${result.rowsQuarantined}`,
			{ context: { request_id: batch.requestId, model: RAW } },
		);
	}
	return result;
}
