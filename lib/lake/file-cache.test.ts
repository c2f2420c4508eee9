import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFileCache } from "./file-cache.ts";

const KB = 1024;

describe("lake file cache", () => {
	let dir: string;
	let clock: number;
	let downloads: string[];
	const now = () => clock;
	const source =
		(key: string, bytes = KB) =>
		async () => {
			downloads.push(key);
			return new Uint8Array(bytes).fill(key.length);
		};

	beforeEach(() => {
		dir = mkdtempSync(join(tmpdir(), "pacer-file-cache-"));
		clock = 1_000_000;
		downloads = [];
	});
	afterEach(() => rmSync(dir, { recursive: true, force: true }));

	test("a file is downloaded once, however many readers ask at the same time or later", async () => {
		const cache = createFileCache({ dir, maxBytes: 10 * KB, now });
		const paths = await Promise.all([1, 2, 3].map(() => cache.path("t/data/a.parquet", source("t/data/a.parquet"))));
		expect(new Set(paths)).toEqual(new Set([join(dir, "t/data/a.parquet")]));
		expect(await cache.path("t/data/a.parquet", source("t/data/a.parquet"))).toBe(paths[0] as string);
		expect(downloads).toEqual(["t/data/a.parquet"]);
		expect(readFileSync(paths[0] as string).byteLength).toBe(KB);
		expect(await cache.size()).toBe(KB);
	});

	test("beyond the cap the least recently used copies go, but not those used within minAgeMs", async () => {
		const cache = createFileCache({ dir, maxBytes: 3 * KB, minAgeMs: 1000, now });
		for (const key of ["a", "b", "c"]) {
			await cache.path(key, source(key));
			clock += 2000;
		}
		await cache.path("a", source("a")); // a is now the most recently used
		clock += 2000;
		await cache.path("d", source("d")); // 4 KiB: b, the least recently used, goes
		expect(existsSync(join(dir, "b"))).toBe(false);
		expect(["a", "c", "d"].every((k) => existsSync(join(dir, k)))).toBe(true);
		expect(await cache.size()).toBe(3 * KB);

		// Everything used within the last second stays, even above the cap.
		await cache.path("c", source("c"));
		await cache.path("d", source("d"));
		await cache.path("a", source("a"));
		await cache.path("e", source("e"));
		expect(["a", "c", "d", "e"].every((k) => existsSync(join(dir, k)))).toBe(true);
		expect(await cache.size()).toBe(4 * KB);
		clock += 2000;
		await cache.path("f", source("f"));
		expect(["c", "d"].some((k) => existsSync(join(dir, k)))).toBe(false);
		expect(await cache.size()).toBe(3 * KB);
		expect(downloads).toEqual(["a", "b", "c", "d", "e", "f"]);
	});

	test("copies of an earlier process are adopted oldest first, its unfinished downloads removed", async () => {
		mkdirSync(join(dir, "t"), { recursive: true });
		const old = (key: string, seconds: number) => {
			writeFileSync(join(dir, key), new Uint8Array(KB));
			utimesSync(join(dir, key), seconds, seconds);
		};
		old("t/older", 100);
		old("t/newer", 200);
		writeFileSync(join(dir, "t/x.123.abc.partial"), "half");
		const cache = createFileCache({ dir, maxBytes: 2 * KB, minAgeMs: 1000, now: () => 10_000_000 });
		expect(await cache.path("t/newer", source("t/newer"))).toBe(join(dir, "t/newer"));
		expect(existsSync(join(dir, "t/x.123.abc.partial"))).toBe(false);
		await cache.path("t/third", source("t/third"));
		expect(existsSync(join(dir, "t/older"))).toBe(false);
		expect(existsSync(join(dir, "t/newer"))).toBe(true);
		expect(downloads).toEqual(["t/third"]);
	});

	test("a copy removed behind the cache's back is downloaded again", async () => {
		const cache = createFileCache({ dir, maxBytes: 10 * KB, now });
		await cache.path("a", source("a"));
		rmSync(join(dir, "a"));
		expect(existsSync(await cache.path("a", source("a")))).toBe(true);
		expect(downloads).toEqual(["a", "a"]);
		expect(await cache.size()).toBe(KB);
	});
});
