/**
 * The ObjectStore port: a flat key space of immutable-ish blobs. Adapters: a
 * local directory and S3 (any S3-compatible store). Keys are relative,
 * slash-separated, with no "." or ".." segments; a bad key is a
 * ValidationError. Commits elsewhere must not rely on conditional writes
 * (s3rver does not honour them), so this port offers none.
 */

export interface ObjectInfo {
	key: string;
	size: number;
	lastModified: Date;
	etag?: string;
}

export type ObjectBody = string | Uint8Array | ReadableStream<Uint8Array>;

export interface PutOptions {
	contentType?: string;
}

export interface ObjectStore {
	/** Writes the whole object; large bodies go up in parts (S3 multipart). */
	put(key: string, body: ObjectBody, options?: PutOptions): Promise<ObjectInfo>;
	/**
	 * Writes the object from a local file, which the store may take over (the
	 * caller must not use the file afterwards). Optional: a store on the same
	 * filesystem moves the file instead of copying it.
	 */
	putFile?(key: string, localPath: string, options?: PutOptions): Promise<ObjectInfo>;
	/** Streams the object. NotFoundError when absent. */
	get(key: string): Promise<ReadableStream<Uint8Array>>;
	/** Reads the whole object into memory. NotFoundError when absent. */
	getBytes(key: string): Promise<Uint8Array>;
	/** Metadata, or null when absent. */
	head(key: string): Promise<ObjectInfo | null>;
	/** Every object whose key starts with `prefix`, in key order. */
	list(prefix: string): AsyncIterable<ObjectInfo>;
	/** Removes the object; absent is not an error. */
	delete(key: string): Promise<void>;
	close(): Promise<void>;
}
