import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDuckdbEngine } from "../../lib/engine/duckdb.ts";
import type { TransformEngine } from "../../lib/engine/port.ts";
import { SQL_ROOT } from "./boot.ts";
import { bronzeBatch, type LandedPage, loadBronzeTransform, QUARANTINE, RAW } from "./transform.ts";

/** One batch of `pages`, added at once; its outputs stay in the engine. */
async function transformOnce(engine: TransformEngine, pages: LandedPage[], dir: string) {
	const batch = bronzeBatch(engine, loadBronzeTransform(SQL_ROOT), dir);
	await batch.add(pages);
	return batch.results();
}

const page = (requestId: string, records: string[]): LandedPage => ({
	orgId: "acme",
	source: "meta",
	stream: "delivery",
	connectionId: "c1",
	requestId,
	page: 0,
	windowFrom: "2026-03-01",
	windowTo: "2026-03-31",
	fetchedAt: "2026-04-01T06:00:00.000Z",
	fetchDate: "2026-04-01",
	pageAccount: null,
	ingestedAt: "2026-04-01T06:01:00.000Z",
	records,
});

const meta = (day: string, extra = "") => `{"account_id":"555","date_start":"${day}","spend":"1.00"${extra}}`;

describe("bronze transform staging", () => {
	let engine: TransformEngine;
	let dir: string;
	beforeAll(async () => {
		engine = await createDuckdbEngine({ threads: 1 });
		dir = mkdtempSync(join(tmpdir(), "pacer-bronze-transform-"));
	});
	afterAll(async () => {
		await engine.close();
		rmSync(dir, { recursive: true, force: true });
	});

	test("records keep their exact text and index, across pages, empty pages and whitespace", async () => {
		const pretty = `{\n  "account_id": "555",\n  "date_start": "2026-03-02",\n  "note": "a\\u001e b \\"q\\" é"\n}`;
		const pages = [
			page("r1", [meta("2026-03-01"), pretty]),
			page("r2", []),
			page("r3", [meta("2026-03-03", ',"x":"\\n"')]),
			page("r4", []),
		];
		const results = await transformOnce(engine, pages, dir);
		expect([...results.keys()].sort()).toEqual(["r1", "r2", "r3", "r4"]);
		expect(results.get("r1")).toMatchObject({ rowsIn: 2, rowsWritten: 2, dates: ["2026-03-01", "2026-03-02"] });
		expect(results.get("r2")).toMatchObject({ rowsIn: 0, rowsWritten: 0, rowsQuarantined: 0, dates: [] });
		expect(results.get("r3")).toMatchObject({ rowsIn: 1, rowsWritten: 1, dates: ["2026-03-03"] });
		const rows = await engine.all<{ request_id: string; record_index: number; record: string }>(
			`SELECT request_id, record_index, record FROM ${RAW} ORDER BY request_id, record_index`,
		);
		expect(rows).toEqual([
			{ request_id: "r1", record_index: 0, record: meta("2026-03-01") },
			{ request_id: "r1", record_index: 1, record: pretty },
			{ request_id: "r3", record_index: 0, record: meta("2026-03-03", ',"x":"\\n"') },
		]);
	});

	test("a batch added in chunks: the outputs and the results hold every chunk, a request twice is refused", async () => {
		const batch = bronzeBatch(engine, loadBronzeTransform(SQL_ROOT), dir);
		await batch.add([page("c1", [meta("2026-03-01"), "not json"])]);
		await batch.add([page("c2", [meta("2026-03-02")]), page("c3", [meta("2026-04-09")])]);
		await expect(batch.add([page("c1", [meta("2026-03-05")])])).rejects.toThrow(/each request once/);
		const results = await batch.results();
		expect([...results.keys()].sort()).toEqual(["c1", "c2", "c3"]);
		expect(results.get("c1")).toMatchObject({ rowsIn: 2, rowsWritten: 1, rowsQuarantined: 1 });
		expect(results.get("c2")).toMatchObject({ rowsIn: 1, rowsWritten: 1, dates: ["2026-03-02"] });
		expect(results.get("c3")).toMatchObject({ rowsIn: 1, rowsWritten: 0, rowsQuarantined: 1 });
		const raw = await engine.all<{ request_id: string }>(`SELECT request_id FROM ${RAW} ORDER BY request_id`);
		expect(raw.map((r) => r.request_id)).toEqual(["c1", "c2"]);
		const quarantined = await engine.all<{ request_id: string; reason: string }>(
			`SELECT request_id, reason FROM ${QUARANTINE} ORDER BY request_id`,
		);
		expect(quarantined.map((r) => [r.request_id, r.reason.split(":")[0]])).toEqual([
			["c1", "bad_record"],
			["c3", "date_out_of_range"],
		]);
		await batch.drop();
		// A new batch starts empty: only its own records.
		const next = await transformOnce(engine, [page("c1", [meta("2026-03-03")])], dir);
		expect(next.get("c1")).toMatchObject({ rowsIn: 1, rowsWritten: 1, dates: ["2026-03-03"] });
		expect(await engine.all(`SELECT request_id FROM ${RAW}`)).toHaveLength(1);
	});

	test("a record holding a raw separator is refused, not split", async () => {
		const bad = page("r5", [`{"account_id":"555","date_start":"2026-03-01"}\u001e{}`]);
		await expect(transformOnce(engine, [bad], dir)).rejects.toThrow(/raw control character/);
	});
});
