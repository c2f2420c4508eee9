/**
 * The dashboard queries over gold (what the gateway and bench:gold run),
 * filtered by org first so the primary key (org_id, ...) prunes to one
 * organisation's granules. The series read gold.fct_delivery_enriched
 * directly with the agg views' rules (spend NULL when a rate is missing):
 * grouping the agg_daily/agg_monthly views again costs a second GROUP BY
 * (measured ~3x slower).
 */
import type { Warehouse } from "../warehouse/port.ts";

export interface DashboardQuery {
	sql: string;
	params: Record<string, unknown>;
}

/** Pacing, margin and variance of every current booking of `orgId`, as of today in its time zone. */
export function orgPacingQuery(database: string, orgId: string): DashboardQuery {
	return {
		sql: `SELECT * FROM ${database}.booking_pacing WHERE org_id = {org:String} ORDER BY booking_id`,
		params: { org: orgId },
	};
}

/** One row per day in [from, to] (YYYY-MM-DD): delivery and spend in the reporting currency (NULL if a rate is missing). */
export function dailySeriesQuery(database: string, orgId: string, from: string, to: string): DashboardQuery {
	return {
		sql: `SELECT report_date, sum(impressions) AS impressions, sum(clicks) AS clicks,
			if(countIf(is_fx_missing = 1) > 0, NULL, sum(ifNull(spend_reporting, 0))) AS spend_reporting
			FROM ${database}.fct_delivery_enriched
			WHERE org_id = {org:String} AND report_date BETWEEN {from:Date} AND {to:Date}
			GROUP BY report_date ORDER BY report_date`,
		params: { org: orgId, from, to },
	};
}

/** One row per month, source and client in [from, to]. */
export function monthlyBySourceClientQuery(database: string, orgId: string, from: string, to: string): DashboardQuery {
	return {
		sql: `SELECT toStartOfMonth(report_date) AS month_start, source, client_id, sum(impressions) AS impressions,
			if(countIf(is_fx_missing = 1) > 0, NULL, sum(ifNull(spend_reporting, 0))) AS spend_reporting
			FROM ${database}.fct_delivery_enriched
			WHERE org_id = {org:String} AND report_date BETWEEN {from:Date} AND {to:Date}
			GROUP BY month_start, source, client_id ORDER BY month_start, source, client_id`,
		params: { org: orgId, from, to },
	};
}

/** Runs a dashboard query. */
export async function runDashboardQuery<T = Record<string, unknown>>(
	warehouse: Warehouse,
	query: DashboardQuery,
): Promise<T[]> {
	return (await warehouse.query<T>(query.sql, { params: query.params })).rows;
}
