import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { createGoogleTokenSimulator, createTestServiceAccount } from "../../../../simulators/google-token.ts";
import { CRM_TABS, createSheetsSimulator, sheetsSpreadsheetId } from "../../../../simulators/sheets.ts";
import { type Booking, createWorld } from "../../../../simulators/world.ts";
import { createTestClock } from "../../../../test/support/clock.ts";
import {
	type ConnectorHarness,
	createConnectorHarness,
	serveSimulator,
	testConnection,
} from "../../../../test/support/connector-harness.ts";
import type { Connection, RawPage } from "../../source.ts";
import { createSheetsSource, decodeRows, mapHeader, serialToIsoDate } from "./index.ts";

const clock = createTestClock("2026-11-28T06:00:10Z");
const world = createWorld({ days: 60 });
const google = createGoogleTokenSimulator({ now: clock.nowMs });
const sheets = createSheetsSimulator(world, { now: clock.nowMs, tokens: google.tokens });
const source = createSheetsSource();
const spreadsheetId = sheetsSpreadsheetId("acme");
const window = { from: "2026-11-21", to: "2026-11-27" };
let server: Awaited<ReturnType<typeof serveSimulator>>;
let harness: ConnectorHarness;
let connection: Connection;
let beforeFetch: (url: string) => void = () => {};

beforeAll(async () => {
	const app = new Hono();
	app.route("/google", google.app);
	app.route("/sheets", sheets.app);
	server = await serveSimulator(app);
	const account = createTestServiceAccount(`${server.url}/google/token`);
	google.register(account.clientEmail, account.publicKey);
	connection = testConnection({
		id: "conn-sheets-acme",
		orgId: "acme",
		source: "sheets",
		settings: {
			spreadsheetId,
			tabs: { clients: "Clients!A1:Z", bookings: "Bookings!A1:Z", exchangeRates: "'FX Rates'!A1:D" },
		},
		credentials: { serviceAccountKey: account.keyJson },
		baseUrls: { api: `${server.url}/sheets` },
	});
	const fetchWithHook = ((input: string, init?: RequestInit) => {
		beforeFetch(String(input));
		return fetch(input, init);
	}) as typeof fetch;
	harness = await createConnectorHarness({ clock, fetch: fetchWithHook });
});
afterAll(async () => {
	await harness.close();
	await server.stop();
});
beforeEach(() => {
	sheets.faults.reset();
	beforeFetch = () => {};
	// A fresh minute, so quota windows and breakers start clean for every test.
	clock.advance(600_000 + 10_000 - (clock.nowMs() % 60_000));
});

const run = (conn = connection) => harness.run(source, conn, window);
const streams = (pages: RawPage[]) => pages.map((p) => p.stream);

function bookingsOf(page: RawPage): Booking[] {
	const [header = [], ...rows] = JSON.parse(page.body).valueRanges[0].values;
	return decodeRows(mapHeader("bookings", header), rows).map((r) => ({
		id: String(r.booking_id),
		clientId: String(r.client_id),
		lineItems: String(r.line_items)
			.split(",")
			.map((s) => s.trim()),
		bookedImpressions: Number(r.booked_impressions),
		bookedRevenueCents: Math.round(Number(r.booked_revenue) * 100),
		currency: String(r.currency),
		flightStart: serialToIsoDate(Number(r.flight_start)),
		flightEnd: serialToIsoDate(Number(r.flight_end)),
	}));
}

