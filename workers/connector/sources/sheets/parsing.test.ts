import { describe, expect, test } from "bun:test";
import { classifySheetsResponse, inspectTab, isoDateToSerial, mapHeader, serialToIsoDate } from "./index.ts";

const response = (status: number, body: unknown, receivedAt = "2026-11-28T06:00:15.250Z", headers = {}) => ({
	status,
	headers: new Headers(headers),
	text: typeof body === "string" ? body : JSON.stringify(body),
	receivedAt: new Date(receivedAt),
});
const googleError = (code: number, status: string, message: string, details?: unknown[]) => ({
	error: { code, status, message, ...(details ? { details } : {}) },
});

describe("serial dates", () => {
	test("count days from 1899-12-30", () => {
		expect(serialToIsoDate(0)).toBe("1899-12-30");
		expect(serialToIsoDate(1)).toBe("1899-12-31");
		expect(serialToIsoDate(61)).toBe("1900-03-01");
		expect(serialToIsoDate(45292)).toBe("2024-01-01");
		expect(serialToIsoDate(46023.75)).toBe("2026-01-01"); // time of day dropped
		expect(isoDateToSerial("2026-11-28")).toBe(46354);
		expect(serialToIsoDate(isoDateToSerial("2028-02-29"))).toBe("2028-02-29");
		expect(() => serialToIsoDate(Number.NaN)).toThrow();
	});
});

describe("header mapping", () => {
	test("by name, case- and space-insensitive, reordered, with extra columns reported", () => {
		const mapping = mapHeader("bookings", [
			"  booking id",
			"FLIGHT_END",
			"Flight Start",
			"Client-ID",
			"DSP Line Items",
			"",
			"Booked Impressions",
			"Booked  Revenue",
			"Currency",
			"Margin %",
			"currency",
		]);
		expect(mapping.missing).toEqual([]);
		expect(mapping.columns).toMatchObject({ booking_id: 0, flight_end: 1, flight_start: 2, client_id: 3, currency: 8 });
		expect(mapping.unknown).toEqual(["Margin %"]);
		expect(mapping.duplicates).toEqual(["currency"]);
		expect(mapping.blank).toEqual([5]);
	});

	test("missing required columns are named; optional ones are not required", () => {
		expect(mapHeader("clients", ["Client ID", "Name"]).missing).toEqual(["currency"]);
		expect(mapHeader("exchange_rates", ["Date", "From", "To", "Rate"]).missing).toEqual([]);
	});
});

describe("inspectTab", () => {
	const header = ["Client ID", "Client Name", "Currency"];
	test("counts data rows of ragged ranges, skipping blank rows", () => {
		const body = {
			valueRanges: [{ range: "Clients!A1:Z1000", values: [header, ["c1", "A", "USD"], [], ["c2", "B"], ["", ""]] }],
		};
		expect(inspectTab("clients", JSON.stringify(body))).toEqual({ rows: 2, warnings: [] });
	});
	test("rejects empty ranges, missing columns and bad JSON with the reason", () => {
		expect(inspectTab("clients", JSON.stringify({ valueRanges: [{ range: "Clients!A1:Z1000" }] }))).toEqual({
			reason: "tab Clients!A1:Z1000 is empty: no header row",
		});
		const noCurrency = { valueRanges: [{ range: "Clients!A1:Z1000", values: [["Client ID", "Client Name"]] }] };
		expect(inspectTab("clients", JSON.stringify(noCurrency))).toMatchObject({
			reason: expect.stringContaining("lacks required column(s) currency"),
		});
		expect(inspectTab("clients", '{"valueRanges": [')).toEqual({ reason: "response is not JSON" });
		expect(inspectTab("clients", "{}")).toEqual({ reason: "response has no valueRanges[0].range" });
	});
});

describe("classification", () => {
	test("401 auth; 429 waits to the next minute; 5xx transient; 400/403/404 fatal", () => {
		expect(classifySheetsResponse(response(200, {})).kind).toBe("ok");
		expect(classifySheetsResponse(response(401, googleError(401, "UNAUTHENTICATED", "x"))).kind).toBe("auth");
		const quota = googleError(429, "RESOURCE_EXHAUSTED", "Quota exceeded", [{ reason: "RATE_LIMIT_EXCEEDED" }]);
		expect(classifySheetsResponse(response(429, quota))).toMatchObject({ kind: "throttled", waitMs: 44_750 });
		expect(classifySheetsResponse(response(429, quota, "2026-11-28T06:01:00.000Z"))).toMatchObject({ waitMs: 60_000 });
		expect(classifySheetsResponse(response(429, quota, undefined, { "retry-after": "7" }))).toMatchObject({
			waitMs: 7_000,
		});
		const legacy = {
			error: { code: 403, message: "Rate Limit Exceeded", errors: [{ reason: "userRateLimitExceeded" }] },
		};
		expect(classifySheetsResponse(response(403, legacy)).kind).toBe("throttled");
		expect(classifySheetsResponse(response(503, "<html>oops</html>")).kind).toBe("transient");
		expect(classifySheetsResponse(response(500, googleError(500, "INTERNAL", "x"))).kind).toBe("transient");
		const range = classifySheetsResponse(
			response(400, googleError(400, "INVALID_ARGUMENT", "Unable to parse range: X")),
		);
		expect(range).toEqual({ kind: "fatal", reason: "HTTP 400 INVALID_ARGUMENT: Unable to parse range: X" });
		expect(classifySheetsResponse(response(403, googleError(403, "PERMISSION_DENIED", "no"))).kind).toBe("fatal");
		expect(classifySheetsResponse(response(404, googleError(404, "NOT_FOUND", "no"))).kind).toBe("fatal");
	});
});
