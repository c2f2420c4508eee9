/**
 * The silver layer's tables (DESIGN.md §5): typed, deduplicated, conformed.
 * Written by the silver worker from the models in `sql/silver/` (one model =
 * one table, same name), read by gold. Every table is partitioned by
 * organisation and a date: the report date for delivery, the snapshot date
 * (the bronze fetch day) for entities and CRM data, so one bronze partition
 * maps onto exactly one silver partition and a rerun overwrites it whole.
 * Column rules live in the SQL; the docs here say what a column means.
 */
import type { ColumnSpec, TableDefinition } from "../lake/index.ts";

const partitionBy = { org: "org_id", date: "report_date" };
const SNAPSHOT_DOC = "The bronze fetch day (org time zone) this snapshot of the entity comes from.";

const lineage: ColumnSpec[] = [
	{ name: "fetched_at", type: "timestamptz", required: true, doc: "When the source answered (latest fetch wins)." },
	{ name: "request_id", type: "string", required: true, doc: "Source request id of the winning bronze record." },
	{
		name: "transform_version",
		type: "string",
		required: true,
		doc: "`<model>@<file version>` of the silver model that wrote the row.",
	},
];

const table = (name: string, columns: ColumnSpec[], dateDoc = SNAPSHOT_DOC): TableDefinition => ({
	layer: "silver",
	name,
	partitionBy,
	columns: [
		{ name: "org_id", type: "string", required: true },
		{ name: "report_date", type: "date", required: true, doc: dateDoc },
		...columns,
		...lineage,
	],
});

export const SILVER_DELIVERY_DAILY: TableDefinition = table(
	"delivery_daily",
	[
		{ name: "source", type: "string", required: true },
		{ name: "account_id", type: "string", required: true, doc: "DV360 advertiser, TTD advertiser, Meta ad account." },
		{ name: "campaign_id", type: "string", required: true },
		{ name: "insertion_order_id", type: "string", required: true, doc: "DV360 IO; TTD and Meta: the campaign id." },
		{ name: "line_item_id", type: "string", required: true, doc: "DV360 line item, TTD ad group, Meta ad set." },
		{ name: "line_item_type", type: "string", required: true, doc: "line_item, ad_group or ad_set." },
		{ name: "impressions", type: "long", required: true },
		{ name: "clicks", type: "long", required: true },
		{ name: "spend", type: "decimal(15, 2)", required: true, doc: "In `currency`, rounded half away from zero." },
		{ name: "currency", type: "string", required: true },
		{ name: "conversions", type: "long", required: true },
	],
	"The day delivered (the source's report date).",
);

const entity: ColumnSpec[] = [
	{ name: "source", type: "string", required: true },
	{ name: "account_id", type: "string", required: true },
	{ name: "campaign_id", type: "string", required: true },
	{ name: "name", type: "string" },
	{ name: "status", type: "string" },
	{ name: "flight_start", type: "date" },
	{ name: "flight_end", type: "date" },
	{ name: "budget", type: "decimal(18, 2)", doc: "Lifetime budget in `currency` (or the account currency)." },
	{ name: "daily_budget", type: "decimal(18, 2)" },
	{ name: "currency", type: "string" },
	{ name: "pacing", type: "string", doc: "EVEN, AHEAD or ASAP (conformed); null when the source has none." },
	{ name: "pacing_raw", type: "string", doc: "The source's own pacing setting." },
];

export const SILVER_CAMPAIGNS: TableDefinition = table("campaigns", entity);

export const SILVER_INSERTION_ORDERS: TableDefinition = table("insertion_orders", [
	...entity.slice(0, 3),
	{ name: "insertion_order_id", type: "string", required: true },
	...entity.slice(3),
]);

