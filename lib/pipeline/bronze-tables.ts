/**
 * The bronze layer's tables (DESIGN.md §5): the raw grain, schema-on-read.
 * Shared by the bronze worker (writes) and the silver worker and SQL (read).
 * One row per record of a raw API page, kept as received (`record`: the JSON
 * object of one API record, or of one CSV/Sheets row keyed by its header),
 * plus the envelope fields and the report date extracted.
 */
import type { TableDefinition } from "../lake/index.ts";

export const BRONZE_RAW_RECORDS: TableDefinition = {
	layer: "bronze",
	name: "raw_records",
	partitionBy: { org: "org_id", date: "report_date" },
	columns: [
		{ name: "org_id", type: "string", required: true },
		{
			name: "report_date",
			type: "date",
			required: true,
			doc: "The day the record reports on; for entity and CRM streams, the fetch day in the org's time zone.",
		},
		{ name: "source", type: "string", required: true },
		{ name: "stream", type: "string", required: true },
		{ name: "connection_id", type: "string", required: true },
		{ name: "account", type: "string", required: true },
		{ name: "request_id", type: "string", required: true },
		{ name: "record_index", type: "int", required: true, doc: "Position of the record within its page, from 0." },
		{ name: "record", type: "string", required: true },
		{
			name: "fetched_at",
			type: "timestamptz",
			required: true,
			doc: "When the source answered (envelope produced_at). Latest fetch wins downstream.",
		},
		{ name: "window_from", type: "date", required: true },
		{ name: "window_to", type: "date", required: true },
		{ name: "page", type: "int", required: false },
		{ name: "ingested_at", type: "timestamptz", required: true },
		{
			name: "transform_version",
			type: "string",
			required: true,
			doc: "`<model>@<file version>` of the bronze transform that wrote the row (lineage).",
		},
	],
};

export const BRONZE_QUARANTINE: TableDefinition = {
	layer: "bronze",
	name: "quarantine",
	partitionBy: { org: "org_id", date: "ingest_date" },
	columns: [
		{ name: "org_id", type: "string", required: true },
		{ name: "ingest_date", type: "date", required: true },
		{ name: "source", type: "string", required: true },
		{ name: "stream", type: "string", required: true },
		{ name: "request_id", type: "string", required: true },
		{ name: "record_index", type: "int", required: true, doc: "-1 when the whole page failed." },
		{ name: "reason", type: "string", required: true, doc: "Why: bad date, missing id, out-of-range date, ..." },
		{ name: "raw", type: "string", required: true },
		{ name: "ingested_at", type: "timestamptz", required: true },
	],
};
