import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clearStaleScratch } from "./lake-boot.ts";

describe("pipeline scratch of earlier processes", () => {
	let root: string;
	let deadPid: number;
	beforeEach(async () => {
		root = mkdtempSync(join(tmpdir(), "pacer-scratch-"));
		const child = Bun.spawn(["true"]);
		await child.exited;
		deadPid = child.pid;
	});
	afterEach(() => rmSync(root, { recursive: true, force: true }));

	const scratch = (name: string, ageMs: number) => {
		const dir = join(root, name);
		mkdirSync(join(dir, "lake", "cache", "t"), { recursive: true });
		mkdirSync(join(dir, "lake", "write-1"), { recursive: true });
		mkdirSync(join(dir, "duckdb"), { recursive: true });
		writeFileSync(join(dir, "lake", "cache", "t", "a.parquet"), "x");
		writeFileSync(join(dir, "duckdb", "spill.block"), "x");
		const at = (Date.now() - ageMs) / 1000;
		utimesSync(dir, at, at);
		return dir;
	};

	test("a dead process's old directory goes; a recent one, a live one and other workers' stay", async () => {
		const dead = scratch(`silver-${deadPid}`, 2 * 3600_000);
		const recent = scratch(`silver-${deadPid + 1_000_000}`, 60_000);
		const live = scratch(`silver-${process.ppid}`, 2 * 3600_000);
		const other = scratch(`bronze-${deadPid}`, 2 * 3600_000);
		expect(await clearStaleScratch(root, "silver")).toEqual([`silver-${deadPid}`]);
		expect(existsSync(dead)).toBe(false);
		for (const dir of [recent, live, other]) expect(existsSync(join(dir, "duckdb", "spill.block"))).toBe(true);
	});

	test("this process's own directory (a restart with the same pid) keeps only its file cache", async () => {
		const own = scratch(`silver-${process.pid}`, 2 * 3600_000);
		expect(await clearStaleScratch(root, "silver")).toEqual([]);
		expect(existsSync(join(own, "lake", "cache", "t", "a.parquet"))).toBe(true);
		expect(existsSync(join(own, "lake", "write-1"))).toBe(false);
		expect(existsSync(join(own, "duckdb"))).toBe(false);
	});

	test("no scratch root yet is fine", async () => {
		expect(await clearStaleScratch(join(root, "absent"), "silver")).toEqual([]);
	});
});
