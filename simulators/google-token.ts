/**
 * Simulator of Google's OAuth2 token endpoint for service accounts
 * (source-apis.md §1.5, §7.1), shared by the DV360 and Sheets simulators:
 * `POST /token` checks the JWT bearer assertion (RS256 signature against the
 * registered public key, iss, scope, aud, iat/exp) and issues short-lived
 * access tokens; `tokens` lets the API simulators check `Authorization:
 * Bearer` and answer 401 UNAUTHENTICATED in Google's JSON error shape.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { Hono, type MiddlewareHandler } from "hono";
import { compactVerify, decodeJwt, decodeProtectedHeader, importSPKI } from "jose";

export const JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const OFFICIAL_AUDIENCES = ["https://oauth2.googleapis.com/token", "https://www.googleapis.com/oauth2/v4/token"];
const SHORT_LIVED =
	"Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.";

/** Google's JSON error body (`google.rpc.Status` in the `error` field), as every Google REST API returns it. */
export interface GoogleErrorBody {
	error: { code: number; message: string; status: string; details?: unknown[] };
}

/** Builds a Google API error body, e.g. googleError(401, "UNAUTHENTICATED", "Request had invalid ..."). */
export function googleError(code: number, status: string, message: string, details?: unknown[]): GoogleErrorBody {
	return { error: { code, message, status, ...(details ? { details } : {}) } };
}

export type TokenCheck =
	| { ok: true; clientEmail: string; scopes: string[] }
	| { ok: false; status: 401 | 403; body: GoogleErrorBody };

/** What the API simulators use to check bearer tokens issued by this token simulator. */
export interface GoogleTokenValidator {
	/** Checks an `Authorization` header; passes when the token is live and carries one of `scopes`. */
	check(authHeader: string | null | undefined, scopes: string | string[]): TokenCheck;
	/** Shorthand for `check(...).ok`. */
	validate(authHeader: string | null | undefined, scopes: string | string[]): boolean;
	/** Fault: every token issued so far stops working (as if expired); the next API call gets 401. */
	revokeAll(): void;
	/** Number of tokens issued so far (tests assert a refresh minted a new one). */
	readonly issued: number;
}

export interface GoogleTokenFaults {
	/** The next `count` grants fail with HTTP `status` (default 400 invalid_grant) and this description. */
	failGrants(count: number, options?: { status?: number; error?: string; description?: string }): void;
}

export interface GoogleTokenSimulatorOptions {
	/** Current time in ms since the epoch. Default Date.now (pass the test clock's nowMs). */
	now?: () => number;
	/** Lifetime of issued tokens, seconds. Default 3599 (Google's). */
	tokenTtlSeconds?: number;
	/** Registered service accounts: client_email → SPKI PEM public key. */
	publicKeys?: Record<string, string>;
	/** Accepted `aud` besides this endpoint's own URL and Google's official ones. Default none. */
	audiences?: string[];
}

export interface GoogleTokenSimulator {
	app: Hono;
	tokens: GoogleTokenValidator;
	faults: GoogleTokenFaults;
	/** Registers a service account's public key (SPKI PEM). */
	register(clientEmail: string, publicKeyPem: string): void;
}

interface Issued {
	clientEmail: string;
	scopes: string[];
	expiresAtMs: number;
}

