import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { decodeJwt, decodeProtectedHeader, importPKCS8, SignJWT } from "jose";
import {
	createGoogleTokenSimulator,
	createTestServiceAccount,
	type GoogleTokenSimulator,
} from "../../../simulators/google-token.ts";
import { createTestClock } from "../../../test/support/clock.ts";
import { createGoogleServiceAccountAuth, GoogleAuthError } from "./google-service-account.ts";

const SCOPE = "https://www.googleapis.com/auth/spreadsheets.readonly";
const clock = createTestClock();
let sim: GoogleTokenSimulator;
let server: ReturnType<typeof Bun.serve>;
let tokenUrl: string;
let account: ReturnType<typeof createTestServiceAccount>;
const assertions: string[] = [];

// Records the assertions sent so the test can read the JWT's claims.
const recordingFetch = (async (input: string | URL | Request, init?: RequestInit) => {
	const form = new URLSearchParams(String(init?.body ?? ""));
	assertions.push(form.get("assertion") ?? "");
	return fetch(input, init);
}) as typeof fetch;

beforeAll(() => {
	sim = createGoogleTokenSimulator({ now: clock.nowMs, tokenTtlSeconds: 3599 });
	server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => sim.app.fetch(req) });
	tokenUrl = `http://127.0.0.1:${server.port}/token`;
	account = createTestServiceAccount(tokenUrl);
	sim.register(account.clientEmail, account.publicKey);
});
afterAll(() => server.stop(true));

const auth = (over: Partial<Parameters<typeof createGoogleServiceAccountAuth>[0]> = {}) =>
	createGoogleServiceAccountAuth({
		keyJson: account.keyJson as never,
		scopes: [SCOPE],
		fetch: recordingFetch,
		now: clock.now,
		...over,
	});

describe("google service-account auth against the token simulator", () => {
	test("mints a signed JWT with the documented claims and caches the token", async () => {
		const provider = auth();
		const before = sim.tokens.issued;
		const first = await provider.headers();
		const second = await provider.headers();
		expect(second).toEqual(first);
		expect(sim.tokens.issued).toBe(before + 1);
		expect(sim.tokens.validate(first.authorization, SCOPE)).toBe(true);
		const jwt = assertions.at(-1) ?? "";
		expect(decodeProtectedHeader(jwt)).toMatchObject({ alg: "RS256", kid: account.keyJson.private_key_id });
		const claims = decodeJwt(jwt);
		expect(claims).toMatchObject({ iss: account.clientEmail, scope: SCOPE, aud: tokenUrl });
		expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600);
		expect(claims.iat).toBe(Math.floor(clock.nowMs() / 1000));
	});

	test("renews shortly before expires_in and on refresh()", async () => {
		const provider = auth({ keyJson: JSON.stringify(account.keyJson) });
		const first = await provider.headers();
		clock.advance(3599_000 - 61_000);
		expect(await provider.headers()).toEqual(first);
		clock.advance(2_000);
		const renewed = await provider.headers();
		expect(renewed).not.toEqual(first);
		await provider.refresh();
		const refreshed = await provider.headers();
		expect(refreshed).not.toEqual(renewed);
		expect(sim.tokens.validate(refreshed.authorization, SCOPE)).toBe(true);
	});

	test("concurrent callers share one grant", async () => {
		const provider = auth();
		const before = sim.tokens.issued;
		const all = await Promise.all([provider.headers(), provider.headers(), provider.headers()]);
		expect(new Set(all.map((h) => h.authorization)).size).toBe(1);
		expect(sim.tokens.issued).toBe(before + 1);
	});

	test("a refused grant is a non-retriable error with the description and no secrets", async () => {
		const stranger = createTestServiceAccount(tokenUrl, account.clientEmail); // same email, other key
		const error = await auth({ keyJson: stranger.keyJson as never })
			.headers()
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(GoogleAuthError);
		expect((error as GoogleAuthError).retriable).toBe(false);
		expect((error as Error).message).toContain("invalid_grant: Invalid JWT Signature.");
		expect(JSON.stringify({ m: (error as Error).message, c: (error as GoogleAuthError).context })).not.toContain(
			"PRIVATE KEY",
		);
	});

	test("a broken key file fails on first use, not at construction, and is not retriable", async () => {
		const provider = auth({ keyJson: "{not json" });
		const error = await provider.headers().catch((e: unknown) => e);
		expect(error).toMatchObject({ retriable: false, message: "service-account key is not valid JSON" });
		const noKey = await auth({ keyJson: { client_email: "x@y" } as never })
			.headers()
			.catch((e: unknown) => e);
		expect((noKey as Error).message).toBe("service-account key lacks private_key");
	});

	test("a 5xx from the token endpoint is retriable; tokenUrl overrides token_uri", async () => {
		sim.faults.failGrants(1, { status: 503, error: "internal_failure", description: "backend error" });
		const provider = auth({
			keyJson: { ...account.keyJson, token_uri: "http://127.0.0.1:9/nowhere" } as never,
			tokenUrl,
		});
		const error = await provider.headers().catch((e: unknown) => e);
		expect((error as GoogleAuthError).retriable).toBe(true);
		expect((await provider.headers()).authorization).toStartWith("Bearer ya29.");
	});
});

