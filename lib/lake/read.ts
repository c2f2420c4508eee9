/**
 * Reading planned files through DuckDB. Columns are mapped by Parquet field
 * id to the read schema (`read_parquet(..., schema = MAP {...})`), so files
 * written before a column was added read it as NULL and files written before
 * a type was widened read as the wider type.
 */
import { join } from "node:path";
import type { ObjectStore } from "../objectstore/index.ts";
import type { FileCache } from "./file-cache.ts";
import type { Paths } from "./paths.ts";
import { duckdbType } from "./schema.ts";
import { sqlString } from "./stats.ts";
import type { IcebergSchema, LiveFile } from "./types.ts";

export interface FileAccess {
	store: ObjectStore;
	paths: Paths;
	/** Directory of the local ObjectStore, when it is one: files are read in place. */
	localRoot?: string;
	/** Where files of a remote store are copied for DuckDB (data files are immutable). */
	cache: FileCache;
}

/** A local path DuckDB can open for a data file URI, downloading it first from a remote store. */
export async function localPath(access: FileAccess, uri: string): Promise<string> {
	const key = access.paths.key(uri);
	if (access.localRoot) return join(access.localRoot, key);
	return access.cache.path(key, () => access.store.getBytes(key));
}

/** A DuckDB relation (table expression) over the files with the given schema. */
export async function relationSql(
	access: FileAccess,
	schema: IcebergSchema,
	files: readonly LiveFile[],
): Promise<string> {
	const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
	if (files.length === 0) {
		const columns = schema.fields.map((f) => `CAST(NULL AS ${duckdbType(f.type)}) AS ${ident(f.name)}`).join(", ");
		return `(SELECT ${columns} WHERE false)`;
	}
	const paths = await Promise.all(files.map((f) => localPath(access, f.dataFile.file_path)));
	const mapping = schema.fields
		.map((f) => `${f.id}: {name: ${sqlString(f.name)}, type: ${sqlString(duckdbType(f.type))}, default_value: NULL}`)
		.join(", ");
	return `read_parquet([${paths.map(sqlString).join(", ")}], schema = MAP {${mapping}})`;
}
