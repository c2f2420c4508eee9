/**
 * The Trade Desk token auth (source-apis.md §2.1): `POST /v3/authentication`
 * with Login/Password/TokenExpirationInMinutes returns a short-lived token that
 * goes in the `TTD-Auth` header. TTD does not say when a token expires (the
 * `ExpirationDateUtc` field is unconfirmed), so we track the lifetime we asked
 * for and log in again at 90 % of it; a 401/403 forces a new login (peers
 * re-login on both). A long-lived token minted in the UI cannot be refreshed
 * through the API and is used as is. Neither password nor token is logged.
 */
import { PacerError } from "../../../lib/errors.ts";
import type { Logger } from "../../../lib/runtime/logger.ts";
import type { AuthProvider } from "../source.ts";

/** TTD caps short-lived tokens at 24 h. */
export const TTD_MAX_TOKEN_MINUTES = 1440;

/** The authentication endpoint refused or failed; `retriable` says whether trying later can help. */
export class TtdAuthError extends PacerError {}

export interface TtdTokenAuthOptions {
	/** Full URL of the authentication endpoint, e.g. https://api.thetradedesk.com/v3/authentication. */
	authUrl: string;
	/** API user login; with `password`, the provider logs in. */
	login?: string;
	password?: string;
	/** A long-lived token from the Developer Portal; used instead of logging in when there is no login. */
	token?: string;
	/** Lifetime asked for each token, minutes. Default 1440 (the maximum). */
	tokenExpirationInMinutes?: number;
	/** Fraction of the lifetime after which a new token is fetched. Default 0.9. */
	refreshAtFraction?: number;
	fetch: typeof fetch;
	now(): Date;
	logger?: Logger;
}

interface CachedToken {
	token: string;
	renewAtMs: number;
}

/** An AuthProvider that puts `TTD-Auth: <token>` on requests, logging in (and again before expiry) when needed. */
export function createTtdTokenAuth(options: TtdTokenAuthOptions): AuthProvider {
	const minutes = Math.min(
		TTD_MAX_TOKEN_MINUTES,
		Math.max(1, options.tokenExpirationInMinutes ?? TTD_MAX_TOKEN_MINUTES),
	);
	const fraction = options.refreshAtFraction ?? 0.9;
	const canLogin = Boolean(options.login && options.password);
	const context = { auth_url: options.authUrl, login: options.login ?? null };
	let cached: CachedToken | undefined =
		canLogin || !options.token ? undefined : { token: options.token, renewAtMs: Number.POSITIVE_INFINITY };
	let inflight: Promise<CachedToken> | undefined;

	async function login(): Promise<CachedToken> {
		// Checked here, not at construction, so a misconfigured connection fails its requests, not the worker.
		if (!canLogin) throw new TtdAuthError("TTD credentials need login and password, or a token", { context });
		const startedMs = options.now().getTime();
		let response: Response;
		try {
			response = await options.fetch(options.authUrl, {
				method: "POST",
				headers: { "content-type": "application/json", accept: "application/json" },
				body: JSON.stringify({ Login: options.login, Password: options.password, TokenExpirationInMinutes: minutes }),
			});
		} catch (cause) {
			throw new TtdAuthError(`TTD authentication unreachable: ${String(cause)}`, { retriable: true, context, cause });
		}
		const text = await response.text();
		const json = parseObject(text);
		if (!response.ok) {
			const message = typeof json?.Message === "string" ? `: ${json.Message}` : "";
			throw new TtdAuthError(`TTD authentication refused (HTTP ${response.status})${message}`, {
				retriable: response.status >= 500 || response.status === 429,
				context: { ...context, status: response.status },
			});
		}
		const token = json?.Token;
		if (typeof token !== "string" || !token) {
			throw new TtdAuthError("TTD authentication answered without a Token", { retriable: true, context });
		}
		// Count from when we asked, so a slow answer never makes us hold a token past its life.
		let lifetimeMs = minutes * 60_000;
		const stated = typeof json?.ExpirationDateUtc === "string" ? Date.parse(json.ExpirationDateUtc) : Number.NaN;
		if (Number.isFinite(stated)) lifetimeMs = Math.min(lifetimeMs, Math.max(0, stated - startedMs));
		options.logger?.debug("ttd token issued", { login: options.login, lifetime_ms: lifetimeMs });
		return { token, renewAtMs: startedMs + lifetimeMs * fraction };
	}

	// Concurrent callers (up to 4 in flight) share one login.
	function relogin(): Promise<CachedToken> {
		inflight ??= login()
			.then((fresh) => {
				cached = fresh;
				return fresh;
			})
			.finally(() => {
				inflight = undefined;
			});
		return inflight;
	}

	return {
		async headers() {
			const current = cached && (!canLogin || options.now().getTime() < cached.renewAtMs) ? cached : await relogin();
			return { "TTD-Auth": current.token };
		},
		async refresh() {
			if (!canLogin) {
				throw new TtdAuthError("TTD long-lived token was rejected and cannot be refreshed through the API", {
					context,
				});
			}
			cached = undefined;
			await relogin();
		},
	};
}

function parseObject(text: string): Record<string, unknown> | null {
	try {
		const value: unknown = JSON.parse(text);
		return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
	} catch {
		return null;
	}
}