export const SILVER_LINE_ITEMS: TableDefinition = table("line_items", [
	...entity.slice(0, 3),
	{ name: "insertion_order_id", type: "string", required: true },
	{ name: "line_item_id", type: "string", required: true },
	{ name: "line_item_type", type: "string", required: true, doc: "line_item (DV360), ad_group (TTD), ad_set (Meta)." },
	{ name: "dv360_line_item_id", type: "string" },
	{ name: "ttd_ad_group_id", type: "string" },
	{ name: "meta_ad_set_id", type: "string" },
	...entity.slice(3),
]);

export const SILVER_CLIENTS: TableDefinition = table("clients", [
	{ name: "client_id", type: "string", required: true },
	{ name: "client_name", type: "string", required: true },
	{ name: "account_manager", type: "string" },
	{ name: "currency", type: "string", required: true },
]);

export const SILVER_BOOKINGS: TableDefinition = table("bookings", [
	{ name: "booking_id", type: "string", required: true },
	{ name: "client_id", type: "string", required: true },
	{ name: "line_items", type: "string", required: true, doc: 'JSON array of "<source>:<line item id>".' },
	{ name: "booked_impressions", type: "long", required: true },
	{ name: "booked_revenue", type: "decimal(15, 2)", required: true },
	{ name: "currency", type: "string", required: true },
	{ name: "flight_start", type: "date", required: true },
	{ name: "flight_end", type: "date", required: true },
	{ name: "notes", type: "string" },
]);

export const SILVER_EXCHANGE_RATES: TableDefinition = table("exchange_rates", [
	{ name: "rate_date", type: "date", required: true },
	{ name: "from_currency", type: "string", required: true },
	{ name: "to_currency", type: "string", required: true },
	{ name: "rate", type: "decimal(18, 6)", required: true, doc: "1 unit of from_currency in to_currency." },
]);

export const SILVER_REJECTED_RECORDS: TableDefinition = {
	layer: "silver",
	name: "rejected_records",
	partitionBy,
	columns: [
		{ name: "org_id", type: "string", required: true },
		{ name: "report_date", type: "date", required: true, doc: "Partition of the bronze record." },
		{ name: "model", type: "string", required: true, doc: "The silver model that excluded the record." },
		{ name: "source", type: "string", required: true },
		{ name: "stream", type: "string", required: true },
		{ name: "request_id", type: "string", required: true },
		{ name: "record_index", type: "int", required: true },
		{ name: "reason", type: "string", required: true },
		{ name: "record", type: "string", required: true },
		{ name: "transform_version", type: "string", required: true },
	],
};

export const SILVER_QUALITY: TableDefinition = {
	layer: "silver",
	name: "quality",
	partitionBy,
	columns: [
		{ name: "org_id", type: "string", required: true },
		{ name: "report_date", type: "date", required: true },
		{ name: "table_name", type: "string", required: true },
		{ name: "rows_in", type: "long", required: true, doc: "Bronze records read for the partition." },
		{ name: "rows_rejected", type: "long", required: true },
		{ name: "rows_superseded", type: "long", required: true, doc: "Valid rows replaced by a later fetch." },
		{ name: "rows_written", type: "long", required: true },
		{ name: "rejected_by_reason", type: "string", required: true, doc: "JSON object reason → count." },
		{ name: "completeness", type: "int", required: true, doc: "0-100." },
		{ name: "validity", type: "int", required: true, doc: "0-100." },
		{ name: "uniqueness", type: "int", required: true, doc: "0-100." },
		{ name: "freshness", type: "int", required: true, doc: "0-100." },
		{ name: "score", type: "int", required: true, doc: "0-100: the mean of the four." },
		{ name: "transform_version", type: "string", required: true },
	],
};

/** Every silver table the worker writes, by model name (`silver.<table>`). */
export const SILVER_TABLES: readonly TableDefinition[] = [
	SILVER_DELIVERY_DAILY,
	SILVER_CAMPAIGNS,
	SILVER_INSERTION_ORDERS,
	SILVER_LINE_ITEMS,
	SILVER_CLIENTS,
	SILVER_BOOKINGS,
	SILVER_EXCHANGE_RATES,
	SILVER_REJECTED_RECORDS,
	SILVER_QUALITY,
];
