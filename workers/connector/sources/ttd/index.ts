/**
 * The Trade Desk source (source-apis.md §2): token auth with `TTD-Auth`, the
 * configured advertisers with their campaigns and ad groups (budgets, flights,
 * pacing) paged to the end, and daily ad-group delivery through My Reports.
 * Streams: advertisers, campaigns, ad_groups (JSON pages), delivery (CSV per
 * advertiser and window chunk, columns of the "Pacer Ad Group Performance"
 * template: Date, Advertiser ID, Campaign ID, Ad Group ID, Impressions,
 * Clicks, Advertiser Cost (Adv Currency), All Last Click + View Conversions).
 * TTD publishes no numeric rate limit, only "at most 4 concurrent callers",
 * so the quota is a concurrency cap and throttles are waited out from 429s.
 */
import { createTtdTokenAuth } from "../../auth/ttd-token.ts";
import type { Connection, RunSummary, Source, SourceRunContext } from "../../source.ts";
import { classifyTtd, TTD_DOWNLOAD_BUCKET } from "./classify.ts";
import { type Counts, pullEntities } from "./entities.ts";
import { chunkWindow, findTemplate, pullDelivery } from "./reports.ts";
import { readSettings } from "./settings.ts";

export { classifyTtd, parseRetryAfter, TTD_DOWNLOAD_BUCKET } from "./classify.ts";
export { checkHeader, countDataRows, TTD_REQUIRED_COLUMNS } from "./csv.ts";
export { chunkWindow } from "./reports.ts";
export { readSettings, TTD_API_URL, TTD_DEFAULT_TEMPLATE_NAME, type TtdSettings } from "./settings.ts";

/** Creates the TTD source. */
export function createTtdSource(): Source {
	return {
		name: "ttd",
		quotas: {
			ttd: { concurrency: 4 },
			// Signed report links live on a storage host, outside the API's quota.
			[TTD_DOWNLOAD_BUCKET]: { concurrency: 4 },
		},
		defaultLookbackDays: 7,
		createAuth(connection: Connection, deps) {
			const c = connection.credentials;
			const text = (key: string) => (typeof c[key] === "string" ? (c[key] as string) : undefined);
			const minutes = c.tokenExpirationInMinutes;
			return createTtdTokenAuth({
				authUrl: readSettings(connection).authUrl,
				login: text("login"),
				password: text("password"),
				token: text("token"),
				tokenExpirationInMinutes: typeof minutes === "number" ? minutes : undefined,
				fetch: deps.fetch,
				now: deps.now,
				logger: deps.logger,
			});
		},
		classify: classifyTtd,
		run,
	};
}

async function run(context: SourceRunContext): Promise<RunSummary> {
	const settings = readSettings(context.connection);
	const counts: Counts = { pages: 0, rows: 0, rejected: 0 };
	const advertisers = [...new Set(context.connection.accounts)];
	const chunks = chunkWindow(context.window, settings.reportChunkDays);
	let template: Promise<number | null> | undefined;
	const tasks: (() => Promise<void>)[] = [];
	for (const advertiserId of advertisers) {
		tasks.push(() => pullEntities(context, settings, advertiserId, counts));
		for (const [index, chunk] of chunks.entries()) {
			tasks.push(async () => {
				template ??= findTemplate(context, settings, counts);
				const templateId = await template;
				if (templateId !== null) await pullDelivery(context, settings, templateId, advertiserId, chunk, index, counts);
			});
		}
	}
	// A few tasks at once keep the 4 allowed calls busy while others wait on report polls.
	let next = 0;
	const worker = async () => {
		while (next < tasks.length && !context.signal.aborted) await (tasks[next++] as () => Promise<void>)();
	};
	await Promise.all(Array.from({ length: Math.min(settings.concurrency, tasks.length) }, worker));
	context.signal.throwIfAborted();
	return counts;
}
