/**
 * Maps between the absolute URIs written into Iceberg metadata
 * (`file:///abs/wh/...`, `s3://bucket/prefix/...`) and ObjectStore keys
 * (relative to the warehouse root the store was opened on).
 */
import { ValidationError } from "../errors.ts";

export interface Paths {
	/** The warehouse root URI, without a trailing slash. */
	readonly warehouseUri: string;
	uri(key: string): string;
	key(uri: string): string;
}

export function createPaths(warehouseUri: string): Paths {
	const root = warehouseUri.replace(/\/+$/, "");
	if (!/^(file:\/\/\/|s3:\/\/|s3a:\/\/|gs:\/\/|abfss:\/\/)/.test(root)) {
		throw new ValidationError(`warehouseUri must be an absolute file:/// or s3:// URI, got ${warehouseUri}`);
	}
	return {
		warehouseUri: root,
		uri: (key) => `${root}/${key}`,
		key(uri) {
			if (!uri.startsWith(`${root}/`)) {
				throw new ValidationError(`${uri} is outside the warehouse ${root}`, { context: { uri, warehouse: root } });
			}
			return uri.slice(root.length + 1);
		},
	};
}

/** `file:///abs/dir` for a local directory. */
export function fileUri(dir: string): string {
	return `file://${dir.startsWith("/") ? "" : "/"}${dir.replace(/\/+$/, "")}`;
}
