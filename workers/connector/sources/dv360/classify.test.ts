import { describe, expect, test } from "bun:test";
import type { HttpRequest } from "../../source.ts";
import { classifyDv360, DOWNLOAD_BUCKET, msToNextPacificMidnight } from "./classify.ts";

const at = new Date("2026-11-28T06:00:20Z");
const api: HttpRequest = { method: "GET", url: "https://example/v2/queries", bucket: "bidmanager" };
const download: HttpRequest = { method: "GET", url: "https://storage/x.csv", bucket: DOWNLOAD_BUCKET, anonymous: true };
const respond = (status: number, body: unknown) => ({
	status,
	headers: new Headers(),
	text: typeof body === "string" ? body : JSON.stringify(body),
	receivedAt: at,
});
const v2 = (code: number, status: string, message = "m") => ({ error: { code, message, status } });
const legacy = (code: number, reason: string) => ({
	error: { code, message: reason, errors: [{ domain: "usageLimits", reason, message: reason }] },
});

describe("DV360 classification", () => {
	test.each([
		[200, "ok", {}],
		[401, "auth", v2(401, "UNAUTHENTICATED")],
		[400, "fatal", v2(400, "INVALID_ARGUMENT", "The request you submitted is invalid.")],
		[403, "fatal", v2(403, "PERMISSION_DENIED")],
		[404, "fatal", v2(404, "NOT_FOUND")],
		[500, "transient", v2(500, "INTERNAL")],
		[503, "transient", v2(503, "UNAVAILABLE", "Woops. We are currently having some issues.")],
		[504, "transient", v2(504, "DEADLINE_EXCEEDED")],
		[502, "transient", "<html>Bad Gateway</html>"],
	])("HTTP %i is %s", (status, kind, body) => {
		expect(classifyDv360(respond(status, body), api).kind as string).toBe(kind);
	});

	test("429 RESOURCE_EXHAUSTED and 403 userRateLimitExceeded wait for the next minute window", () => {
		for (const body of [v2(429, "RESOURCE_EXHAUSTED"), legacy(403, "userRateLimitExceeded")]) {
			const verdict = classifyDv360(respond(body.error.code, body), api);
			expect(verdict).toMatchObject({ kind: "throttled", waitMs: 40_000 });
		}
	});

	test("403 dailyLimitExceeded waits until midnight Pacific", () => {
		const verdict = classifyDv360(respond(403, legacy(403, "dailyLimitExceeded")), api);
		// 06:00:20 UTC on 28 Nov is 22:00:20 PST on the 27th: 1 h 59 min 40 s to go.
		expect(verdict).toMatchObject({ kind: "throttled", waitMs: 7_180_000 });
		expect(msToNextPacificMidnight(new Date("2026-07-01T07:00:00Z"))).toBe(86_400_000);
	});

	test("an expired signed link reaches the source; other storage errors are classified", () => {
		const expired = "<?xml version='1.0'?><Error><Code>ExpiredToken</Code><Message>expired</Message></Error>";
		expect(classifyDv360(respond(400, expired), download).kind).toBe("ok");
		expect(classifyDv360(respond(403, "<Error><Code>AccessDenied</Code></Error>"), download).kind).toBe("fatal");
		expect(classifyDv360(respond(503, "busy"), download).kind).toBe("transient");
	});
});
