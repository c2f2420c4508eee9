export {
	type Catalog,
	type CatalogTables,
	CommitConflictError,
	catalogMigrations,
	createSqlCatalog,
	migrateCatalog,
} from "./catalog.ts";
export type { CommitStep } from "./commit.ts";
export { createLake, type Lake, type LakeOptions, type Layer, type TableDefinition } from "./lake.ts";
export type { PartitionFilter } from "./partition.ts";
export { fileUri } from "./paths.ts";
export type { ColumnRange, ScanOptions, ScanPlan } from "./scan.ts";
export type { ColumnSpec } from "./schema.ts";
export {
	type CommitSummary,
	type CompactOptions,
	type LakeTable,
	RETENTION_PROPERTY,
	type ReadOptions,
	type SnapshotInfo,
} from "./table.ts";
export type { DataFile, LiveFile, PrimitiveType, Snapshot, SnapshotId, TableMetadata } from "./types.ts";
export type { RowSource } from "./write.ts";