export function createGoogleTokenSimulator(options: GoogleTokenSimulatorOptions = {}): GoogleTokenSimulator {
	const now = options.now ?? Date.now;
	const ttlS = options.tokenTtlSeconds ?? 3599;
	const keys = new Map<string, Promise<CryptoKey>>();
	const issued = new Map<string, Issued>();
	let issuedCount = 0;
	const failures: { status: number; error: string; description: string }[] = [];
	const register = (email: string, pem: string) => keys.set(email, importSPKI(pem, "RS256"));
	for (const [email, pem] of Object.entries(options.publicKeys ?? {})) register(email, pem);

	const app = new Hono();
	app.post("/token", async (c) => {
		const refuse = (description: string, error = "invalid_grant", status = 400) =>
			c.json({ error, error_description: description }, status as 400);
		const form = new URLSearchParams(await c.req.text());
		const injected = failures.shift();
		if (injected) return refuse(injected.description, injected.error, injected.status);
		if (form.get("grant_type") !== JWT_BEARER_GRANT) {
			return refuse(`Invalid grant_type: ${form.get("grant_type") ?? ""}`, "unsupported_grant_type");
		}
		const assertion = form.get("assertion");
		if (!assertion) return refuse("Missing required parameter: assertion", "invalid_request");
		let claims: ReturnType<typeof decodeJwt>;
		try {
			if (decodeProtectedHeader(assertion).alg !== "RS256") return refuse("Invalid JWT: alg must be RS256");
			claims = decodeJwt(assertion);
		} catch {
			return refuse("Invalid JWT: malformed assertion");
		}
		const key = typeof claims.iss === "string" ? keys.get(claims.iss) : undefined;
		if (!key || typeof claims.iss !== "string") return refuse("Invalid grant: account not found");
		try {
			await compactVerify(assertion, await key);
		} catch {
			return refuse("Invalid JWT Signature.");
		}
		const self = c.req.url.split("?")[0] ?? "";
		const audiences = [self, ...OFFICIAL_AUDIENCES, ...(options.audiences ?? [])];
		if (typeof claims.aud !== "string" || !audiences.includes(claims.aud)) {
			return refuse("Invalid JWT: Failed audience check.");
		}
		const nowS = Math.floor(now() / 1000);
		const { iat, exp } = claims;
		// Google tolerates a little clock skew; so do we (5 min).
		if (typeof iat !== "number" || typeof exp !== "number" || exp - iat > 3600 || exp <= nowS || iat > nowS + 300) {
			return refuse(SHORT_LIVED);
		}
		const scope = typeof claims.scope === "string" ? claims.scope.trim() : "";
		if (!scope) return refuse("Empty or missing scope not allowed.", "invalid_scope");
		const accessToken = `ya29.sim-${randomBytes(24).toString("base64url")}`;
		issued.set(accessToken, { clientEmail: claims.iss, scopes: scope.split(/\s+/), expiresAtMs: now() + ttlS * 1000 });
		issuedCount++;
		return c.json({ access_token: accessToken, expires_in: ttlS, token_type: "Bearer" });
	});

	const tokens: GoogleTokenValidator = {
		check(authHeader, scopes) {
			const unauthenticated = {
				ok: false as const,
				status: 401 as const,
				body: googleError(
					401,
					"UNAUTHENTICATED",
					"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
				),
			};
			const match = /^Bearer\s+(\S+)$/i.exec(authHeader ?? "");
			const token = match?.[1] ? issued.get(match[1]) : undefined;
			if (!token || now() >= token.expiresAtMs) return unauthenticated;
			const wanted = typeof scopes === "string" ? [scopes] : scopes;
			if (!token.scopes.some((s) => wanted.includes(s))) {
				return {
					ok: false,
					status: 403,
					body: googleError(403, "PERMISSION_DENIED", "Request had insufficient authentication scopes."),
				};
			}
			return { ok: true, clientEmail: token.clientEmail, scopes: token.scopes };
		},
		validate(authHeader, scopes) {
			return tokens.check(authHeader, scopes).ok;
		},
		revokeAll() {
			issued.clear();
		},
		get issued() {
			return issuedCount;
		},
	};

	return {
		app,
		tokens,
		register,
		faults: {
			failGrants(count, fault = {}) {
				for (let i = 0; i < count; i++) {
					failures.push({
						status: fault.status ?? 400,
						error: fault.error ?? "invalid_grant",
						description: fault.description ?? "Invalid JWT Signature.",
					});
				}
			},
		},
	};
}

/** Hono middleware answering 401/403 in Google's shape unless the bearer token is live and has one of `scopes`. */
export function requireGoogleToken(tokens: GoogleTokenValidator, scopes: string[]): MiddlewareHandler {
	return async (c, next) => {
		const result = tokens.check(c.req.header("authorization"), scopes);
		if (!result.ok) return c.json(result.body, result.status);
		await next();
	};
}

/** For tests: a fresh RSA key pair as a service-account key file pointing at `tokenUrl`, plus its SPKI public key. */
export function createTestServiceAccount(
	tokenUrl: string,
	clientEmail = `pacer-test-${randomBytes(4).toString("hex")}@pacer-test.iam.gserviceaccount.com`,
): { keyJson: Record<string, string>; publicKey: string; clientEmail: string } {
	const { publicKey, privateKey } = generateKeyPairSync("rsa", {
		modulusLength: 2048,
		publicKeyEncoding: { type: "spki", format: "pem" },
		privateKeyEncoding: { type: "pkcs8", format: "pem" },
	});
	const keyJson = {
		type: "service_account",
		project_id: "pacer-test",
		private_key_id: randomBytes(20).toString("hex"),
		private_key: privateKey,
		client_email: clientEmail,
		client_id: String(100_000_000_000 + Math.floor(Math.random() * 1e9)),
		auth_uri: "https://accounts.google.com/o/oauth2/auth",
		token_uri: tokenUrl,
	};
	return { keyJson, publicKey, clientEmail };
}
