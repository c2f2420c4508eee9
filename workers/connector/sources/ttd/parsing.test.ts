import { describe, expect, test } from "bun:test";
import type { HttpRequest, HttpResponse } from "../../source.ts";
import { checkHeader, chunkWindow, classifyTtd, countDataRows, parseRetryAfter, readSettings } from "./index.ts";

const at = new Date("2026-11-28T06:00:00Z");
const api: HttpRequest = { method: "POST", url: "https://api.thetradedesk.com/v3/x", bucket: "ttd" };
const response = (status: number, text = "", headers: Record<string, string> = {}): HttpResponse => ({
	status,
	text,
	headers: new Headers(headers),
	receivedAt: at,
});

describe("classifyTtd", () => {
	test("maps TTD's statuses to the framework's policy", () => {
		expect(classifyTtd(response(200, "{}"), api).kind).toBe("ok");
		expect(classifyTtd(response(240), api).kind).toBe("transient");
		expect(classifyTtd(response(503), api).kind).toBe("transient");
		expect(classifyTtd(response(500), api).kind).toBe("transient");
		expect(classifyTtd(response(401), api).kind).toBe("auth");
		expect(classifyTtd(response(403), api).kind).toBe("auth");
		expect(classifyTtd(response(404, '{"Message":"No such thing."}'), api)).toEqual({
			kind: "fatal",
			reason: "HTTP 404: No such thing.",
		});
		expect(classifyTtd(response(429, "", { "Retry-After": "9" }), api)).toMatchObject({
			kind: "throttled",
			waitMs: 9000,
		});
		expect(classifyTtd(response(429), api)).toMatchObject({ kind: "throttled", waitMs: null });
	});

	test("a 400 is fatal with Message and ErrorDetails", () => {
		const body = JSON.stringify({
			Message: "The request failed validation.",
			ErrorDetails: [{ Property: "AdvertiserId", Reasons: ["Required.", "Must exist."] }],
		});
		expect(classifyTtd(response(400, body), api)).toEqual({
			kind: "fatal",
			reason: "HTTP 400: The request failed validation. (AdvertiserId: Required., Must exist.)",
		});
	});

	test("an expired signed download link is handed back to the source", () => {
		const download: HttpRequest = { method: "GET", url: "https://s3/x", bucket: "ttd:download", anonymous: true };
		expect(classifyTtd(response(403, "<Error/>"), download).kind).toBe("ok");
		expect(classifyTtd(response(503), download).kind).toBe("transient");
	});

	test("Retry-After as seconds or HTTP date, relative to when the response arrived", () => {
		expect(parseRetryAfter("120", at)).toBe(120_000);
		expect(parseRetryAfter(new Date(at.getTime() + 45_000).toUTCString(), at)).toBe(45_000);
		expect(parseRetryAfter(new Date(at.getTime() - 5_000).toUTCString(), at)).toBe(0);
		expect(parseRetryAfter("soon", at)).toBeNull();
		expect(parseRetryAfter(null, at)).toBeNull();
	});
});

describe("delivery CSV", () => {
	const header =
		"Date,Advertiser ID,Advertiser,Campaign ID,Campaign,Ad Group ID,Ad Group,Advertiser Currency Code,Impressions,Clicks,Advertiser Cost (Adv Currency),All Last Click + View Conversions";

	test("accepts the template header (with a BOM) and names missing columns", () => {
		expect(checkHeader(`\uFEFF${header}\r\n`)).toBeNull();
		expect(checkHeader(header.replace("Clicks", "Clicks (All)"))).toStartWith(
			'unexpected CSV header: missing "Clicks"',
		);
	});

	test("counts data rows, not the header, blank lines or newlines inside quotes", () => {
		expect(countDataRows(`${header}\r\n`)).toBe(0);
		expect(countDataRows(`${header}\r\na,b\r\nc,d\r\n\r\n`)).toBe(2);
		expect(countDataRows(`${header}\n"x, ""y""\nz",1\n2,3`)).toBe(2);
		expect(countDataRows("")).toBe(0);
	});
});

describe("windows and settings", () => {
	test("chunks an inclusive window", () => {
		expect(chunkWindow({ from: "2026-01-30", to: "2026-02-03" }, 2)).toEqual([
			{ from: "2026-01-30", to: "2026-01-31" },
			{ from: "2026-02-01", to: "2026-02-02" },
			{ from: "2026-02-03", to: "2026-02-03" },
		]);
		expect(chunkWindow({ from: "2026-06-01", to: "2026-06-07" }, 31)).toEqual([
			{ from: "2026-06-01", to: "2026-06-07" },
		]);
	});

	test("API base gets /v3 when missing; the auth URL follows it unless overridden", () => {
		const connection = (baseUrls: Record<string, string>) =>
			({ settings: {}, baseUrls }) as unknown as Parameters<typeof readSettings>[0];
		expect(readSettings(connection({})).authUrl).toBe("https://api.thetradedesk.com/v3/authentication");
		expect(readSettings(connection({ api: "http://h/ttd/" })).apiUrl).toBe("http://h/ttd/v3");
		expect(readSettings(connection({ api: "http://h/v3", token: "http://t/auth" })).authUrl).toBe("http://t/auth");
	});
});
