import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { testNamespace, waitFor } from "../../test/support/namespace.ts";
import { AdapterError, NotFoundError } from "../errors.ts";
import { createLocalObjectStore } from "./local.ts";
import { objectstoreContract } from "./objectstore.contract.ts";
import type { ObjectStore } from "./port.ts";

objectstoreContract("local directory", async () => {
	const namespace = testNamespace("objectstore-local");
	return {
		store: createLocalObjectStore({ root: join(namespace.dir, "root") }),
		cleanup: async () => namespace.cleanup(),
	};
});

async function keysOf(store: ObjectStore, prefix: string): Promise<string[]> {
	const keys: string[] = [];
	for await (const info of store.list(prefix)) keys.push(info.key);
	return keys;
}

describe("local object store specifics", () => {
	const namespace = testNamespace("objectstore-local-x");
	const root = join(namespace.dir, "root");
	let store: ObjectStore;

	beforeAll(() => {
		store = createLocalObjectStore({ root });
	});
	afterAll(() => namespace.cleanup());

	test("an empty store whose root does not exist yet lists nothing", async () => {
		expect(await keysOf(createLocalObjectStore({ root: join(namespace.dir, "not-yet") }), "")).toEqual([]);
	});

	test("bad keys never reach outside the root", async () => {
		for (const key of ["../escaped", "a/../../escaped", "/tmp/escaped"]) {
			await expect(store.put(key, "x")).rejects.toThrow("Invalid object key");
		}
		expect(readdirSync(namespace.dir)).not.toContain("escaped");
	});

	test("delete removes emptied folders up to, not including, the root", async () => {
		await store.put("prune/a/b/c.txt", "x");
		await store.put("prune/keep.txt", "y");
		await store.delete("prune/a/b/c.txt");
		expect(existsSync(join(root, "prune", "a"))).toBe(false);
		expect(existsSync(join(root, "prune", "keep.txt"))).toBe(true);
		await store.delete("prune/keep.txt");
		expect(existsSync(join(root, "prune"))).toBe(false);
		expect(existsSync(root)).toBe(true);
	});

	test("orders keys by bytes where folder order differs (a-b, a.txt before a/...)", async () => {
		for (const key of ["ord/a/x", "ord/a.txt", "ord/a-b", "ord/a0", "ord/é", "ord/z"]) await store.put(key, "x");
		expect(await keysOf(store, "ord/")).toEqual(["ord/a-b", "ord/a.txt", "ord/a/x", "ord/a0", "ord/z", "ord/é"]);
		expect(await keysOf(store, "ord/a")).toEqual(["ord/a-b", "ord/a.txt", "ord/a/x", "ord/a0"]);
		expect(await keysOf(store, "ord/a/")).toEqual(["ord/a/x"]);
	});

	test("a reader that opened an object keeps that version while a put replaces it", async () => {
		const first = new Uint8Array(300_000).fill(1);
		await store.put("snap/obj", first);
		const reader = (await store.get("snap/obj")).getReader();
		const head = await reader.read();
		await store.put("snap/obj", new Uint8Array(10).fill(2));
		let total = head.value?.length ?? 0;
		for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
			expect(chunk.value.every((byte) => byte === 1)).toBe(true);
			total += chunk.value.length;
		}
		expect(total).toBe(first.length);
		expect((await store.getBytes("snap/obj")).length).toBe(10);
	});

	test("a key that is also another key's folder is a non-retriable AdapterError", async () => {
		await store.put("clash/a", "file");
		const error = await store.put("clash/a/b", "x").catch((e: unknown) => e);
		expect(error).toBeInstanceOf(AdapterError);
		expect((error as AdapterError).retriable).toBe(false);
		expect((error as AdapterError).context.key).toBe("clash/a/b");
		expect(await keysOf(store, "clash/")).toEqual(["clash/a"]);
	});

	test("putFile moves a local file into place, replacing an older object, and collides like put", async () => {
		const source = join(namespace.dir, "scratch", "part.parquet");
		mkdirSync(dirname(source), { recursive: true });
		writeFileSync(source, "first");
		const info = await store.putFile?.("moved/a/part.parquet", source);
		expect(info?.size).toBe(5);
		expect(existsSync(source)).toBe(false);
		writeFileSync(source, "second!");
		await store.putFile?.("moved/a/part.parquet", source);
		expect(new TextDecoder().decode(await store.getBytes("moved/a/part.parquet"))).toBe("second!");
		writeFileSync(source, "x");
		const error = await store.putFile?.("moved/a/part.parquet/b", source).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(AdapterError);
		expect(await keysOf(store, "moved/")).toEqual(["moved/a/part.parquet"]);
	});

	test("a process killed mid-put leaves no object, only a temp file that list ignores", async () => {
		// A real crash: another process starts a put whose body never ends, and is SIGKILLed.
		const script = `
			import { createLocalObjectStore } from ${JSON.stringify(join(import.meta.dir, "local.ts"))};
			const store = createLocalObjectStore({ root: ${JSON.stringify(root)} });
			setInterval(() => {}, 1000);
			store.put("crash/obj", new ReadableStream({ start(c) { c.enqueue(new Uint8Array(4096).fill(7)); } }));
		`;
		const child = Bun.spawn([process.execPath, "-e", script], { stdout: "ignore", stderr: "inherit" });
		try {
			await waitFor(
				() => {
					const dir = join(root, "crash");
					const names = existsSync(dir) ? readdirSync(dir) : [];
					return names.length === 1 && statSync(join(dir, names[0] as string)).size === 4096;
				},
				{ what: "the child's partial object" },
			);
		} finally {
			child.kill("SIGKILL");
			await child.exited;
		}
		expect(readdirSync(join(root, "crash"))).toHaveLength(1); // the temp file stays behind
		expect(await store.head("crash/obj")).toBeNull();
		expect(await keysOf(store, "")).not.toContain("crash/obj");
		await expect(store.get("crash/obj")).rejects.toBeInstanceOf(NotFoundError);
		await store.put("crash/obj", "whole");
		expect(await keysOf(store, "crash/")).toEqual(["crash/obj"]);
	});
});
