/**
 * Loads silver rows into gold on the Warehouse port. The rows of the silver
 * partitions a snapshot changed go into a staging table (Memory, one per
 * load, dropped after), the table's load model runs over it and its rows are
 * inserted into the ReplacingMergeTree gold table. The worker inserts the
 * rows itself (read from the lake by DuckDB) rather than having ClickHouse
 * read the Parquet: the same path works for chDB and a server, whatever
 * storage the lake is on, and one org-day of silver is small.
 */
import { randomUUID } from "node:crypto";
import { ValidationError } from "../errors.ts";
import type { SqlProject } from "../sql/index.ts";
import type { Warehouse } from "../warehouse/port.ts";
import { goldResolver, resolveNames } from "./names.ts";
import { isLoadModel, LOADS, SNAPSHOTS } from "./project.ts";
import { clickhouseColumns, silverTable } from "./schema.ts";

export interface OrgSettings {
	orgId: string;
	/** ISO 4217 code money is reported in. */
	reportingCurrency: string;
	/** IANA time zone: what "today" means for the org. */
	timezone: string;
}

export interface GoldLoader {
	/** Creates or replaces every view model (idempotent; run at start after migrations). */
	deployViews(): Promise<string[]>;
	/** Records the organisations' reporting currency and time zone (latest call wins). */
	upsertOrgs(orgs: readonly OrgSettings[]): Promise<void>;
	/** Loads silver rows of `silverTable` into its gold table; returns the gold table and the rows inserted. */
	load(silverTableName: string, rows: readonly Record<string, unknown>[]): Promise<{ goldTable: string; rows: number }>;
	/**
	 * Rebuilds the snapshot tables (gold.fct_delivery_enriched) for one org from
	 * the current gold tables and swaps the org's partition in atomically;
	 * returns the rows now there. Run after every load for that org.
	 */
	refresh(orgId: string): Promise<number>;
}

const quote = (value: string) => `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

/** A loader for `project` (the gold models) writing into `warehouse.database`. */
export function createGoldLoader(deps: { warehouse: Warehouse; project: SqlProject; now?: () => number }): GoldLoader {
	const { warehouse, project } = deps;
	const db = warehouse.database;
	const now = deps.now ?? Date.now;
	const columnsCache = new Map<string, string[]>();

	async function insertableColumns(table: string): Promise<string[]> {
		let columns = columnsCache.get(table);
		if (!columns) {
			const { rows } = await warehouse.query<{ name: string; default_kind: string }>(
				`SELECT name, default_kind FROM system.columns WHERE database = {db:String} AND table = {t:String} ORDER BY position`,
				{ params: { db, t: table } },
			);
			columns = rows.filter((r) => r.default_kind === "").map((r) => r.name);
			if (columns.length === 0) throw new ValidationError(`gold table ${db}.${table} does not exist (migrated?)`);
			columnsCache.set(table, columns);
		}
		return columns;
	}

	return {
		async deployViews() {
			const deployed: string[] = [];
			for (const model of project.order) {
				if (isLoadModel(model) || SNAPSHOTS.includes(model.relation)) continue;
				const body = resolveNames(model.body, goldResolver(db));
				await warehouse.command(`CREATE OR REPLACE VIEW ${db}.${model.relation} AS ${body}`);
				deployed.push(model.relation);
			}
			return deployed;
		},
		async upsertOrgs(orgs) {
			const version = now();
			await warehouse.insert(
				`${db}.dim_orgs`,
				orgs.map((o) => ({
					org_id: o.orgId,
					reporting_currency: o.reportingCurrency,
					timezone: o.timezone,
					version,
				})),
			);
		},
		async refresh(orgId) {
			let total = 0;
			// In dependency order: the enriched delivery reads the current bookings.
			for (const relation of project.order.map((m) => m.relation).filter((r) => SNAPSHOTS.includes(r))) {
				const body = resolveNames(project.get(`gold.${relation}`).body, goldResolver(db));
				const stage = `${db}.stage_${relation}_${randomUUID().replace(/-/g, "")}`;
				await warehouse.command(`CREATE TABLE ${stage} AS ${db}.${relation}`);
				try {
					const list = (await insertableColumns(relation)).map((c) => `\`${c}\``).join(", ");
					const where = `WHERE org_id = ${quote(orgId)}`;
					await warehouse.command(`INSERT INTO ${stage} (${list}) SELECT ${list} FROM (${body}) ${where}`);
					const { rows } = await warehouse.query<{ n: string }>(`SELECT count() AS n FROM ${stage}`);
					const count = Number(rows[0]?.n ?? 0);
					// REPLACE refuses an empty source; an org with no delivery has no partition.
					await warehouse.command(
						count > 0
							? `ALTER TABLE ${db}.${relation} REPLACE PARTITION ${quote(orgId)} FROM ${stage}`
							: `ALTER TABLE ${db}.${relation} DROP PARTITION ${quote(orgId)}`,
					);
					total += count;
				} finally {
					await warehouse.command(`DROP TABLE IF EXISTS ${stage}`);
				}
			}
			return total;
		},
		async load(silverTableName, rows) {
			const definition = silverTable(silverTableName);
			const goldTable = definition ? LOADS[definition.name] : undefined;
			if (!definition || !goldTable) throw new ValidationError(`silver table ${silverTableName} has no gold load`);
			if (rows.length === 0) return { goldTable, rows: 0 };
			const model = project.get(`gold.${goldTable}`);
			const types = clickhouseColumns(definition);
			const stage = `${db}.stage_${definition.name}_${randomUUID().replace(/-/g, "")}`;
			const names = Object.keys(types);
			await warehouse.command(
				`CREATE TABLE ${stage} (${names.map((c) => `\`${c}\` ${types[c]}`).join(", ")}) ENGINE = Memory`,
			);
			try {
				// Only the definition's columns: silver rows may carry extra ones.
				await warehouse.insert(
					stage,
					rows.map((row) => Object.fromEntries(names.map((c) => [c, row[c] ?? null]))),
				);
				const columns = await insertableColumns(goldTable);
				const list = columns.map((c) => `\`${c}\``).join(", ");
				const body = resolveNames(
					model.body,
					goldResolver(db, () => stage),
				);
				await warehouse.command(`INSERT INTO ${db}.${goldTable} (${list}) SELECT ${list} FROM (${body})`);
				const { rows: counted } = await warehouse.query<{ n: string }>(`SELECT count() AS n FROM (${body})`);
				return { goldTable, rows: Number(counted[0]?.n ?? 0) };
			} finally {
				await warehouse.command(`DROP TABLE IF EXISTS ${stage}`);
			}
		},
	};
}