describe("sheets source through the connector framework", () => {
	test("reads every configured tab in full; the bookings equal the world's; a re-run gives the same pages", async () => {
		const first = await run();
		expect(first.result.state).toBe("ok");
		expect(streams(first.pages)).toEqual(["clients", "bookings", "exchange_rates"]);
		expect(first.pages.map((p) => p.pageKey)).toEqual([
			"tab:clients:Clients!A1:Z",
			"tab:bookings:Bookings!A1:Z",
			"tab:exchange_rates:'FX Rates'!A1:D",
		]);
		const org = world.org("acme");
		expect(first.summary).toEqual({
			pages: 3,
			rows: org.clients.length + org.bookings.length + org.exchangeRates.length,
			rejected: 0,
		});
		expect(bookingsOf(first.pages[1] as RawPage)).toEqual(org.bookings);
		const fx = JSON.parse(first.pages[2]?.body ?? "").valueRanges[0].values;
		expect(serialToIsoDate(fx[1][0])).toBe(org.exchangeRates[0]?.date ?? "");
		expect(first.deadLetters).toEqual([]);
		expect(first.sleeps).toEqual([]);
		const second = await run();
		expect(second.pages.map((p) => [p.pageKey, p.body])).toEqual(first.pages.map((p) => [p.pageKey, p.body]));
		expect(second.envelopes.map((e) => e.request_id)).toEqual(first.envelopes.map((e) => e.request_id));
	});

	test("reordered, extra and duplicate columns are tolerated; a renamed or missing required column rejects the tab", async () => {
		sheets.faults.editTab(spreadsheetId, CRM_TABS.clients, (cells) => {
			for (const row of cells) row.reverse();
			cells[0]?.push("Margin %", "client id");
		});
		sheets.faults.renameHeader(spreadsheetId, CRM_TABS.bookings, "Booked Revenue", "Revenue (booked)");
		sheets.faults.dropColumn(spreadsheetId, CRM_TABS.exchangeRates, "Rate");
		const result = await run();
		expect(streams(result.pages)).toEqual(["clients"]);
		const [header = [], ...rows] = JSON.parse(result.pages[0]?.body ?? "").valueRanges[0].values;
		expect(mapHeader("clients", header)).toMatchObject({ unknown: ["Margin %"], duplicates: ["client id"] });
		expect(decodeRows(mapHeader("clients", header), rows).map((r) => [r.client_id, r.client_name, r.currency])).toEqual(
			world.org("acme").clients.map((c) => [c.id, c.name, c.currency]),
		);
		expect(result.rejected.map((r) => [r.page.stream, r.reason])).toEqual([
			["bookings", expect.stringContaining("lacks required column(s) booked_revenue")],
			["exchange_rates", expect.stringContaining("lacks required column(s) rate")],
		]);
		expect(result.deadLetters.map((d) => d.kind)).toEqual(["rejected", "rejected"]);
		expect(result.deadLetters[0]?.body).toContain("Revenue (booked)");
		expect(result.summary).toMatchObject({ pages: 1, rows: 3, rejected: 2 });
	});

	test("an expired token is refreshed and the request replayed, without spending a retry", async () => {
		let expired = false;
		beforeFetch = (url) => {
			if (url.includes("Bookings") && !expired) {
				expired = true;
				sheets.faults.expireTokens();
			}
		};
		const issued = google.tokens.issued;
		const result = await run();
		expect(expired).toBe(true);
		expect(streams(result.pages)).toEqual(["clients", "bookings", "exchange_rates"]);
		expect(google.tokens.issued).toBe(issued + 2);
		expect(result.sleeps).toEqual([]);
		expect(result.deadLetters).toEqual([]);
	});

	test("a refused grant (invalid_grant) fails each request at once: no backoff, no retries, reason in the DLQ", async () => {
		google.faults.failGrants(3);
		const result = await run();
		expect(result.sleeps).toEqual([]);
		expect(result.pages).toEqual([]);
		expect(result.deadLetters).toHaveLength(3);
		for (const letter of result.deadLetters) {
			expect(letter.reason).toContain("invalid_grant: Invalid JWT Signature.");
			expect(letter.attempts).toBe(1);
		}
	});

	test("429 RESOURCE_EXHAUSTED is waited out until the next minute, losing nothing", async () => {
		sheets.faults.exhaustQuota();
		const result = await run();
		expect(result.sleeps).toEqual([50_000]);
		expect(streams(result.pages)).toEqual(["clients", "bookings", "exchange_rates"]);
		expect(result.deadLetters).toEqual([]);

		clock.advance(10_000);
		// Someone else spends the service account's per-minute quota: the 3rd read is throttled.
		const tight = createSheetsSimulator(world, { now: clock.nowMs, tokens: google.tokens, userQuotaPerMinute: 2 });
		const tightServer = await serveSimulator(tight.app);
		try {
			const again = await run({ ...connection, id: "conn-sheets-tight", baseUrls: { api: tightServer.url } });
			expect(again.sleeps).toEqual([50_000]);
			expect(again.summary).toMatchObject({ pages: 3, rejected: 0 });
		} finally {
			await tightServer.stop();
		}
	});

	test("5xx is retried 1 s, 2 s, 4 s, then dead-lettered; the other tabs still load", async () => {
		sheets.faults.serverErrors(2);
		const recovered = await run();
		expect(recovered.sleeps).toEqual([1_000, 2_000]);
		expect(recovered.pages).toHaveLength(3);

		sheets.faults.serverErrors(4);
		const failed = await run();
		expect(failed.sleeps).toEqual([1_000, 2_000, 4_000]);
		expect(streams(failed.pages)).toEqual(["bookings", "exchange_rates"]);
		expect(failed.deadLetters).toMatchObject([{ kind: "transient", status: 503, attempts: 4 }]);
		expect(failed.deadLetters[0]?.body).toContain("UNAVAILABLE");
	});

	test("a malformed response is rejected with the raw body and the run goes on", async () => {
		sheets.faults.malformed(1);
		const result = await run();
		expect(result.rejected).toMatchObject([{ page: { stream: "clients" }, reason: "response is not JSON" }]);
		expect(result.deadLetters[0]?.body).toStartWith('{"spreadsheetId"');
		expect(streams(result.pages)).toEqual(["bookings", "exchange_rates"]);
	});

	test("not shared (403), unknown spreadsheet (404) and an unparseable range (400) go to the DLQ at once", async () => {
		const badRange = {
			...connection,
			settings: { spreadsheetId, tabs: { clients: "Clients!A1:Z", bookings: "Bookngs!A1:Z" } },
		};
		const parse = await run(badRange);
		expect(parse.deadLetters).toMatchObject([{ kind: "fatal", status: 400, attempts: 1 }]);
		expect(parse.deadLetters[0]?.reason).toContain("Unable to parse range: Bookngs!A1:Z");
		expect(streams(parse.pages)).toEqual(["clients"]);

		const missing = await run({ ...connection, settings: { ...connection.settings, spreadsheetId: "nope" } });
		expect(missing.deadLetters.map((d) => [d.kind, d.status])).toEqual([
			["fatal", 404],
			["fatal", 404],
			["fatal", 404],
		]);
		sheets.faults.notShared(spreadsheetId);
		const denied = await run();
		expect(denied.deadLetters.map((d) => d.status)).toEqual([403, 403, 403]);
		expect(denied.deadLetters[0]?.reason).toContain("PERMISSION_DENIED");
		expect(denied.sleeps).toEqual([]);
		expect(denied.pages).toEqual([]);
	});
});
