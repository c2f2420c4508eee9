/**
 * The gold SQL project (`sql/gold/*.sql`) and how each model is deployed:
 * - a model that reads a silver table is a load: its rows are inserted into
 *   the ReplacingMergeTree table of the same name (created by a migration);
 * - a snapshot model (SNAPSHOTS) is rebuilt per organisation after each load
 *   and swapped in whole, so it holds one row per key;
 * - every other model is a view, computed when read from those tables, so
 *   aggregates and metrics never double count.
 */
import { join } from "node:path";
import { SILVER_TABLES } from "../pipeline/silver-tables.ts";
import { loadProject, type Model, type SqlProject } from "../sql/index.ts";

/** sql/gold, resolved from this file. */
export const GOLD_SQL_DIR = join(import.meta.dir, "../../sql/gold");

/** Relations gold models read that no gold model writes: silver tables and the orgs written by the worker. */
export const GOLD_SOURCES: readonly string[] = [...SILVER_TABLES.map((t) => `silver.${t.name}`), "gold.dim_orgs"];

/** Silver table → the gold table its load model fills. */
export const LOADS: Readonly<Record<string, string>> = Object.freeze({
	delivery_daily: "fct_delivery_daily",
	campaigns: "dim_campaigns",
	line_items: "dim_line_items",
	clients: "dim_clients",
	bookings: "dim_bookings",
	exchange_rates: "dim_exchange_rates",
});

/** Models materialised as per-org snapshot tables (REPLACE PARTITION by org). */
export const SNAPSHOTS: readonly string[] = [
	"bookings_current",
	"bookings_priced",
	"fct_delivery_enriched",
	"agg_booking_daily",
];

/** Loads and validates the gold models (default directory sql/gold). */
export function loadGoldProject(dir = GOLD_SQL_DIR): SqlProject {
	return loadProject(dir, { sources: GOLD_SOURCES });
}

export function isLoadModel(model: Model): boolean {
	return model.inputs.some((input) => input.startsWith("silver."));
}

/** Gold relations that (transitively) read `goldTable`, in dependency order: what a load refreshes. */
export function dependentsOf(project: SqlProject, goldTable: string): string[] {
	const out = new Set<string>();
	const visit = (name: string) => {
		for (const consumer of project.consumers(name)) {
			if (!out.has(consumer.name)) {
				out.add(consumer.name);
				visit(consumer.name);
			}
		}
	};
	visit(`gold.${goldTable}`);
	return project.order.filter((m) => out.has(m.name)).map((m) => m.relation);
}
