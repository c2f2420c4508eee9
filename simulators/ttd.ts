/**
 * Simulator of The Trade Desk Platform API v3 (source-apis.md §2, §7.1),
 * rendering the simulated world's TTD advertisers, campaigns, ad groups and
 * daily delivery: token authentication and the `TTD-Auth` header, entity
 * queries paged with PageStartIndex/PageSize, the My Reports schedule ->
 * execution -> signed download flow, and TTD's error shapes. Faults are
 * injected through the returned `faults`. Mount it under any prefix (e.g.
 * `/ttd`): URLs it hands out are built from the request's own origin and
 * prefix, so the API base for a client is `<origin><prefix>/v3`.
 */
import { randomBytes } from "node:crypto";
import { type Context, Hono } from "hono";
import {
	indexWorld,
	pageOf,
	readPaging,
	renderAdGroup,
	renderAdvertiser,
	renderCampaign,
	TTD_PARTNER_ID,
	validationError,
} from "./ttd-entities.ts";
import { createFaultState, type TtdFaults } from "./ttd-faults.ts";
import { registerReports } from "./ttd-reports.ts";
import type { World } from "./world.ts";

export type { TtdFaults } from "./ttd-faults.ts";
export { TTD_REPORT_COLUMNS, TTD_TEMPLATE } from "./ttd-reports.ts";

export interface TtdSimulatorOptions {
	/** Clock in epoch ms; pass the test clock so token and link expiry follow virtual time. Default Date.now. */
	now?: () => number;
	/** Login/password accepted by /v3/authentication. Default: any non-empty pair. */
	credentials?: { login: string; password: string };
	/** Lifetime of signed download links, ms. Default 3,600,000 (1 h, as peers observe). */
	downloadUrlTtlMs?: number;
	/** Execution queries that see a new execution Pending before it completes. Default 0. */
	pendingPolls?: number;
	/** Largest PageSize the entity queries accept. Default 1,000. */
	maxPageSize?: number;
}

/** One request the simulator answered (path below the mount prefix). */
export interface TtdRequestLog {
	method: string;
	path: string;
	status: number;
	atMs: number;
}

export interface TtdSimulator {
	app: Hono;
	faults: TtdFaults;
	/** The most recent requests (up to 10,000), oldest first: tests count logins, polls and retries with it. */
	requests: TtdRequestLog[];
}

const ROOTS = ["/v3/", "/download/"];

