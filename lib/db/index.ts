export { createDatabase, type DatabaseOptions } from "./create.ts";
export { type MigrateOptions, migrate, migrateToLatest } from "./migrate.ts";
export { appMigrations } from "./migrations/index.ts";
export type {
	AppTables,
	Database,
	DeadLettersTable,
	Dialect,
	Migration,
	MigrationResult,
} from "./port.ts";
