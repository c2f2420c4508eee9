/**
 * A local Meta Marketing API (Graph API) for tests, the demo and the bench,
 * following source-apis.md §3 and §7.1: async Insights report runs, cursor
 * paging (`paging.next` only when there is another page, built from the
 * request's own URL so it works under any mount prefix), campaigns and ad
 * sets, usage headers on every response, throttling as HTTP 400 with the
 * code in the body, code 190 for bad tokens, and the faults of
 * meta-faults.ts. Time comes from `now`, so tests drive it with a virtual clock.
 */
import type { Context } from "hono";
import { Hono } from "hono";
import type { MetaTokens } from "./meta-auth.ts";
import { createTokenRegistry, debugToken, exchangeToken, oauthError, tokenOf } from "./meta-auth.ts";
import type { Json, MetaAccount } from "./meta-data.ts";
import { ADSET_FIELDS, CAMPAIGN_FIELDS, indexAccounts, project, renderAdSets, renderCampaigns } from "./meta-data.ts";
import type { MetaFaults, MetaRoute } from "./meta-faults.ts";
import { createFaultState, createFaults, take } from "./meta-faults.ts";
import type { GraphError } from "./meta-reports.ts";
import { createReportStore, parseInsightsQuery } from "./meta-reports.ts";
import { usageHeaders } from "./meta-usage.ts";
import type { World } from "./world.ts";

export type { MetaTokens } from "./meta-auth.ts";
export type { MetaFaults, MetaRoute, ThrottleCode } from "./meta-faults.ts";

export interface MetaSimulatorOptions {
	/** Clock in ms since the epoch. Default Date.now. */
	now?: () => number;
	/** App credentials accepted by fb_exchange_token and as `{id}|{secret}` app tokens. Default sim-app / sim-secret. */
	appId?: string;
	appSecret?: string;
	/** Polls before a report run completes (0–4). Default 4: Not Started, Started, Running 50 %, Running 100 %. */
	pollsToComplete?: number;
	/** Largest `limit` honoured on a page. Default 10000 (the bench asks for big pages). */
	maxPageSize?: number;
}

export interface MetaSimulatorStats {
	requests: number;
	throttled: number;
	reportsCreated: number;
	polls: number;
	byRoute: Record<string, number>;
}

export interface MetaSimulator {
	app: Hono;
	faults: MetaFaults;
	/** Issue, expire and revoke access tokens on the injected clock. */
	tokens: MetaTokens;
	stats: MetaSimulatorStats;
	appId: string;
	appSecret: string;
}

const VERSION = "/:version{v[0-9]+\\.[0-9]+}";

