import { randomBytes } from "node:crypto";
import type { Dirent } from "node:fs";
import { type FileHandle, mkdir, open, readdir, readFile, rename, rm, rmdir, stat, unlink } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { AdapterError, NotFoundError } from "../errors.ts";
import { assertValidKey, assertValidPrefix, compareKeys } from "./keys.ts";
import type { ObjectBody, ObjectInfo, ObjectStore } from "./port.ts";

export interface LocalObjectStoreOptions {
	/** Directory holding the objects (created on first put); no default. */
	root: string;
}

// Temp files carry a backslash, which assertValidKey forbids in keys: no key
// can ever name one, so list() skips them without ambiguity, and a crash
// mid-put leaves only such a file, never a half-written object.
const TEMP_MARK = "\\partial-";
const READ_CHUNK_BYTES = 64 * 1024;
const RETRIABLE_CODES = new Set(["EAGAIN", "EBUSY", "EMFILE", "ENFILE", "EINTR"]);
// A delete pruning empty folders can remove the folder a put just made; the
// put then remakes it. Bounded so a pathological loop still ends.
const PUT_ATTEMPTS = 5;

function codeOf(error: unknown): string | undefined {
	return (error as NodeJS.ErrnoException | null)?.code;
}

/**
 * An ObjectStore in a local directory: one file per object, written to a
 * temp file in the same folder and renamed into place, so readers see the
 * old object or the new one, never part of one. A key that is also a folder
 * of other keys ("a" and "a/b") cannot exist here, unlike in S3, and
 * PutOptions.contentType is not kept.
 */
