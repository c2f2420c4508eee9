/**
 * Google service-account auth (the OAuth2 JWT bearer grant, source-apis.md
 * §1.5), shared by DV360, Bid Manager and Sheets: sign a short-lived RS256
 * JWT with the key file's private key, trade it at the token endpoint for an
 * access token, and cache that token until shortly before it expires. Google
 * issues no refresh token for this grant, so a refresh is a new JWT.
 * Neither the key nor a token is ever logged or put in an error message.
 */
import { importPKCS8, SignJWT } from "jose";
import { PacerError } from "../../../lib/errors.ts";
import type { Logger } from "../../../lib/runtime/logger.ts";
import type { AuthProvider } from "../source.ts";

export const GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token";
export const JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/** The fields of a Google service-account key file that the grant needs (the file has more). */
export interface GoogleServiceAccountKey {
	client_email: string;
	/** PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"). */
	private_key: string;
	private_key_id?: string;
	token_uri?: string;
	[field: string]: unknown;
}

/** The token endpoint refused the grant or could not be reached; `retriable` says whether trying later can help. */
export class GoogleAuthError extends PacerError {}

export interface GoogleServiceAccountAuthOptions {
	/** The key file, parsed or as its JSON text. */
	keyJson: GoogleServiceAccountKey | string;
	/** OAuth scopes, e.g. ["https://www.googleapis.com/auth/spreadsheets.readonly"]. */
	scopes: string[];
	/** Token endpoint; overrides the key file's token_uri. Default: token_uri, else https://oauth2.googleapis.com/token. */
	tokenUrl?: string;
	/** Domain-wide delegation user (`sub` claim). Default: none. */
	subject?: string;
	fetch: typeof fetch;
	now(): Date;
	/** Tokens are renewed this long before `expires_in` runs out. Default 60 s. */
	expirySkewMs?: number;
	logger?: Logger;
}

interface CachedToken {
	accessToken: string;
	renewAtMs: number;
}

/** Parses and checks a service-account key file; throws a non-retriable GoogleAuthError naming missing fields. */
export function parseServiceAccountKey(keyJson: GoogleServiceAccountKey | string): GoogleServiceAccountKey {
	let key: unknown;
	try {
		key = typeof keyJson === "string" ? JSON.parse(keyJson) : keyJson;
	} catch {
		throw new GoogleAuthError("service-account key is not valid JSON");
	}
	const record = (key ?? {}) as Record<string, unknown>;
	const missing = ["client_email", "private_key"].filter((f) => typeof record[f] !== "string" || !record[f]);
	if (missing.length > 0) throw new GoogleAuthError(`service-account key lacks ${missing.join(", ")}`);
	return record as GoogleServiceAccountKey;
}

/** An AuthProvider that puts `Authorization: Bearer <token>` on requests, minting tokens through the JWT bearer grant. */
export function createGoogleServiceAccountAuth(options: GoogleServiceAccountAuthOptions): AuthProvider {
	// A bad key surfaces on the first request (as a non-retriable error), not while the run is being set up.
	let parsed: GoogleServiceAccountKey | undefined;
	const keyOf = () => (parsed ??= parseServiceAccountKey(options.keyJson));
	const skewMs = options.expirySkewMs ?? 60_000;
	let signingKey: Promise<CryptoKey> | undefined;
	let cached: CachedToken | undefined;
	let inflight: Promise<CachedToken> | undefined;

	async function assertion(key: GoogleServiceAccountKey, tokenUrl: string): Promise<string> {
		const context = { client_email: key.client_email, token_url: tokenUrl };
		signingKey ??= importPKCS8(key.private_key, "RS256").catch((cause) => {
			signingKey = undefined;
			throw new GoogleAuthError("service-account private_key is not a PKCS#8 RSA key", { context, cause });
		});
		const iat = Math.floor(options.now().getTime() / 1000);
		const jwt = new SignJWT({ scope: options.scopes.join(" ") })
			.setProtectedHeader({ alg: "RS256", typ: "JWT", ...(key.private_key_id ? { kid: key.private_key_id } : {}) })
			.setIssuer(key.client_email)
			.setAudience(tokenUrl)
			.setIssuedAt(iat)
			.setExpirationTime(iat + 3600);
		if (options.subject) jwt.setSubject(options.subject);
		return jwt.sign(await signingKey);
	}

	async function mint(): Promise<CachedToken> {
		const key = keyOf();
		const tokenUrl = options.tokenUrl ?? key.token_uri ?? GOOGLE_TOKEN_URL;
		const context = { client_email: key.client_email, token_url: tokenUrl };
		const body = new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion: await assertion(key, tokenUrl) });
		let response: Response;
		try {
			response = await options.fetch(tokenUrl, {
				method: "POST",
				headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
				body: body.toString(),
			});
		} catch (cause) {
			throw new GoogleAuthError(`token endpoint unreachable: ${String(cause)}`, { retriable: true, context, cause });
		}
		const text = await response.text();
		const json = safeJson(text);
		if (!response.ok) {
			// 5xx and 429 can pass; a refused grant (invalid_grant, invalid_client, ...) cannot.
			const retriable = response.status >= 500 || response.status === 429;
			const error = typeof json?.error === "string" ? json.error : `HTTP ${response.status}`;
			const description = typeof json?.error_description === "string" ? `: ${json.error_description}` : "";
			throw new GoogleAuthError(`token endpoint refused the grant: ${error}${description}`, {
				retriable,
				context: { ...context, status: response.status },
			});
		}
		const accessToken = json?.access_token;
		if (typeof accessToken !== "string" || !accessToken) {
			throw new GoogleAuthError("token endpoint answered without an access_token", { retriable: true, context });
		}
		const expiresInS = typeof json?.expires_in === "number" ? json.expires_in : 3599;
		const nowMs = options.now().getTime();
		options.logger?.debug("google access token minted", { ...context, expires_in: expiresInS });
		return { accessToken, renewAtMs: nowMs + Math.max(0, expiresInS * 1000 - skewMs) };
	}

	// Concurrent callers share one grant instead of each minting a token.
	function fetchToken(): Promise<CachedToken> {
		inflight ??= mint()
			.then((token) => {
				cached = token;
				return token;
			})
			.finally(() => {
				inflight = undefined;
			});
		return inflight;
	}

	return {
		async headers() {
			const fresh = cached && options.now().getTime() < cached.renewAtMs ? cached : await fetchToken();
			return { authorization: `Bearer ${fresh.accessToken}` };
		},
		async refresh() {
			cached = undefined;
			await fetchToken();
		},
	};
}

function safeJson(text: string): Record<string, unknown> | undefined {
	try {
		const value = JSON.parse(text);
		return value && typeof value === "object" ? (value as Record<string, unknown>) : undefined;
	} catch {
		return undefined;
	}
}
