export { createGoldLedger, type GoldLedger, type LedgerEntry } from "./ledger.ts";
export { createGoldLoader, type GoldLoader, type OrgSettings } from "./loader.ts";
export {
	GOLD_MIGRATIONS_DIR,
	type GoldMigrateOutcome,
	type GoldMigration,
	type GoldMigrationResult,
	migrateGold,
	readGoldMigrations,
} from "./migrate.ts";
export { goldResolver, resolveNames, splitStatements } from "./names.ts";
export { readOrgSettings } from "./orgs.ts";
export { dependentsOf, GOLD_SOURCES, isLoadModel, LOADS, loadGoldProject } from "./project.ts";
export {
	type DashboardQuery,
	dailySeriesQuery,
	monthlyBySourceClientQuery,
	orgPacingQuery,
	runDashboardQuery,
} from "./queries.ts";
export { createLakeSilverReader, type SilverRead, type SilverReader } from "./silver-reader.ts";