/** Builds the TTD simulator over `world`. */
export function createTtdSimulator(world: World, options: TtdSimulatorOptions = {}): TtdSimulator {
	const now = options.now ?? Date.now;
	const maxPageSize = options.maxPageSize ?? 1000;
	const index = indexWorld(world);
	const faultState = createFaultState(options.pendingPolls ?? 0);
	const tokens = new Map<string, number>();
	let revoked: { status: 401 | 403 } | null = null;
	const requests: TtdRequestLog[] = [];
	faultState.onExpireTokens = (status) => {
		tokens.clear();
		revoked = { status };
	};

	const prefixOf = (path: string) => {
		const at = Math.min(...ROOTS.map((root) => path.indexOf(root)).filter((i) => i >= 0));
		return Number.isFinite(at) ? path.slice(0, at) : "";
	};
	const baseOf = (c: Context) => `${new URL(c.req.url).origin}${prefixOf(c.req.path)}`;

	const app = new Hono();
	app.use("*", async (c, next) => {
		await next();
		requests.push({
			method: c.req.method,
			path: c.req.path.slice(prefixOf(c.req.path).length),
			status: c.res.status,
			atMs: now(),
		});
		if (requests.length > 10_000) requests.splice(0, requests.length - 10_000);
	});
	app.use("*", faultState.middleware(prefixOf));
	app.use("/v3/*", async (c, next) => {
		if (c.req.path.endsWith("/v3/authentication")) return next();
		const token = c.req.header("TTD-Auth");
		const expiresAt = token ? tokens.get(token) : undefined;
		if (expiresAt === undefined || now() >= expiresAt) {
			const status = expiresAt === undefined && revoked && token ? revoked.status : 401;
			const message = expiresAt === undefined ? "Authentication failed: invalid TTD-Auth token." : "Token expired.";
			return c.json({ Message: message }, status);
		}
		return next();
	});

	app.post("/v3/authentication", async (c) => {
		const body = await jsonBody(c);
		const login = body.Login;
		const password = body.Password;
		if (typeof login !== "string" || !login) return c.json(validationError("Login", "Login is required."), 400);
		if (typeof password !== "string" || !password) {
			return c.json(validationError("Password", "Password is required."), 400);
		}
		const minutes = body.TokenExpirationInMinutes ?? 1440;
		if (typeof minutes !== "number" || minutes < 1 || minutes > 1440) {
			return c.json(validationError("TokenExpirationInMinutes", "Must be between 1 and 1440."), 400);
		}
		const expected = options.credentials;
		if (expected && (expected.login !== login || expected.password !== password)) {
			return c.json({ Message: "Invalid login or password." }, 401);
		}
		const token = `ttdsim.${randomBytes(24).toString("base64url")}`;
		tokens.set(token, now() + minutes * 60_000);
		return c.json({ Token: token });
	});

	app.get("/v3/advertiser/:id", (c) => {
		const entry = index.advertisers.get(c.req.param("id"));
		return entry ? c.json(renderAdvertiser(entry.advertiser)) : noAccess(c);
	});

	app.post("/v3/advertiser/query/partner", async (c) => {
		const body = await jsonBody(c);
		if (body.PartnerId !== TTD_PARTNER_ID) return noAccess(c);
		const paging = readPaging(body, maxPageSize);
		if ("error" in paging) return c.json(paging.error, 400);
		const all = [...index.advertisers.values()].map((e) => e.advertiser);
		return c.json(pageOf(all, paging.start, paging.size, renderAdvertiser));
	});

	app.get("/v3/campaign/:id", (c) => {
		const campaign = index.campaigns.get(c.req.param("id"));
		return campaign ? c.json(renderCampaign(campaign, index)) : noAccess(c);
	});

	app.post("/v3/campaign/query/advertiser", async (c) => {
		const body = await jsonBody(c);
		const scope = scoped(body, "AdvertiserId", (id) => index.advertisers.has(id));
		if (scope instanceof Response) return scope;
		const paging = readPaging(body, maxPageSize);
		if ("error" in paging) return c.json(paging.error, 400);
		const all = index.campaignsByAdvertiser.get(scope) ?? [];
		return c.json(pageOf(all, paging.start, paging.size, (x) => renderCampaign(x, index)));
	});

	app.get("/v3/adgroup/:id", (c) => {
		const adGroup = index.adGroups.get(c.req.param("id"));
		return adGroup ? c.json(renderAdGroup(adGroup, index)) : noAccess(c);
	});

	for (const [path, field, lookup] of [
		["/v3/adgroup/query/advertiser", "AdvertiserId", index.adGroupsByAdvertiser],
		["/v3/adgroup/query/campaign", "CampaignId", index.adGroupsByCampaign],
	] as const) {
		app.post(path, async (c) => {
			const body = await jsonBody(c);
			const known = field === "AdvertiserId" ? index.advertisers : index.campaigns;
			const scope = scoped(body, field, (id) => known.has(id));
			if (scope instanceof Response) return scope;
			const paging = readPaging(body, maxPageSize);
			if ("error" in paging) return c.json(paging.error, 400);
			const all = lookup.get(scope) ?? [];
			return c.json(pageOf(all, paging.start, paging.size, (x) => renderAdGroup(x, index)));
		});
	}

	registerReports(app, {
		world,
		index,
		faults: faultState,
		now,
		downloadUrlTtlMs: options.downloadUrlTtlMs ?? 3_600_000,
		baseOf,
	});
	app.notFound((c) => c.json({ Message: `No route for ${c.req.method} ${c.req.path}.` }, 404));
	return { app, faults: faultState.faults, requests };
}

// TTD answers 403 both for "no access" and for an entity that does not exist.
function noAccess(c: Context): Response {
	return c.json({ Message: "Access denied: the entity does not exist or you do not have permission." }, 403);
}

function scoped(body: Record<string, unknown>, field: string, exists: (id: string) => boolean): string | Response {
	const id = body[field];
	if (typeof id !== "string" || !id) {
		return Response.json(validationError(field, `The ${field} field is required.`), { status: 400 });
	}
	if (!exists(id)) return Response.json({ Message: "Access denied: the entity does not exist." }, { status: 403 });
	return id;
}

async function jsonBody(c: Context): Promise<Record<string, unknown>> {
	const value: unknown = await c.req.json().catch(() => null);
	return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
