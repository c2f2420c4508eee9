/**
 * Access tokens of the Meta simulator (source-apis.md §3.5): long-lived user
 * tokens that expire on the injected clock, system-user tokens that never do
 * (`expires_at: 0`), `GET /oauth/access_token?grant_type=fb_exchange_token`
 * (refused for an expired or revoked token, as Meta does) and
 * `GET /debug_token`. A token the simulator never issued is accepted as a
 * non-expiring system-user token so demo configurations work with any value.
 */
import type { Context } from "hono";

export interface TokenInfo {
	type: "USER" | "SYSTEM_USER";
	issuedAtMs: number;
	/** 0 = never expires. */
	expiresAtMs: number;
	/** Set when the token was invalidated (460 password changed, 467 invalid). */
	revokedSubcode?: number;
}

export interface MetaTokens {
	/** Issues a token; `expiresInMs` 0 (default for SYSTEM_USER) never expires. Default USER: 60 days. */
	issue(options?: { type?: TokenInfo["type"]; expiresInMs?: number }): string;
	/** Makes a token expired now: API calls answer 190/463 and it can no longer be exchanged. */
	expire(token: string): void;
	/** Invalidates a token (460 password changed, 467 invalid token). */
	revoke(token: string, subcode?: 460 | 467): void;
	info(token: string): TokenInfo;
}

const SIXTY_DAYS_MS = 60 * 86_400_000;

export interface TokenRegistry extends MetaTokens {
	/** The error to answer for a token, or null when it is valid now. */
	problem(token: string | undefined): { message: string; subcode?: number } | null;
}

export function createTokenRegistry(nowMs: () => number): TokenRegistry {
	const tokens = new Map<string, TokenInfo>();
	let counter = 0;
	const info = (token: string): TokenInfo =>
		tokens.get(token) ?? { type: "SYSTEM_USER", issuedAtMs: 0, expiresAtMs: 0 };
	const registry: TokenRegistry = {
		issue({ type = "USER", expiresInMs } = {}) {
			const token = `EAAsim${(++counter).toString(36)}${nowMs().toString(36)}`;
			const ttl = expiresInMs ?? (type === "USER" ? SIXTY_DAYS_MS : 0);
			tokens.set(token, { type, issuedAtMs: nowMs(), expiresAtMs: ttl ? nowMs() + ttl : 0 });
			return token;
		},
		expire(token) {
			tokens.set(token, { ...info(token), expiresAtMs: nowMs() - 1 });
		},
		revoke(token, subcode = 467) {
			tokens.set(token, { ...info(token), revokedSubcode: subcode });
		},
		info,
		problem(token) {
			if (!token)
				return { message: "An active access token must be used to query information about the current user." };
			const t = info(token);
			if (t.revokedSubcode === 460)
				return {
					message:
						"Error validating access token: The session has been invalidated because the user changed their password.",
					subcode: 460,
				};
			if (t.revokedSubcode)
				return { message: "Error validating access token: Invalid OAuth access token.", subcode: 467 };
			if (t.expiresAtMs && t.expiresAtMs <= nowMs())
				return {
					message: `Error validating access token: Session has expired on ${new Date(t.expiresAtMs).toUTCString()}.`,
					subcode: 463,
				};
			return null;
		},
	};
	return registry;
}

/** The token of a request: `Authorization: Bearer` or the `access_token` parameter. */
export function tokenOf(c: Context): string | undefined {
	const header = c.req.header("authorization");
	if (header?.toLowerCase().startsWith("bearer ")) return header.slice(7).trim();
	return c.req.query("access_token") ?? undefined;
}

export function oauthError(c: Context, message: string, code: number, subcode?: number) {
	const error: Record<string, unknown> = { message, type: "OAuthException", code, fbtrace_id: "AsimTrace0" };
	if (subcode !== undefined) error.error_subcode = subcode;
	return c.json({ error }, 400);
}

/** `GET /oauth/access_token?grant_type=fb_exchange_token&client_id&client_secret&fb_exchange_token`. */
export function exchangeToken(c: Context, registry: TokenRegistry, app: { id: string; secret: string }, nowMs: number) {
	const q = (name: string) => c.req.query(name);
	if (q("grant_type") !== "fb_exchange_token") return oauthError(c, "Unsupported grant_type", 100);
	if (q("client_id") !== app.id || q("client_secret") !== app.secret)
		return oauthError(c, "Error validating client secret.", 1);
	const problem = registry.problem(q("fb_exchange_token"));
	if (problem) return oauthError(c, problem.message, 190, problem.subcode);
	const token = registry.issue({ type: "USER" });
	const expiresAt = registry.info(token).expiresAtMs;
	return c.json({ access_token: token, token_type: "bearer", expires_in: Math.round((expiresAt - nowMs) / 1000) });
}

/** `GET /debug_token?input_token=…&access_token=…` (the inspecting token must be valid too). */
export function debugToken(c: Context, registry: TokenRegistry, app: { id: string; secret: string }) {
	const inspector = tokenOf(c);
	const appToken = `${app.id}|${app.secret}`;
	if (inspector !== appToken) {
		const problem = registry.problem(inspector);
		if (problem) return oauthError(c, problem.message, 190, problem.subcode);
	}
	const input = c.req.query("input_token");
	if (!input) return oauthError(c, "(#100) The parameter input_token is required", 100);
	const t = registry.info(input);
	const seconds = (ms: number) => Math.floor(ms / 1000);
	return c.json({
		data: {
			app_id: app.id,
			type: t.type,
			application: "Pacer (simulated)",
			data_access_expires_at: t.expiresAtMs ? seconds(t.expiresAtMs + 30 * 86_400_000) : 0,
			expires_at: t.expiresAtMs ? seconds(t.expiresAtMs) : 0,
			is_valid: registry.problem(input) === null,
			issued_at: seconds(t.issuedAtMs),
			scopes: ["ads_read", "ads_management", "business_management"],
			user_id: "10000000000001",
		},
	});
}