describe("google token simulator", () => {
	async function grant(claims: Record<string, unknown>) {
		const key = await importPKCS8(account.keyJson.private_key ?? "", "RS256");
		const assertion = await new SignJWT(claims).setProtectedHeader({ alg: "RS256" }).sign(key);
		const response = await fetch(tokenUrl, {
			method: "POST",
			headers: { "content-type": "application/x-www-form-urlencoded" },
			body: new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion }).toString(),
		});
		return { status: response.status, body: (await response.json()) as Record<string, unknown> };
	}
	const iat = () => Math.floor(clock.nowMs() / 1000);

	test("rejects long-lived, wrong-audience and scope-less assertions", async () => {
		const base = { iss: account.clientEmail, scope: SCOPE, aud: tokenUrl, iat: iat(), exp: iat() + 3600 };
		expect(await grant({ ...base, exp: iat() + 7200 })).toMatchObject({
			status: 400,
			body: { error: "invalid_grant", error_description: expect.stringContaining("short-lived") },
		});
		expect(await grant({ ...base, aud: "https://example.com/token" })).toMatchObject({ status: 400 });
		expect(await grant({ ...base, scope: "" })).toMatchObject({ status: 400, body: { error: "invalid_scope" } });
		expect(await grant({ ...base, iss: "nobody@x.iam.gserviceaccount.com" })).toMatchObject({ status: 400 });
		expect(await grant(base)).toMatchObject({ status: 200, body: { expires_in: 3599, token_type: "Bearer" } });
	});

	test("tokens expire, can be revoked, and need a matching scope", async () => {
		const { body } = await grant({
			iss: account.clientEmail,
			scope: SCOPE,
			aud: tokenUrl,
			iat: iat(),
			exp: iat() + 3600,
		});
		const header = `Bearer ${body.access_token}`;
		expect(sim.tokens.check(header, ["https://www.googleapis.com/auth/display-video"])).toMatchObject({
			ok: false,
			status: 403,
		});
		expect(sim.tokens.validate(header, [SCOPE])).toBe(true);
		clock.advance(3599_000);
		expect(sim.tokens.check(header, SCOPE)).toMatchObject({
			ok: false,
			status: 401,
			body: { error: { code: 401, status: "UNAUTHENTICATED" } },
		});
		const again = await grant({ iss: account.clientEmail, scope: SCOPE, aud: tokenUrl, iat: iat(), exp: iat() + 3600 });
		sim.tokens.revokeAll();
		expect(sim.tokens.validate(`Bearer ${again.body.access_token}`, SCOPE)).toBe(false);
		expect(sim.tokens.validate(undefined, SCOPE)).toBe(false);
	});
});
