/**
 * A lake for tests: a local or S3 (s3rver) store, a SQLite or PostgreSQL
 * catalog in its own namespace, and DuckDB with two threads.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createDatabase, type Database } from "../../lib/db/index.ts";
import { createDuckdbEngine, type TransformEngine } from "../../lib/engine/index.ts";
import {
	type CatalogTables,
	type ColumnSpec,
	createLake,
	fileUri,
	type Lake,
	type LakeOptions,
} from "../../lib/lake/index.ts";
import { createLocalObjectStore, createS3ObjectStore, type ObjectStore } from "../../lib/objectstore/index.ts";
import type { S3TestStore } from "./s3rver.ts";

/** Columns of the table the writer processes (lake-writer.ts) append to. */
export const sharedColumns: ColumnSpec[] = [
	{ name: "org_id", type: "string", required: true },
	{ name: "report_date", type: "date", required: true },
	{ name: "row_id", type: "string", required: true },
	{ name: "writer", type: "int" },
];

export interface TestLake {
	lake: Lake;
	store: ObjectStore;
	engine: TransformEngine;
	database: Database<CatalogTables>;
	warehouseUri: string;
	/** Local directory of the warehouse (local store only). */
	root: string | null;
	close(): Promise<void>;
}

export interface TestLakeOptions {
	/** Scratch directory of this run. */
	dir: string;
	/** Random token of this run (S3 prefix, PostgreSQL schema). */
	id: string;
	/** s3rver to use instead of a local directory. */
	s3?: S3TestStore;
	/** PostgreSQL URL instead of SQLite. */
	postgresUrl?: string;
	/** SQLite file shared between processes; default `<dir>/catalog.sqlite`. */
	sqlitePath?: string;
	extra?: Partial<LakeOptions>;
}

export async function openTestLake(options: TestLakeOptions): Promise<TestLake> {
	let store: ObjectStore;
	let warehouseUri: string;
	let root: string | null = null;
	if (options.s3) {
		store = createS3ObjectStore({
			bucket: options.s3.bucket,
			endpoint: options.s3.endpoint,
			credentials: options.s3.credentials,
			prefix: options.id,
			region: "us-east-1",
		});
		warehouseUri = `s3://${options.s3.bucket}/${options.id}`;
	} else {
		root = join(options.dir, "warehouse");
		mkdirSync(root, { recursive: true });
		store = createLocalObjectStore({ root });
		warehouseUri = fileUri(root);
	}
	const database = await createDatabase<CatalogTables>(
		options.postgresUrl
			? { url: options.postgresUrl, schema: options.id, poolSize: 2 }
			: { sqlitePath: options.sqlitePath ?? join(options.dir, "catalog.sqlite") },
	);
	const engine = await createDuckdbEngine({ threads: 2, memoryLimit: "1GB" });
	const lake = await createLake({
		store,
		warehouseUri,
		database,
		engine,
		tempDir: join(options.dir, `tmp-${process.pid}`),
		...(root ? { localRoot: root } : {}),
		...options.extra,
	});
	return {
		lake,
		store,
		engine,
		database,
		warehouseUri,
		root,
		async close() {
			await engine.close();
			await database.close();
			await store.close();
		},
	};
}