/** Builds the simulator app over a world. */
export function createMetaSimulator(world: World, options: MetaSimulatorOptions = {}): MetaSimulator {
	const nowMs = options.now ?? Date.now;
	const app = { id: options.appId ?? "sim-app", secret: options.appSecret ?? "sim-secret" };
	const maxPageSize = options.maxPageSize ?? 10_000;
	const accounts = indexAccounts(world);
	const state = createFaultState();
	const tokens = createTokenRegistry(nowMs);
	const reports = createReportStore(world, state, { nowMs, pollsToComplete: options.pollsToComplete ?? 4 });
	const stats: MetaSimulatorStats = { requests: 0, throttled: 0, reportsCreated: 0, polls: 0, byRoute: {} };
	const hono = new Hono();

	const fail = (c: Context, e: GraphError, headers: Record<string, string>) => {
		for (const [k, v] of Object.entries(headers)) c.header(k, v);
		return c.json({ error: { type: "OAuthException", ...e.error, fbtrace_id: "AsimTrace1" } }, e.status as 400);
	};

	/** Everything every API request goes through: auth, throttles, counted faults, usage headers. */
	async function api(
		c: Context,
		route: MetaRoute,
		account: MetaAccount | undefined,
		handle: () => Json | GraphError | Promise<Json | GraphError>,
	): Promise<Response> {
		stats.requests++;
		stats.byRoute[route] = (stats.byRoute[route] ?? 0) + 1;
		const now = nowMs();
		const usage = usageHeaders(state, now, account?.advertiser.id, route);
		const authFault = state.authFailures.find((f) => f.remaining > 0);
		if (authFault) authFault.remaining--;
		const problem = authFault
			? { message: "Error validating access token: Session has expired.", subcode: authFault.subcode }
			: tokens.problem(tokenOf(c));
		if (problem) {
			for (const [k, v] of Object.entries(usage.headers)) c.header(k, v);
			return oauthError(c, problem.message, 190, problem.subcode);
		}
		if (usage.throttle) {
			stats.throttled++;
			return fail(c, { status: 400, error: { ...usage.throttle, is_transient: true } }, usage.headers);
		}
		const serverError = take(state.serverErrors, route);
		if (serverError?.kind === "5xx") {
			for (const [k, v] of Object.entries(usage.headers)) c.header(k, v);
			return c.text("Service temporarily unavailable", 503);
		}
		if (serverError)
			return fail(
				c,
				serverError.kind === "code2"
					? {
							status: 500,
							error: {
								message: "An unexpected error has occurred. Please retry your request later.",
								code: 2,
								is_transient: true,
							},
						}
					: {
							status: 500,
							error: {
								message: "Please reduce the amount of data you're asking for, then retry your request",
								code: 1,
								error_subcode: 99,
							},
						},
				usage.headers,
			);
		const result = await handle();
		if ("error" in result && "status" in result) return fail(c, result as GraphError, usage.headers);
		for (const [k, v] of Object.entries(usage.headers)) c.header(k, v);
		if (take(state.missingFields, route)) breakRows(result, route);
		const body = JSON.stringify(result);
		c.header("Content-Type", "application/json; charset=UTF-8");
		if (take(state.badJson, route)) return c.body(body.slice(0, Math.max(1, Math.floor(body.length / 2))));
		return c.body(body);
	}

	const accountOf = (node: string): MetaAccount | undefined =>
		node.startsWith("act_") ? accounts.get(node.slice(4)) : undefined;
	const noNode = (node: string): GraphError => ({
		status: 400,
		error: {
			message: `Unsupported get request. Object with ID '${node}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
			code: 100,
			error_subcode: 33,
		},
	});

	/** `{data, paging}` for rows with `limit`/`after`; `paging.next` only when more rows follow. */
	function page(c: Context, rows: Json[], defaultLimit: number): Json | GraphError {
		const limit = Math.min(maxPageSize, Math.max(1, Number(c.req.query("limit") ?? defaultLimit) || defaultLimit));
		const after = c.req.query("after");
		let start = 0;
		if (after) {
			start = Number(atob(after.replace(/-/g, "+").replace(/_/g, "/")).replace(/^off:/, ""));
			if (!Number.isInteger(start) || start < 0)
				return { status: 400, error: { message: "(#100) Invalid cursor", code: 100 } };
		}
		const data = rows.slice(start, start + limit);
		const cursor = (n: number) => btoa(`off:${n}`).replace(/=+$/, "");
		const paging: Json = { cursors: { before: cursor(start), after: cursor(start + data.length) } };
		if (start + data.length < rows.length) {
			const next = new URL(c.req.url);
			next.searchParams.set("limit", String(limit));
			next.searchParams.set("after", cursor(start + data.length));
			paging.next = next.toString();
		}
		return { data, paging };
	}

	const fieldsOf = (c: Context) => (c.req.query("fields") ?? "").split(",").filter(Boolean);
	function entities(c: Context, rows: Json[], allowed: Set<string>, node: string): Json | GraphError {
		const fields = fieldsOf(c);
		const unknown = fields.find((f) => !allowed.has(f) || state.removedFields.has(f));
		if (unknown)
			return {
				status: 400,
				error: { message: `(#100) Tried accessing nonexisting field (${unknown}) on node type (${node})`, code: 100 },
			};
		return page(c, project(rows, fields.length ? fields : ["id"], ["id"]), 25);
	}

	async function params(c: Context): Promise<Record<string, unknown>> {
		const query: Record<string, unknown> = { ...c.req.query() };
		if (c.req.method !== "POST") return query;
		const type = c.req.header("content-type") ?? "";
		if (type.includes("application/json")) return { ...query, ...((await c.req.json()) as Json) };
		return { ...query, ...(await c.req.parseBody()) };
	}

	for (const prefix of ["", VERSION]) {
		hono.get(`${prefix}/oauth/access_token`, (c) => exchangeToken(c, tokens, app, nowMs()));
		hono.get(`${prefix}/debug_token`, (c) => debugToken(c, tokens, app));
	}

	hono.post(`${VERSION}/:node/insights`, (c) => {
		const node = c.req.param("node");
		const account = accountOf(node);
		return api(c, "report", account, async () => {
			if (!account) return noNode(node);
			const query = parseInsightsQuery(await params(c), nowMs(), state.removedFields);
			if ("error" in query) return query;
			stats.reportsCreated++;
			return { report_run_id: reports.create(account, query).id };
		});
	});

	hono.get(`${VERSION}/:node/:edge`, (c) => {
		const { node, edge } = c.req.param();
		const run = reports.get(node);
		const account = run?.account ?? accountOf(node);
		const route: MetaRoute = edge === "insights" ? "results" : edge === "adsets" ? "adsets" : "campaigns";
		return api(c, route, account, () => {
			if (!account) return noNode(node);
			if (edge === "campaigns") return entities(c, renderCampaigns(account), CAMPAIGN_FIELDS, "Campaign");
			if (edge === "adsets") return entities(c, renderAdSets(account), ADSET_FIELDS, "AdSet");
			if (edge !== "insights") return noNode(`${node}/${edge}`);
			if (!run)
				return { status: 400, error: { message: "(#100) Use POST for async insights in the simulator", code: 100 } };
			const rows = reports.rows(run);
			if (!rows)
				return {
					status: 400,
					error: { message: "(#2601) Report run is not complete or cannot be accessed", code: 2601 },
				};
			return page(c, rows, 25);
		});
	});

	hono.get(`${VERSION}/:node`, (c) => {
		const node = c.req.param("node");
		const run = reports.get(node);
		const account = run?.account ?? accountOf(node);
		return api(c, run ? "status" : "any", account, () => {
			if (run) {
				stats.polls++;
				return reports.poll(run);
			}
			if (!account) return noNode(node);
			const a = account.advertiser;
			return {
				id: node,
				account_id: a.id,
				name: a.name,
				currency: a.currency,
				timezone_name: account.org.org.timezone,
				account_status: 1,
			};
		});
	});

	return { app: hono, faults: createFaults(state, nowMs), tokens, stats, appId: app.id, appSecret: app.secret };
}

/** Drops required fields from a page's rows (the "page missing required fields" fault). */
function breakRows(result: Json, route: MetaRoute): void {
	if (!Array.isArray(result.data)) return;
	// Copies: report rows are cached for the run's later pages and re-reads.
	result.data = (result.data as Json[]).map((row) => {
		const copy = { ...row };
		if (route === "results") {
			delete copy.date_start;
			delete copy.spend;
		} else delete copy.id;
		return copy;
	});
}
