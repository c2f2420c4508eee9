/**
 * Simulator of Google's DV360 APIs for one world: Bid Manager API v2
 * (`/v2/queries...`, reports and signed CSV downloads on `/storage/...`, see
 * dv360-reports.ts) and the Display & Video 360 API v4 entities
 * (`/v4/advertisers...`). Mount it under any prefix; links it hands out are
 * built from the incoming request's origin and prefix. Bearer tokens are
 * checked against the Google token simulator when one is given.
 */
import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import {
	advertiserJson,
	campaignJson,
	insertionOrderJson,
	type ListResult,
	lineItemJson,
	listPage,
} from "./dv360-entities.ts";
import { createFaultState, type Dv360Api, type Dv360Faults, WOOPS } from "./dv360-faults.ts";
import { registerBidManagerRoutes } from "./dv360-reports.ts";
import { type GoogleTokenValidator, googleError } from "./google-token.ts";
import type { World } from "./world.ts";

export type { Dv360Api, Dv360Faults } from "./dv360-faults.ts";

export const BID_MANAGER_SCOPE = "https://www.googleapis.com/auth/doubleclickbidmanager";
export const DISPLAY_VIDEO_SCOPE = "https://www.googleapis.com/auth/display-video";

export interface Dv360SimulatorOptions {
	/** Current time, ms since the epoch. Default Date.now (pass the test clock's nowMs). */
	now?: () => number;
	/** Token checker of the Google token simulator; without it any non-empty bearer token passes until expireTokens(). */
	tokens?: GoogleTokenValidator;
	/** reports.get calls until a report is DONE (the first ones say RUNNING). Default 2. */
	reportPolls?: number;
	/** Lifetime of signed download links, ms. Default 3,600,000. */
	signedUrlTtlMs?: number;
}

export interface Dv360Simulator {
	app: Hono;
	faults: Dv360Faults;
	/** Every call received, as "METHOD /path" below the mount prefix (tests assert flows with it). */
	calls: string[];
}

/** The DV360 partner id the simulator gives an organisation (digits, stable across runs). */
export function dv360PartnerId(orgId: string): string {
	let h = 0x811c9dc5;
	for (let i = 0; i < orgId.length; i++) h = Math.imul(h ^ orgId.charCodeAt(i), 0x01000193);
	return String(100_000 + ((h >>> 0) % 900_000));
}

const API_PATH = /^(.*?)\/(v2|v4|storage)\//;

