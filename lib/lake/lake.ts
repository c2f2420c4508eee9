/**
 * The lake: Iceberg v2 tables under `<warehouse>/<layer>/<table>/`, committed
 * through the SQL catalog, data written and read by DuckDB, objects moved
 * through the ObjectStore port (local directory or S3).
 */
import { join } from "node:path";
import type { Database } from "../db/index.ts";
import type { TransformEngine } from "../engine/index.ts";
import { ValidationError } from "../errors.ts";
import type { ObjectStore } from "../objectstore/index.ts";
import type { CatalogTables, TableIdent } from "./catalog.ts";
import { createSqlCatalog, migrateCatalog } from "./catalog.ts";
import type { CommitContext, CommitStep } from "./commit.ts";
import { publish, writeCandidate } from "./commit.ts";
import { createFileCache } from "./file-cache.ts";
import type { ManifestIo } from "./manifest.ts";
import { MERGE_THRESHOLD } from "./manifest-merge.ts";
import { newTableMetadata } from "./metadata.ts";
import type { PartitionColumns } from "./partition.ts";
import { buildSpec } from "./partition.ts";
import { createPaths } from "./paths.ts";
import type { ColumnSpec } from "./schema.ts";
import { assertColumnSpec } from "./schema.ts";
import { createLakeTable, type LakeTable } from "./table.ts";
import type { IcebergSchema, TableMetadata } from "./types.ts";

export type Layer = "bronze" | "silver";

export interface LakeOptions {
	store: ObjectStore;
	/** URI of the store's root as written into metadata: `file:///abs/dir` or `s3://bucket/prefix`. */
	warehouseUri: string;
	/** Catalog database (SQLite or PostgreSQL); the catalog migrations are applied on open. */
	database: Database<CatalogTables>;
	/** DuckDB, which writes and reads the Parquet files. */
	engine: TransformEngine;
	/** Local scratch directory (Parquet before upload, remote files cached for reads). */
	tempDir: string;
	/** Bytes the cached copies of a remote store's files may take; default 2 GiB (see file-cache.ts). */
	cacheMaxBytes?: number;
	/** The directory of a local ObjectStore, so reads open files in place; unset for S3. */
	localRoot?: string;
	/** `catalog_name` in the catalog tables; default "pacer". */
	catalogName?: string;
	/** Commit attempts against a contended table before CommitConflictError; default 50. */
	maxCommitAttempts?: number;
	/** Clock, epoch ms; default Date.now. */
	now?: () => number;
	/** Backoff sleep; default Bun.sleep. */
	sleep?: (ms: number) => Promise<void>;
	/** Manifests a snapshot may carry before a commit merges those of one organisation; default 100. */
	mergeManifestsAbove?: number;
	/** Test hook called at named points of every commit. */
	onCommitStep?: (step: CommitStep) => void | Promise<void>;
}

export interface TableDefinition {
	layer: Layer;
	name: string;
	columns: ColumnSpec[];
	/** The organisation (string) and report date (date) columns; both required. */
	partitionBy: PartitionColumns;
	properties?: Record<string, string>;
}

export interface Lake {
	readonly warehouseUri: string;
	/** Creates the table; ValidationError if it exists. */
	createTable(definition: TableDefinition): Promise<LakeTable>;
	/** Opens a table; NotFoundError if absent. */
	loadTable(layer: Layer, name: string): Promise<LakeTable>;
	listTables(layer: Layer): Promise<string[]>;
}

const TABLE_NAME = /^[a-z][a-z0-9_]{0,62}$/;

/** Opens the lake and migrates its catalog. */
export async function createLake(options: LakeOptions): Promise<Lake> {
	await migrateCatalog(options.database);
	const catalog = createSqlCatalog(options.database, options.catalogName);
	const paths = createPaths(options.warehouseUri);
	const io: ManifestIo = { store: options.store, paths, cache: new Map() };
	const metadataCache = new Map<string, TableMetadata>();

	const context = (ident: TableIdent): CommitContext => ({
		catalog,
		store: options.store,
		paths,
		io,
		ident,
		tableKey: `${ident.namespace}/${ident.name}`,
		now: options.now ?? Date.now,
		sleep: options.sleep ?? ((ms) => Bun.sleep(ms)),
		maxAttempts: options.maxCommitAttempts ?? 50,
		metadataCache,
		mergeManifestsAbove: options.mergeManifestsAbove ?? MERGE_THRESHOLD,
		onStep: options.onCommitStep,
	});
	const cache = createFileCache({
		dir: join(options.tempDir, "cache"),
		maxBytes: options.cacheMaxBytes ?? 2 * 1024 ** 3,
	});
	const open = (ident: TableIdent) =>
		createLakeTable({
			ctx: context(ident),
			engine: options.engine,
			tempDir: options.tempDir,
			access: { store: options.store, paths, localRoot: options.localRoot, cache },
		});

	return {
		warehouseUri: paths.warehouseUri,
		async createTable(definition) {
			if (!TABLE_NAME.test(definition.name)) {
				throw new ValidationError(`Table name "${definition.name}" must match ${TABLE_NAME}`);
			}
			const ident = { namespace: definition.layer, name: definition.name };
			definition.columns.forEach(assertColumnSpec);
			const names = new Set(definition.columns.map((c) => c.name));
			if (names.size !== definition.columns.length) throw new ValidationError("Column names must be unique");
			const schema: IcebergSchema = {
				type: "struct",
				"schema-id": 0,
				fields: definition.columns.map((c, i) => ({
					id: i + 1,
					name: c.name,
					required: c.required ?? false,
					type: c.type,
					...(c.doc ? { doc: c.doc } : {}),
				})),
			};
			const spec = buildSpec(schema, definition.partitionBy);
			const ctx = context(ident);
			// Never reuse a location (readers cache by path): a leftover folder means a dropped or failed table.
			for await (const _ of options.store.list(`${ctx.tableKey}/metadata/`)) {
				throw new ValidationError(`Location of ${ident.namespace}.${ident.name} is not empty`, {
					context: { ...ident },
				});
			}
			const metadata = newTableMetadata({
				location: paths.uri(ctx.tableKey),
				schema,
				spec,
				properties: definition.properties ?? {},
				nowMs: ctx.now(),
			});
			const candidate = await writeCandidate(ctx, metadata);
			if (!(await catalog.create(ident, candidate.location))) {
				await options.store.delete(paths.key(candidate.location));
				throw new ValidationError(`Lake table ${ident.namespace}.${ident.name} already exists`, {
					context: { ...ident },
				});
			}
			await publish(ctx, { location: candidate.location, metadata }, candidate.text);
			return open(ident);
		},
		async loadTable(layer, name) {
			const ident = { namespace: layer, name };
			await catalog.load(ident);
			return open(ident);
		},
		listTables: (layer) => catalog.list(layer),
	};
}
