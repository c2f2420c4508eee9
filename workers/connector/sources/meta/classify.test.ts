import { describe, expect, test } from "bun:test";
import type { HttpResponse } from "../../source.ts";
import { classifyMeta } from "./classify.ts";
import { decimalToMicros, readGraphPage } from "./pages.ts";
import { parseMetaUsage } from "./usage.ts";

function response(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
	return {
		status,
		headers: new Headers(headers),
		text: typeof body === "string" ? body : JSON.stringify(body),
		receivedAt: new Date(0),
	};
}
const error = (code: number, subcode?: number, extra: Record<string, unknown> = {}) => ({
	error: { message: `(#${code}) boom`, type: "OAuthException", code, error_subcode: subcode, ...extra },
});

describe("classifyMeta", () => {
	test("throttling codes arrive as HTTP 400 and wait for the time the headers give", () => {
		const buc = {
			"x-business-use-case-usage": JSON.stringify({
				1: [{ type: "ads_insights", call_count: 104, estimated_time_to_regain_access: 19 }],
			}),
		};
		expect(classifyMeta(response(400, error(80000, 2446079), buc))).toMatchObject({
			kind: "throttled",
			waitMs: 19 * 60_000,
		});
		const account = { "x-ad-account-usage": JSON.stringify({ acc_id_util_pct: 100, reset_time_duration: 90 }) };
		expect(classifyMeta(response(400, error(17, 2446079), account))).toMatchObject({
			kind: "throttled",
			waitMs: 90_000,
		});
		expect(classifyMeta(response(400, error(613, 1487742), account))).toMatchObject({
			kind: "throttled",
			waitMs: 90_000,
		});
		for (const code of [4, 32, 80001, 80014])
			expect(classifyMeta(response(400, error(code)))).toMatchObject({ kind: "throttled", waitMs: 60_000 });
	});

	test("190 and 102 are auth; 1, 2 and 5xx are transient; 100, 10 and 2xx permissions are fatal", () => {
		for (const sub of [463, 460, 467]) expect(classifyMeta(response(400, error(190, sub))).kind).toBe("auth");
		expect(classifyMeta(response(401, error(102))).kind).toBe("auth");
		expect(classifyMeta(response(500, error(1, 99))).kind).toBe("transient");
		expect(classifyMeta(response(400, error(2, undefined, { is_transient: true }))).kind).toBe("transient");
		expect(classifyMeta(response(503, "Service Unavailable")).kind).toBe("transient");
		expect(classifyMeta(response(502, "<html>")).kind).toBe("transient");
		expect(classifyMeta(response(400, error(100, 1504018))).kind).toBe("transient");
		expect(classifyMeta(response(400, error(100))).kind).toBe("fatal");
		expect(classifyMeta(response(500, error(100))).kind).toBe("fatal");
		expect(classifyMeta(response(403, error(200))).kind).toBe("fatal");
		expect(classifyMeta(response(400, error(10))).kind).toBe("fatal");
		expect(classifyMeta(response(400, error(2601))).kind).toBe("fatal");
		expect(classifyMeta(response(404, "not found")).kind).toBe("fatal");
		expect(classifyMeta(response(200, "{not json")).kind).toBe("ok");
	});
});

describe("usage and pages", () => {
	test("the highest usage of every header counts, unparsable headers count as 0", () => {
		const usage = parseMetaUsage(
			new Headers({
				"x-app-usage": JSON.stringify({ call_count: 12, total_cputime: 3, total_time: 40 }),
				"x-ad-account-usage": "not json",
				"x-business-use-case-usage": JSON.stringify({ 9: [{ type: "ads_management", call_count: 96, total_time: 1 }] }),
			}),
		);
		expect(usage).toEqual({ maxPct: 96, regainMs: 0, resetMs: 0 });
	});

	test("paging is cut from the body without touching the data bytes", () => {
		const text =
			'{"data":[{"spend":"5339.50","name":"Caf\\u00e9"}],"paging":{"cursors":{"after":"x"},"next":"https://g/v1/1/insights?after=x"}}';
		const page = readGraphPage(text);
		expect(page).toMatchObject({ ok: true, next: "https://g/v1/1/insights?after=x" });
		if (page.ok) expect(page.body).toBe('{"data":[{"spend":"5339.50","name":"Caf\\u00e9"}]}');
		expect(readGraphPage('{"data":[],"paging":{"cursors":{}},"summary":{}}')).toMatchObject({
			body: '{"data":[],"summary":{}}',
			next: null,
		});
		expect(readGraphPage('{"error":{}}')).toMatchObject({ ok: false });
	});

	test("decimal strings become micros exactly", () => {
		expect(decimalToMicros("5339.5")).toBe(5_339_500_000n);
		expect(decimalToMicros("0.01")).toBe(10_000n);
		expect(decimalToMicros("12")).toBe(12_000_000n);
	});
});
