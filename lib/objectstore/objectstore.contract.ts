import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { NotFoundError, ValidationError } from "../errors.ts";
import type { ObjectInfo, ObjectStore } from "./port.ts";

export interface ContractSetup {
	store: ObjectStore;
	cleanup(): Promise<void>;
}

const MIB = 1024 * 1024;
const encoder = new TextEncoder();

async function collect(iterable: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
	const out: ObjectInfo[] = [];
	for await (const info of iterable) out.push(info);
	return out;
}

async function keysOf(store: ObjectStore, prefix: string): Promise<string[]> {
	return (await collect(store.list(prefix))).map((info) => info.key);
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
	return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Deterministic, non-repeating-looking bytes, so a misplaced part shows up as a mismatch. */
function patternBytes(size: number, seed: number): Uint8Array {
	const bytes = new Uint8Array(size);
	let x = seed >>> 0 || 1;
	for (let i = 0; i < size; i++) {
		x ^= x << 13;
		x ^= x >>> 17;
		x ^= x << 5;
		bytes[i] = x & 0xff;
	}
	return bytes;
}

/** A stream that hands out `bytes` in uneven chunks, as a network body would. */
function chunked(bytes: Uint8Array, chunkBytes: number): ReadableStream<Uint8Array> {
	let offset = 0;
	return new ReadableStream({
		pull(controller) {
			if (offset >= bytes.length) return controller.close();
			const size = Math.min(chunkBytes + (offset % 7), bytes.length - offset);
			controller.enqueue(bytes.slice(offset, offset + size));
			offset += size;
		},
	});
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
	try {
		await promise;
	} catch (error) {
		return error;
	}
	throw new Error("expected a rejection");
}

const BAD_KEYS = ["../x", "/abs", "a/../b", "a//b", "", "./a", "a/.", "a/", "a\\b", "a\0b", "x".repeat(1025)];

/**
 * The behaviour every ObjectStore adapter must share. `setup` gives a fresh,
 * empty store in its own namespace each call (a random prefix or temp dir);
 * the suite calls it twice to check that namespaces are isolated.
 */
export function objectstoreContract(name: string, setup: () => Promise<ContractSetup>): void {
	describe(`ObjectStore contract: ${name}`, () => {
		let store: ObjectStore;
		const cleanups: (() => Promise<void>)[] = [];

		beforeAll(async () => {
			const made = await setup();
			store = made.store;
			cleanups.push(made.cleanup);
		}, 30_000);

		afterAll(async () => {
			for (const cleanup of cleanups) await cleanup();
		});

		test("string body round trips as UTF-8, streamed and whole", async () => {
			const text = "héllo, wörld ✓\n";
			const info = await store.put("text/hello.txt", text, { contentType: "text/plain" });
			expect(info.key).toBe("text/hello.txt");
			expect(info.size).toBe(encoder.encode(text).length);
			expect(new TextDecoder().decode(await store.getBytes("text/hello.txt"))).toBe(text);
			expect(new TextDecoder().decode(await readAll(await store.get("text/hello.txt")))).toBe(text);
		});

		test("bytes body round trips, including every byte value and the empty object", async () => {
			const bytes = Uint8Array.from({ length: 512 }, (_, i) => i % 256);
			expect((await store.put("bytes/all", bytes)).size).toBe(512);
			expect(await store.getBytes("bytes/all")).toEqual(bytes);
			expect((await store.put("bytes/empty", new Uint8Array(0))).size).toBe(0);
			expect((await store.getBytes("bytes/empty")).length).toBe(0);
			expect((await store.head("bytes/empty"))?.size).toBe(0);
		});

		test("stream body round trips", async () => {
			const bytes = patternBytes(200_000, 7);
			const info = await store.put("stream/small.bin", chunked(bytes, 16_384));
			expect(info.size).toBe(bytes.length);
			expect(await readAll(await store.get("stream/small.bin"))).toEqual(bytes);
		});

		test("a ~12 MiB streamed body (several S3 parts) comes back byte for byte", async () => {
			const bytes = patternBytes(12 * MIB + 12_345, 42);
			const info = await store.put("stream/large.bin", chunked(bytes, 256 * 1024));
			expect(info.size).toBe(bytes.length);
			const back = await readAll(await store.get("stream/large.bin"));
			expect(back.length).toBe(bytes.length);
			expect(Buffer.from(back).equals(Buffer.from(bytes))).toBe(true);
			expect((await store.getBytes("stream/large.bin")).length).toBe(bytes.length);
			await store.delete("stream/large.bin");
		}, 30_000); // ~0.4 s alone; room for a busy 2-core machine

		test("head gives size and a current lastModified, and null when absent", async () => {
			// S3 keeps whole seconds and clocks may differ a little: allow a margin.
			const before = Date.now() - 120_000;
			await store.put("head/one", "12345");
			const info = await store.head("head/one");
			expect(info?.key).toBe("head/one");
			expect(info?.size).toBe(5);
			expect(info?.lastModified).toBeInstanceOf(Date);
			const modified = info?.lastModified.getTime() ?? 0;
			expect(modified).toBeGreaterThan(before);
			expect(modified).toBeLessThan(Date.now() + 120_000);
			expect(await store.head("head/absent")).toBeNull();
			expect(await store.head("head")).toBeNull(); // a "folder" of keys is not an object
		});

		test("list by prefix returns every key under it, in key order, with sizes", async () => {
			const keys = Array.from({ length: 25 }, (_, i) => `many/item-${String(i).padStart(3, "0")}`);
			// Written out of order (7 is coprime with 25, so this is a permutation).
			const shuffled = keys.map((_, i) => keys[(i * 7) % keys.length] as string);
			await Promise.all(shuffled.slice(0, 12).map((key) => store.put(key, key)));
			await Promise.all(shuffled.slice(12).map((key) => store.put(key, key)));
			await store.put("manyx/other", "x");
			await store.put("mans/other", "x");

			const listed = await collect(store.list("many/"));
			expect(listed.map((info) => info.key)).toEqual(keys);
			for (const info of listed) expect(info.size).toBe(info.key.length);
			// A prefix is a string prefix, not a folder: "many" also covers "manyx/".
			expect(await keysOf(store, "many")).toEqual([...keys, "manyx/other"]);
			expect(await keysOf(store, "many/item-01")).toEqual(keys.slice(10, 20));
			expect(await keysOf(store, "nothing-here/")).toEqual([]);
		});

		test("list orders keys by bytes across folder depths", async () => {
			const keys = ["order/b", "order/a/2", "order/z", "order/a/1", "order/m/x/y", "order/a0", "order/B"];
			for (const key of keys) await store.put(key, key);
			expect(await keysOf(store, "order/")).toEqual([
				"order/B",
				"order/a/1",
				"order/a/2",
				"order/a0",
				"order/b",
				"order/m/x/y",
				"order/z",
			]);
		});

		test("overwrite replaces the object", async () => {
			await store.put("over/k", "the first, longer version");
			const info = await store.put("over/k", "second");
			expect(info.size).toBe(6);
			expect(new TextDecoder().decode(await store.getBytes("over/k"))).toBe("second");
			expect((await store.head("over/k"))?.size).toBe(6);
			expect(await keysOf(store, "over/")).toEqual(["over/k"]);
		});

		test("delete removes the object and is idempotent", async () => {
			await store.put("del/a/b/c", "x");
			await store.put("del/keep", "y");
			await store.delete("del/a/b/c");
			expect(await store.head("del/a/b/c")).toBeNull();
			expect(await rejection(store.get("del/a/b/c"))).toBeInstanceOf(NotFoundError);
			await store.delete("del/a/b/c");
			await store.delete("del/never-was");
			await store.delete("del/a"); // a folder name, not an object
			expect(await keysOf(store, "del/")).toEqual(["del/keep"]);
		});

		test("get and getBytes of a missing key throw NotFoundError", async () => {
			const error = await rejection(store.get("missing/key"));
			expect(error).toBeInstanceOf(NotFoundError);
			expect((error as NotFoundError).retriable).toBe(false);
			expect((error as NotFoundError).context.key).toBe("missing/key");
			expect(await rejection(store.getBytes("missing/key"))).toBeInstanceOf(NotFoundError);
		});

		test("bad keys throw ValidationError on every operation and write nothing", async () => {
			const before = await keysOf(store, "");
			for (const key of BAD_KEYS) {
				const error = await rejection(store.put(key, "evil"));
				expect(error).toBeInstanceOf(ValidationError);
				expect((error as ValidationError).context.key).toBe(key);
				expect((error as Error).message).toContain("Invalid object key");
				expect(await rejection(store.get(key))).toBeInstanceOf(ValidationError);
				expect(await rejection(store.getBytes(key))).toBeInstanceOf(ValidationError);
				expect(await rejection(store.head(key))).toBeInstanceOf(ValidationError);
				expect(await rejection(store.delete(key))).toBeInstanceOf(ValidationError);
			}
			for (const prefix of ["../", "/abs", "a//", "a/../", "a\\"]) {
				expect(await rejection(collect(store.list(prefix)))).toBeInstanceOf(ValidationError);
			}
			expect(await keysOf(store, "")).toEqual(before);
		});

		test("two stores in different namespaces do not see each other's objects", async () => {
			const other = await setup();
			cleanups.push(other.cleanup);
			await store.put("iso/shared-name", "mine");
			await other.store.put("iso/shared-name", "theirs");
			await other.store.put("iso/only-theirs", "theirs");
			expect(new TextDecoder().decode(await store.getBytes("iso/shared-name"))).toBe("mine");
			expect(new TextDecoder().decode(await other.store.getBytes("iso/shared-name"))).toBe("theirs");
			expect(await keysOf(store, "iso/")).toEqual(["iso/shared-name"]);
			expect(await keysOf(other.store, "")).toEqual(["iso/only-theirs", "iso/shared-name"]);
			await other.store.delete("iso/shared-name");
			expect(await store.head("iso/shared-name")).not.toBeNull();
			await other.store.close();
		});
	});
}
