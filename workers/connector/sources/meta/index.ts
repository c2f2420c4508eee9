/**
 * The Meta source: daily delivery from Insights async report runs (stream
 * `delivery`, at `settings.level`, default adset) and the `campaigns` and
 * `ad_sets` entities with budgets and schedules, for every ad account of the
 * connection, with a long-lived or system-user token. See settings.ts for
 * the connection fields.
 */
import { ValidationError } from "../../../../lib/errors.ts";
import { createMetaTokenAuth } from "../../auth/meta-token.ts";
import type { Source } from "../../source.ts";
import { classifyMeta } from "./classify.ts";
import { AD_SETS, CAMPAIGNS, pullEntities } from "./entities.ts";
import { finishReport, startReport } from "./report.ts";
import { createMetaRun, guarded } from "./run-state.ts";
import {
	DEFAULT_API_VERSION,
	DEFAULT_GRAPH_URL,
	type MetaSourceOptions,
	readMetaSettings,
	withVersion,
} from "./settings.ts";

export { classifyMeta, isThrottleCode, parseGraphError } from "./classify.ts";
export type { InsightsRow } from "./pages.ts";
export { DEFAULT_CONVERSION_ACTIONS, decimalToMicros, parseInsightsRow, readGraphPage } from "./pages.ts";
export type { InsightsLevel, MetaSourceOptions } from "./settings.ts";
export { parseMetaUsage } from "./usage.ts";

/** Creates the Meta source; `options` tune polling, job restarts and the usage pause (defaults in settings.ts). */
export function createMetaSource(options: MetaSourceOptions = {}): Source {
	return {
		name: "meta",
		// Meta's quotas are dynamic (BUC formulas per ad account and hour) and
		// announced in the usage headers on every response, which the source and
		// `classify` honour; the static quota only bounds concurrency per account.
		quotas: { "meta:": { concurrency: 4 } },
		// "Facebook freezes insight data 28 days after it was generated" (§3.6).
		defaultLookbackDays: 28,
		createAuth(connection, deps) {
			const { accessToken, appId, appSecret } = connection.credentials;
			if (typeof accessToken !== "string" || !accessToken)
				throw new ValidationError(`Meta connection ${connection.id} has no credentials.accessToken`, {
					context: { connection: connection.id },
				});
			const version = String(connection.settings.apiVersion ?? DEFAULT_API_VERSION);
			return createMetaTokenAuth({
				accessToken,
				appId: typeof appId === "string" ? appId : undefined,
				appSecret: typeof appSecret === "string" ? appSecret : undefined,
				graphUrl: withVersion(connection.baseUrls.token ?? connection.baseUrls.api ?? DEFAULT_GRAPH_URL, version),
				fetch: deps.fetch,
				now: deps.now,
				logger: deps.logger,
			});
		},
		classify: classifyMeta,
		async run(ctx) {
			const run = createMetaRun(ctx, readMetaSettings(ctx.connection, options));
			for (const account of run.settings.accounts) {
				// A report run takes a while: start it, pull the entities meanwhile, then poll.
				const pending = await guarded(run, `start report act_${account}`, () => startReport(run, account));
				await guarded(run, `campaigns act_${account}`, () => pullEntities(run, account, CAMPAIGNS));
				await guarded(run, `ad sets act_${account}`, () => pullEntities(run, account, AD_SETS));
				if (pending) await guarded(run, `report act_${account}`, () => finishReport(run, pending));
			}
			return run.summary;
		},
	};
}
