import { beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { createTestClock } from "../test/support/clock.ts";
import { createGoogleServiceAccountAuth } from "../workers/connector/auth/google-service-account.ts";
import { createGoogleTokenSimulator, createTestServiceAccount } from "./google-token.ts";
import { createSheetsSimulator, sheetsSpreadsheetId } from "./sheets.ts";
import { parseA1 } from "./sheets-a1.ts";
import { createWorld } from "./world.ts";

const clock = createTestClock("2026-11-28T06:00:10Z");
const world = createWorld({ days: 60 });
const google = createGoogleTokenSimulator({ now: clock.nowMs });
const sim = createSheetsSimulator(world, { now: clock.nowMs, tokens: google.tokens });
const id = sheetsSpreadsheetId("acme");
const account = createTestServiceAccount("http://google.test/token");
google.register(account.clientEmail, account.publicKey);
const auth = createGoogleServiceAccountAuth({
	keyJson: account.keyJson as never,
	scopes: ["https://www.googleapis.com/auth/spreadsheets.readonly"],
	fetch: ((input: string, init?: RequestInit) => google.app.request(input, init)) as typeof fetch,
	now: clock.now,
});
let headers: Record<string, string>;

async function get(path: string, query: Record<string, string | string[]> = {}) {
	const params = new URLSearchParams();
	for (const [k, v] of Object.entries(query)) for (const one of [v].flat()) params.append(k, one);
	const response = await sim.app.request(`http://sheets.test/sheets${path}?${params}`, { headers });
	return {
		status: response.status,
		headers: response.headers,
		text: await response.clone().text(),
		json: await response.json(),
	};
}
const batchGet = (ranges: string | string[], extra: Record<string, string> = {}) =>
	get(`/v4/spreadsheets/${id}/values:batchGet`, {
		ranges,
		majorDimension: "ROWS",
		valueRenderOption: "UNFORMATTED_VALUE",
		dateTimeRenderOption: "SERIAL_NUMBER",
		...extra,
	});

beforeAll(async () => {
	headers = await auth.headers();
});
beforeEach(() => sim.faults.reset());

describe("sheets simulator: values", () => {
	test("batchGet echoes each whole range, with ragged rows, blank rows and serial dates", async () => {
		const { status, json } = await batchGet(["Clients!A1:Z", "Bookings!A1:Z", "'FX Rates'!A1:D"]);
		expect(status).toBe(200);
		const [clients, bookings, fx] = json.valueRanges;
		expect(clients.range).toBe("Clients!A1:Z1000");
		expect(clients.values[0]).toEqual(["Client ID", "Client Name", "Account Manager", "Currency"]);
		expect(clients.values[2][2]).toBe(""); // an empty cell inside a row
		const lengths = new Set(bookings.values.map((r: unknown[]) => r.length));
		expect(lengths).toEqual(new Set([0, 8, 9])); // blank spacer row, rows without Notes, rows with Notes
		const first = world.org("acme").bookings[0];
		expect(bookings.values[1].slice(0, 4)).toEqual([
			first?.id,
			first?.clientId,
			first?.lineItems.join(", "),
			first?.bookedImpressions,
		]);
		expect(typeof bookings.values[1][6]).toBe("number");
		expect(fx.range).toBe("'FX Rates'!A1:D1000");
		expect(fx.values).toHaveLength(61);
		expect(fx.values[1]).toEqual([
			46023,
			world.org("acme").exchangeRates[0]?.from,
			"USD",
			Number(world.org("acme").exchangeRates[0]?.rate),
		]);
	});

	test("FORMATTED_VALUE gives display strings; FORMATTED_STRING dates; COLUMNS transposes", async () => {
		const formatted = (await batchGet("Bookings!D2:H2", { valueRenderOption: "FORMATTED_VALUE" })).json.valueRanges[0];
		expect(formatted.values[0][0]).toMatch(/^\d{1,3}(,\d{3})+$/);
		expect(formatted.values[0][1]).toMatch(/^[\d,]+\.\d\d$/);
		expect(formatted.values[0][3]).toMatch(/^\d{1,2}\/\d{1,2}\/2026$/);
		const dates = (await batchGet("'FX Rates'!A2:A3", { dateTimeRenderOption: "FORMATTED_STRING" })).json
			.valueRanges[0];
		expect(dates.values).toEqual([["1/1/2026"], ["1/2/2026"]]);
		const columns = (await batchGet("Clients!A1:B2", { majorDimension: "COLUMNS" })).json.valueRanges[0];
		expect(columns).toMatchObject({
			majorDimension: "COLUMNS",
			values: [
				["Client ID", "acme-client-1"],
				["Client Name", expect.any(String)],
			],
		});
	});

	test("an all-empty range has no values key; the single-range endpoint and metadata work", async () => {
		const empty = (await batchGet("Clients!A500:Z600")).json.valueRanges[0];
		expect(empty).toEqual({ range: "Clients!A500:Z600", majorDimension: "ROWS" });
		const one = await get(`/v4/spreadsheets/${id}/values/${encodeURIComponent("Clients!A1:A2")}`);
		expect(one.json).toEqual({
			range: "Clients!A1:A2",
			majorDimension: "ROWS",
			values: [["Client ID"], ["acme-client-1"]],
		});
		const meta = await get(`/v4/spreadsheets/${id}`);
		expect(meta.json.sheets.map((s: { properties: { title: string } }) => s.properties.title)).toEqual([
			"Clients",
			"Bookings",
			"FX Rates",
		]);
	});

	test("A1 parsing", () => {
		expect(parseA1("'Bob''s tab'!B3")).toEqual({ sheet: "Bob's tab", startRow: 3, startCol: 2, endRow: 3, endCol: 2 });
		expect(parseA1("Clients!A:D")).toEqual({ sheet: "Clients", startRow: 1, startCol: 1, endRow: null, endCol: 4 });
		expect(parseA1("Clients!2:10")).toEqual({ sheet: "Clients", startRow: 2, startCol: 1, endRow: 10, endCol: null });
		expect(parseA1("AA1:AB2")).toMatchObject({ sheet: null, startCol: 27, endCol: 28 });
		expect(parseA1("Clients!A1:B2:C3")).toBeNull();
	});
});

describe("sheets simulator: errors and faults", () => {
	test("bad ranges are 400 INVALID_ARGUMENT; unknown spreadsheet 404; not shared 403", async () => {
		expect(await batchGet("Nope!A1:B")).toMatchObject({
			status: 400,
			json: { error: { status: "INVALID_ARGUMENT", message: "Unable to parse range: Nope!A1:B" } },
		});
		expect((await batchGet("Clients!A1:Z5000")).json.error.message).toContain("exceeds grid limits. Max rows: 1000");
		expect((await get("/v4/spreadsheets/nope/values:batchGet", { ranges: "Clients!A1" })).status).toBe(404);
		sim.faults.notShared(id);
		expect(await batchGet("Clients!A1:Z")).toMatchObject({
			status: 403,
			json: { error: { status: "PERMISSION_DENIED" } },
		});
	});

	test("60 reads per minute per user, then 429 RESOURCE_EXHAUSTED without Retry-After until the next minute", async () => {
		clock.advance(60_000 - (clock.nowMs() % 60_000)); // a fresh minute
		for (let i = 0; i < 60; i++) expect((await batchGet("Clients!A1:A1")).status).toBe(200);
		const throttled = await batchGet("Clients!A1:A1");
		expect(throttled).toMatchObject({ status: 429, json: { error: { code: 429, status: "RESOURCE_EXHAUSTED" } } });
		expect(throttled.json.error.details[0].reason).toBe("RATE_LIMIT_EXCEEDED");
		expect(throttled.headers.get("retry-after")).toBeNull();
		clock.advance(60_000);
		expect((await batchGet("Clients!A1:A1")).status).toBe(200);
		sim.faults.exhaustQuota();
		expect((await batchGet("Clients!A1:A1")).status).toBe(429);
		clock.advance(60_000);
	});

	test("5xx N times, malformed bodies, header drift, expired tokens", async () => {
		sim.faults.serverErrors(2);
		expect((await batchGet("Clients!A1")).status).toBe(503);
		expect((await batchGet("Clients!A1")).json.error.status).toBe("UNAVAILABLE");
		expect((await batchGet("Clients!A1")).status).toBe(200);
		sim.faults.malformed(1);
		const bad = await sim.app.request(`http://x/v4/spreadsheets/${id}/values:batchGet?ranges=Clients!A1:Z`, {
			headers,
		});
		expect(bad.status).toBe(200);
		const text = await bad.text();
		expect(text.startsWith('{"spreadsheetId"')).toBe(true);
		expect(() => JSON.parse(text)).toThrow();
		sim.faults.renameHeader(id, "Bookings", "Booked Revenue", "Revenue (booked)");
		sim.faults.dropColumn(id, "Bookings", "Flight End");
		expect((await batchGet("Bookings!1:1")).json.valueRanges[0].values[0]).toEqual([
			"Booking ID",
			"Client ID",
			"DSP Line Items",
			"Booked Impressions",
			"Revenue (booked)",
			"Currency",
			"Flight Start",
			"Notes",
		]);
		sim.faults.expireTokens();
		expect(await batchGet("Clients!A1")).toMatchObject({ status: 401, json: { error: { status: "UNAUTHENTICATED" } } });
		await auth.refresh();
		headers = await auth.headers();
		expect((await batchGet("Clients!A1")).status).toBe(200);
	});
});
