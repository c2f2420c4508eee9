/**
 * The gold migrator: `sql/gold/migrations/NNNN_name.sql` applied in name
 * order on the Warehouse port and recorded in a ledger table. Like kysely's
 * Migrator it returns a result per migration and never throws, and it refuses
 * (applying nothing) when a recorded migration is missing, was edited after it
 * was applied (checksum), or a new one sorts before the last applied.
 * Statements are DDL with IF NOT EXISTS, so two processes migrating at once
 * both succeed; the ledger may then hold a name twice, which reads ignore.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Warehouse } from "../warehouse/port.ts";
import { goldResolver, resolveNames, splitStatements } from "./names.ts";

/** Where the gold migrations live (repo-relative, resolved from this file). */
export const GOLD_MIGRATIONS_DIR = join(import.meta.dir, "../../sql/gold/migrations");

export interface GoldMigration {
	name: string;
	sql: string;
	/** sha256 of the file text: an edited applied migration is refused. */
	checksum: string;
}

export interface GoldMigrationResult {
	name: string;
	status: "applied" | "failed" | "not_run";
}

export interface GoldMigrateOutcome {
	results: GoldMigrationResult[];
	/** Set when a migration failed or the set was refused. */
	error?: Error;
}

const FILE = /^\d{4}_[a-z0-9_]+\.sql$/;

/** Reads `NNNN_name.sql` files of `dir` (default GOLD_MIGRATIONS_DIR) in name order. */
export function readGoldMigrations(dir = GOLD_MIGRATIONS_DIR): GoldMigration[] {
	return readdirSync(dir)
		.filter((f) => FILE.test(f))
		.sort()
		.map((f) => {
			const sql = readFileSync(join(dir, f), "utf8");
			return { name: f.replace(/\.sql$/, ""), sql, checksum: createHash("sha256").update(sql).digest("hex") };
		});
}

/** Applies pending migrations to `warehouse.database`; ledger table default `gold_migrations`. */
export async function migrateGold(
	warehouse: Warehouse,
	options: { migrations?: GoldMigration[]; ledger?: string } = {},
): Promise<GoldMigrateOutcome> {
	const migrations = options.migrations ?? readGoldMigrations();
	const ledger = `${warehouse.database}.${options.ledger ?? "gold_migrations"}`;
	const results: GoldMigrationResult[] = [];
	try {
		await warehouse.command(
			`CREATE TABLE IF NOT EXISTS ${ledger} (name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) ENGINE = MergeTree ORDER BY name`,
		);
		const { rows } = await warehouse.query<{ name: string; checksum: string }>(
			`SELECT name, any(checksum) AS checksum FROM ${ledger} GROUP BY name ORDER BY name`,
		);
		const known = new Map(migrations.map((m) => [m.name, m]));
		const problems: string[] = [];
		for (const row of rows) {
			const m = known.get(row.name);
			if (!m) problems.push(`applied migration ${row.name} is missing`);
			else if (m.checksum !== row.checksum) problems.push(`applied migration ${row.name} was edited`);
		}
		const applied = new Set(rows.map((r) => r.name));
		const last = rows.at(-1)?.name ?? "";
		const pending = migrations.filter((m) => !applied.has(m.name));
		for (const m of pending) if (m.name < last) problems.push(`${m.name} sorts before applied ${last}`);
		if (problems.length > 0) {
			return {
				results: pending.map((m) => ({ name: m.name, status: "not_run" })),
				error: new Error(`gold migrations refused: ${problems.join("; ")}`),
			};
		}
		const resolve = goldResolver(warehouse.database);
		for (const [i, m] of pending.entries()) {
			try {
				for (const statement of splitStatements(m.sql)) await warehouse.command(resolveNames(statement, resolve));
				await warehouse.insert(ledger, [{ name: m.name, checksum: m.checksum }]);
				results.push({ name: m.name, status: "applied" });
			} catch (error) {
				results.push({ name: m.name, status: "failed" });
				for (const rest of pending.slice(i + 1)) results.push({ name: rest.name, status: "not_run" });
				return { results, error: error as Error };
			}
		}
		return { results };
	} catch (error) {
		return { results, error: error as Error };
	}
}
