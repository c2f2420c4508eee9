/**
 * The DV360 source: daily delivery from a Bid Manager v2 report (stream
 * `delivery`, CSV chunks) and the DV360 API v4 entities (streams
 * `advertisers`, `campaigns`, `insertion_orders`, `line_items`), with a
 * Google service-account token for both APIs.
 *
 * Connection: `settings.partnerId` and/or `accounts` (advertiser ids);
 * `credentials.serviceAccountKey` (key file JSON, text or object);
 * `baseUrls.reporting` (Bid Manager), `baseUrls.api` (DV360 API),
 * `baseUrls.token` (token endpoint, overrides the key's token_uri),
 * `baseUrls.download` (replaces https://storage.googleapis.com in signed links).
 */
import { ValidationError } from "../../../../lib/errors.ts";
import { createGoogleServiceAccountAuth, type GoogleServiceAccountKey } from "../../auth/google-service-account.ts";
import type { Source } from "../../source.ts";
import { classifyDv360 } from "./classify.ts";
import { advertiserLists, listAll, pullAdvertisers } from "./entities.ts";
import { finishDeliveryReport, type ReportOptions, startDeliveryReport } from "./report.ts";
import { createDv360Run, guarded } from "./run-state.ts";

export { classifyDv360, DOWNLOAD_BUCKET } from "./classify.ts";
export type { ReportOptions } from "./report.ts";
export { EMPTY_REPORT_LINE, EXPECTED_HEADER, REPORT_GROUP_BYS, REPORT_METRICS, splitReportCsv } from "./report-csv.ts";

export const DV360_SCOPES = [
	"https://www.googleapis.com/auth/doubleclickbidmanager",
	"https://www.googleapis.com/auth/display-video",
];

/** Creates the DV360 source; `options` tune the report polling and chunking (defaults follow Google's guide). */
export function createDv360Source(options: ReportOptions = {}): Source {
	return {
		name: "dv360",
		quotas: {
			// Bid Manager: 4 queries/s and 2,000/day per project (§1.3).
			bidmanager: { perSecond: 4, perDay: 2_000 },
			// DV360 API: 1,500/min per project, of which 300/min per advertiser (§1.4).
			"dv360:": { perMinute: 1_500 },
			"dv360:advertiser:": { perMinute: 300 },
			// Signed report links on storage: no API quota, a few downloads at a time.
			"storage:": { concurrency: 4 },
		},
		// The CSV footer: "numbers may fluctuate for up to seven days".
		defaultLookbackDays: 7,
		createAuth(connection, deps) {
			const key = connection.credentials.serviceAccountKey;
			if (typeof key !== "string" && (typeof key !== "object" || key === null)) {
				throw new ValidationError(`DV360 connection ${connection.id} has no credentials.serviceAccountKey`, {
					context: { connection: connection.id },
				});
			}
			return createGoogleServiceAccountAuth({
				keyJson: key as GoogleServiceAccountKey | string,
				scopes: DV360_SCOPES,
				...(connection.baseUrls.token ? { tokenUrl: connection.baseUrls.token } : {}),
				fetch: deps.fetch,
				now: deps.now,
				logger: deps.logger,
			});
		},
		classify: classifyDv360,
		async run(ctx) {
			const run = createDv360Run(ctx);
			// The report takes minutes to generate: start it, pull the entities meanwhile, then poll.
			const pending = await guarded(run, "create and run the delivery query", () => startDeliveryReport(run));
			const advertisers = (await guarded(run, "advertisers", () => pullAdvertisers(run))) ?? run.advertiserIds;
			for (const advertiserId of advertisers) {
				for (const list of advertiserLists(run, advertiserId)) {
					await guarded(run, `${list.stream} of ${advertiserId}`, () => listAll(run, list));
				}
			}
			if (pending) await guarded(run, "delivery report", () => finishDeliveryReport(run, pending, options));
			return run.summary;
		},
	};
}