export function createLocalObjectStore(options: LocalObjectStoreOptions): ObjectStore {
	const root = resolve(options.root);
	const inside = root.endsWith(sep) ? root : root + sep; // every object path starts with this

	function pathOf(key: string): string {
		assertValidKey(key);
		const path = resolve(root, key);
		// Validation already forbids "..", "/" and "\"; this is the second lock on the door.
		if (!path.startsWith(inside))
			throw new AdapterError(`Key escapes the store root: ${key}`, { context: { root, key } });
		return path;
	}

	function adapterError(error: unknown, operation: string, key: string): AdapterError {
		const code = codeOf(error);
		return new AdapterError(`Local object store ${operation} of ${JSON.stringify(key)} failed: ${String(error)}`, {
			cause: error,
			retriable: code !== undefined && RETRIABLE_CODES.has(code),
			context: { root, key, operation, code },
		});
	}

	async function info(key: string, path: string): Promise<ObjectInfo | null> {
		try {
			const stats = await stat(path);
			return stats.isFile() ? { key, size: stats.size, lastModified: stats.mtime } : null;
		} catch (error) {
			if (codeOf(error) === "ENOENT" || codeOf(error) === "ENOTDIR") return null;
			throw adapterError(error, "head", key);
		}
	}

	async function openObject(key: string, operation: string): Promise<FileHandle> {
		const path = pathOf(key);
		try {
			const handle = await open(path, "r");
			if ((await handle.stat()).isFile()) return handle;
			await handle.close();
		} catch (error) {
			const code = codeOf(error);
			if (code !== "ENOENT" && code !== "ENOTDIR" && code !== "EISDIR") throw adapterError(error, operation, key);
		}
		throw new NotFoundError(`No object ${JSON.stringify(key)}`, { context: { root, key, operation } });
	}

	async function writeTemp(path: string, body: ObjectBody): Promise<string> {
		for (let attempt = 1; ; attempt++) {
			await mkdir(dirname(path), { recursive: true });
			const temp = `${path}${TEMP_MARK}${randomBytes(6).toString("hex")}`;
			let handle: FileHandle;
			try {
				handle = await open(temp, "wx");
			} catch (error) {
				if (codeOf(error) === "ENOENT" && attempt < PUT_ATTEMPTS) continue;
				throw error;
			}
			try {
				await writeBody(handle, body);
				// Without fsync a power cut after the rename can leave an empty object.
				await handle.sync();
				return temp;
			} catch (error) {
				await rm(temp, { force: true });
				throw error;
			} finally {
				await handle.close();
			}
		}
	}

	function putError(error: unknown, key: string): unknown {
		const code = codeOf(error);
		if (code === "ENOTDIR" || code === "EEXIST" || code === "EISDIR") {
			return new AdapterError(`Key ${JSON.stringify(key)} collides with a folder or object of another key here`, {
				cause: error,
				context: { root, key, operation: "put", code },
			});
		}
		if (code === undefined) return error; // the body stream failed: the caller's error, unchanged
		return adapterError(error, "put", key);
	}

	async function written(key: string, path: string): Promise<ObjectInfo> {
		const found = await info(key, path);
		if (!found) throw adapterError(new Error("object vanished right after put"), "put", key);
		return found;
	}

	/** Renames `from` to `path`, making its folder (again, if a delete pruned it meanwhile). */
	async function moveInto(path: string, from: string): Promise<void> {
		for (let attempt = 1; ; attempt++) {
			await mkdir(dirname(path), { recursive: true });
			try {
				await rename(from, path);
				return;
			} catch (error) {
				const missingFolder = codeOf(error) === "ENOENT" && (await exists(from));
				if (!missingFolder || attempt >= PUT_ATTEMPTS) throw error;
			}
		}
	}

	async function pruneEmptyParents(path: string): Promise<void> {
		for (let dir = dirname(path); dir.startsWith(inside); dir = dirname(dir)) {
			try {
				await rmdir(dir);
			} catch {
				return; // not empty (or already gone): the folders above are not empty either
			}
		}
	}

	async function* walk(dir: string, dirKey: string, prefix: string): AsyncGenerator<ObjectInfo> {
		let entries: Dirent[];
		try {
			entries = await readdir(dir, { withFileTypes: true });
		} catch (error) {
			if (codeOf(error) === "ENOENT" || codeOf(error) === "ENOTDIR") return;
			throw adapterError(error, "list", prefix);
		}
		// Sorting folders as "name/" against files as "name" yields the walk in
		// exact key order (S3's order), not the order readdir happens to give.
		const items = entries
			.filter((entry) => !entry.name.includes("\\") && (entry.isFile() || entry.isDirectory()))
			.map((entry) => ({ entry, key: dirKey + entry.name + (entry.isDirectory() ? "/" : "") }))
			// A folder is entered when it lies under the prefix or the prefix lies inside it.
			.filter(({ entry, key }) => key.startsWith(prefix) || (entry.isDirectory() && prefix.startsWith(key)))
			.sort((a, b) => compareKeys(a.key, b.key));
		for (const { entry, key } of items) {
			if (entry.isDirectory()) {
				yield* walk(join(dir, entry.name), key, prefix);
				continue;
			}
			const found = await info(key, join(dir, entry.name));
			if (found) yield found; // null: deleted while we walked
		}
	}

	const store: ObjectStore = {
		async put(key, body) {
			const path = pathOf(key);
			let temp: string | undefined;
			try {
				temp = await writeTemp(path, body);
				await rename(temp, path);
			} catch (error) {
				if (temp) await rm(temp, { force: true });
				throw putError(error, key);
			}
			return written(key, path);
		},

		// A rename when the file is on this filesystem: no copy, no second inode,
		// and still atomic (the file is complete and synced before it appears).
		async putFile(key, localPath, options) {
			const path = pathOf(key);
			try {
				await syncFile(localPath);
				await moveInto(path, localPath);
			} catch (error) {
				if (codeOf(error) === "EXDEV") return store.put(key, Bun.file(localPath).stream(), options);
				throw putError(error, key);
			}
			return written(key, path);
		},

		async get(key) {
			return fileStream(await openObject(key, "get"));
		},

		async getBytes(key) {
			const handle = await openObject(key, "getBytes");
			try {
				const buffer = await readFile(handle);
				return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
			} catch (error) {
				throw adapterError(error, "getBytes", key);
			} finally {
				await handle.close();
			}
		},

		async head(key) {
			return info(key, pathOf(key));
		},

		// A generator, so a bad prefix rejects the iteration like every other failure.
		async *list(prefix) {
			assertValidPrefix(prefix);
			const dirKey = prefix.slice(0, prefix.lastIndexOf("/") + 1);
			yield* walk(join(root, dirKey), dirKey, prefix);
		},

		async delete(key) {
			const path = pathOf(key);
			try {
				await unlink(path);
			} catch (error) {
				const code = codeOf(error);
				// A folder is not an object, so it is "absent" too.
				if (code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR") return;
				throw adapterError(error, "delete", key);
			}
			await pruneEmptyParents(path);
		},

		async close() {},
	};
	return store;
}

// Without fsync a power cut after the rename can leave an empty object.
async function syncFile(path: string): Promise<void> {
	const handle = await open(path, "r+");
	try {
		await handle.sync();
	} finally {
		await handle.close();
	}
}

async function exists(path: string): Promise<boolean> {
	return stat(path).then(
		() => true,
		() => false,
	);
}

async function writeBody(handle: FileHandle, body: ObjectBody): Promise<void> {
	if (typeof body === "string" || body instanceof Uint8Array) {
		await handle.writeFile(body);
		return;
	}
	for await (const chunk of body) await handle.write(chunk);
}

// A stream over an already-open handle: once get() returns, the reader holds
// that version of the object even if a put renames a new one over it.
function fileStream(handle: FileHandle): ReadableStream<Uint8Array> {
	let closed = false;
	const close = async () => {
		if (closed) return;
		closed = true;
		await handle.close();
	};
	return new ReadableStream<Uint8Array>({
		async pull(controller) {
			try {
				const buffer = new Uint8Array(READ_CHUNK_BYTES);
				const { bytesRead } = await handle.read(buffer, 0, READ_CHUNK_BYTES, null);
				if (bytesRead === 0) {
					await close();
					controller.close();
					return;
				}
				controller.enqueue(buffer.subarray(0, bytesRead));
			} catch (error) {
				await close().catch(() => {});
				controller.error(error);
			}
		},
		cancel: close,
	});
}