export function createDv360Simulator(world: World, options: Dv360SimulatorOptions = {}): Dv360Simulator {
	const now = options.now ?? Date.now;
	const seen = new Set<string>();
	const revoked = new Set<string>();
	const state = createFaultState(now, () => {
		if (options.tokens) options.tokens.revokeAll();
		for (const token of seen) revoked.add(token);
	});
	const partners = new Map(world.orgs.map((o) => [dv360PartnerId(o.org.id), o.org.id]));
	const calls: string[] = [];
	const app = new Hono();
	const today = () => new Date(now()).toISOString().slice(0, 10);
	const split = (c: Context) => {
		const url = new URL(c.req.url);
		const match = API_PATH.exec(url.pathname);
		return {
			base: `${url.origin}${match?.[1] ?? ""}`,
			api: match?.[2],
			rest: url.pathname.slice(match?.[1]?.length ?? 0),
		};
	};
	const error = (c: Context, code: number, status: string, message: string, reason?: string) =>
		c.json(
			reason
				? { error: { code, message, status, errors: [{ message, domain: "usageLimits", reason }] } }
				: googleError(code, status, message),
			code as ContentfulStatusCode,
		);

	app.use("*", async (c, next) => {
		const { api: segment, rest } = split(c);
		calls.push(`${c.req.method} ${rest}`);
		const api: Dv360Api = segment === "v2" ? "bidmanager" : segment === "v4" ? "displayvideo" : "storage";
		if (api !== "storage") {
			const header = c.req.header("authorization");
			if (options.tokens) {
				const check = options.tokens.check(header, api === "bidmanager" ? BID_MANAGER_SCOPE : DISPLAY_VIDEO_SCOPE);
				if (!check.ok) return c.json(check.body, check.status);
			} else {
				const token = /^Bearer\s+(\S+)$/i.exec(header ?? "")?.[1];
				if (!token || revoked.has(token)) {
					return error(c, 401, "UNAUTHENTICATED", "Request had invalid authentication credentials.");
				}
				seen.add(token);
			}
		}
		if (api === "bidmanager" && state.dailyBlockedUntilMs() > 0) {
			return error(c, 403, "PERMISSION_DENIED", "Daily Limit Exceeded", "dailyLimitExceeded");
		}
		const fault = state.take(api, rest);
		if (fault?.kind === "throttle") {
			return error(c, 429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).");
		}
		if (fault?.kind === "legacy-throttle") {
			return error(c, 403, "PERMISSION_DENIED", "User Rate Limit Exceeded", "userRateLimitExceeded");
		}
		if (fault?.kind === "server") {
			const status = fault.status === 503 ? "UNAVAILABLE" : fault.status === 504 ? "DEADLINE_EXCEEDED" : "INTERNAL";
			return error(c, fault.status, status, fault.status === 503 ? WOOPS : "Internal error encountered.");
		}
		if (fault?.kind === "malformed") {
			return c.body('{"error": false, "items": [{"id": "12', 200, {
				"content-type": "application/json; charset=UTF-8",
			});
		}
		await next();
	});

	registerBidManagerRoutes(app, {
		world,
		now,
		state,
		reportPolls: options.reportPolls ?? 2,
		signedUrlTtlMs: options.signedUrlTtlMs ?? 3_600_000,
		orgOfPartner: (id) => partners.get(id),
		partnerIdOf: dv360PartnerId,
		baseOf: (c) => split(c).base,
	});

	const dv360Advertiser = (id: string) => {
		for (const org of world.orgs) {
			const found = org.advertisers.find((a) => a.source === "dv360" && a.id === id);
			if (found) return { org, advertiser: found };
		}
		return undefined;
	};
	const answer = (c: Context, result: ListResult) =>
		result.ok ? c.json(result.body) : error(c, 400, "INVALID_ARGUMENT", result.message);
	const listQuery = (c: Context) => ({
		pageSize: c.req.query("pageSize"),
		pageToken: c.req.query("pageToken"),
		filter: c.req.query("filter"),
	});

	app.get("/v4/advertisers", (c) => {
		const partnerId = c.req.query("partnerId");
		if (!partnerId) return error(c, 400, "INVALID_ARGUMENT", "Must set partner_id.");
		const orgId = partners.get(partnerId);
		if (!orgId) return error(c, 403, "PERMISSION_DENIED", "The caller does not have permission");
		const org = world.org(orgId);
		const items = org.advertisers.filter((a) => a.source === "dv360").map((a) => advertiserJson(a, partnerId, org));
		return answer(c, listPage("advertisers", items, listQuery(c)));
	});

	app.get("/v4/advertisers/:id", (c) => {
		const found = dv360Advertiser(c.req.param("id"));
		if (!found) return error(c, 404, "NOT_FOUND", "Requested entity was not found.");
		return c.json(advertiserJson(found.advertiser, dv360PartnerId(found.org.org.id), found.org));
	});

	app.get("/v4/advertisers/:id/:list{campaigns|insertionOrders|lineItems}", (c) => {
		const found = dv360Advertiser(c.req.param("id"));
		if (!found) return error(c, 404, "NOT_FOUND", "Requested entity was not found.");
		const id = found.advertiser.id;
		const lineItems = found.org.lineItems.filter((li) => li.source === "dv360" && li.advertiserId === id);
		const campaigns = found.org.campaigns.filter((k) => k.source === "dv360" && k.advertiserId === id);
		const list = c.req.param("list");
		const items =
			list === "lineItems"
				? lineItems.map((li) => lineItemJson(li, today()))
				: campaigns.map((k) => {
						const own = lineItems.filter((li) => li.campaignId === k.id);
						return list === "campaigns" ? campaignJson(k, own, today()) : insertionOrderJson(k, own, today());
					});
		return answer(c, listPage(list, items, listQuery(c)));
	});

	return { app, faults: state.faults, calls };
}
