/**
 * Meta access tokens (source-apis.md §3.5): a long-lived user token (~60
 * days) or a system-user token (never expiring, or 60 days) from
 * `credentials.accessToken`, sent as `Authorization: Bearer` so it never sits
 * in a URL. `daysUntilExpiry()` asks `GET /debug_token` (system user:
 * `expires_at` 0 = never) and warns when fewer than 7 days are left; the first
 * `headers()` of a provider checks once, so every run logs the warning.
 * After code 190, `refresh()` exchanges the token (`fb_exchange_token`) when
 * the app id and secret are configured; otherwise, or when Meta refuses (an
 * expired token cannot be exchanged), it fails with a reason an operator can
 * act on. Tokens are never logged. A new token lives in memory only.
 */
import { PacerError } from "../../../lib/errors.ts";
import type { Logger } from "../../../lib/runtime/logger.ts";
import type { AuthProvider } from "../source.ts";

/** The token cannot be used or renewed; the connection needs a new one. */
export class MetaAuthError extends PacerError {}

export interface MetaTokenAuthOptions {
	accessToken: string;
	/** App id and secret: enable fb_exchange_token and app-token introspection. */
	appId?: string;
	appSecret?: string;
	/** Versioned Graph root for /oauth/access_token and /debug_token, e.g. https://graph.facebook.com/v23.0. */
	graphUrl: string;
	/** Days left below which a warning is logged. Default 7 (dlt's threshold). */
	warnDays?: number;
	fetch: typeof fetch;
	now(): Date;
	logger?: Logger;
}

const DAY_MS = 86_400_000;

async function graphJson(
	options: MetaTokenAuthOptions,
	url: URL,
	headers: Record<string, string>,
): Promise<{ ok: boolean; json: Record<string, unknown> | null; status: number }> {
	const response = await options.fetch(url, { headers });
	const text = await response.text();
	let json: Record<string, unknown> | null = null;
	try {
		json = JSON.parse(text) as Record<string, unknown>;
	} catch {
		json = null;
	}
	return { ok: response.ok, json, status: response.status };
}

function graphErrorText(json: Record<string, unknown> | null, status: number): string {
	const error = json?.error as { code?: unknown; error_subcode?: unknown; message?: unknown } | undefined;
	if (!error) return `HTTP ${status}`;
	const sub = error.error_subcode === undefined ? "" : `/${String(error.error_subcode)}`;
	return `code ${String(error.code)}${sub}: ${String(error.message ?? "")}`;
}

/** An AuthProvider for a Meta long-lived or system-user token. */
export function createMetaTokenAuth(options: MetaTokenAuthOptions): AuthProvider {
	if (!options.accessToken) throw new MetaAuthError("Meta connection has no credentials.accessToken");
	const warnDays = options.warnDays ?? 7;
	const canExchange = Boolean(options.appId && options.appSecret);
	let token = options.accessToken;
	let checked = false;
	let refreshing: Promise<void> | undefined;

	async function daysUntilExpiry(): Promise<number | null> {
		const url = new URL(`${options.graphUrl}/debug_token`);
		url.searchParams.set("input_token", token);
		// The app token inspects any token of the app; without it the token inspects itself.
		const inspector = canExchange ? `${options.appId}|${options.appSecret}` : token;
		const { json, status } = await graphJson(options, url, { authorization: `Bearer ${inspector}` });
		const data = json?.data as
			| { expires_at?: unknown; data_access_expires_at?: unknown; is_valid?: unknown }
			| undefined;
		if (!data) {
			options.logger?.warn("meta token could not be inspected", { reason: graphErrorText(json, status) });
			return 0;
		}
		if (data.is_valid === false) {
			options.logger?.warn("meta access token is no longer valid; issue a new one", {});
			return 0;
		}
		const ends = [Number(data.expires_at), Number(data.data_access_expires_at)].filter((s) => s > 0);
		if (ends.length === 0) return null;
		const days = Math.max(0, Math.floor((Math.min(...ends) * 1000 - options.now().getTime()) / DAY_MS));
		if (days < warnDays)
			options.logger?.warn("meta access token expires soon; renew it", { days_left: days, can_exchange: canExchange });
		return days;
	}

	async function exchange(): Promise<void> {
		if (!canExchange)
			throw new MetaAuthError(
				"Meta rejected the access token (code 190) and the connection has no appId/appSecret to exchange it: issue a new long-lived or system-user token and update credentials.accessToken",
			);
		const url = new URL(`${options.graphUrl}/oauth/access_token`);
		url.searchParams.set("grant_type", "fb_exchange_token");
		url.searchParams.set("client_id", options.appId as string);
		url.searchParams.set("client_secret", options.appSecret as string);
		url.searchParams.set("fb_exchange_token", token);
		let result: Awaited<ReturnType<typeof graphJson>>;
		try {
			result = await graphJson(options, url, {});
		} catch (cause) {
			// The message of a fetch error may quote the URL, which carries the app secret.
			throw new MetaAuthError(`Meta token exchange unreachable (${(cause as Error).name})`, { retriable: true });
		}
		const next = result.json?.access_token;
		if (!result.ok || typeof next !== "string" || !next)
			throw new MetaAuthError(
				`Meta refused to exchange the access token (${graphErrorText(result.json, result.status)}): an expired or invalidated token cannot be renewed; issue a new long-lived or system-user token and update credentials.accessToken`,
			);
		token = next;
		const days = Math.floor(Number(result.json?.expires_in ?? 0) / 86_400);
		options.logger?.info("meta access token exchanged for a new long-lived token", { days_valid: days });
	}

	return {
		async headers() {
			if (!checked) {
				checked = true;
				await daysUntilExpiry().catch((error: unknown) =>
					options.logger?.warn("meta token expiry check failed", { error: (error as Error).name }),
				);
			}
			return { authorization: `Bearer ${token}` };
		},
		refresh() {
			refreshing ??= exchange().finally(() => {
				refreshing = undefined;
			});
			return refreshing;
		},
		daysUntilExpiry,
	};
}
