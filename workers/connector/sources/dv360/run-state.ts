/**
 * What one DV360 run shares between its report flow and its entity pulls:
 * the hosts (each overridable per connection), the scope (partner and/or
 * advertisers) and the counts for the run summary.
 */
import { ValidationError } from "../../../../lib/errors.ts";
import { RequestFailedError } from "../../errors.ts";
import type { RawPage, RunSummary, SourceRunContext } from "../../source.ts";

export const DEFAULT_REPORTING_URL = "https://doubleclickbidmanager.googleapis.com";
export const DEFAULT_API_URL = "https://displayvideo.googleapis.com";
export const STORAGE_ORIGIN = "https://storage.googleapis.com";

export interface Dv360Run {
	ctx: SourceRunContext;
	/** Bid Manager API root (connection.baseUrls.reporting). */
	reportingUrl: string;
	/** DV360 API root (connection.baseUrls.api). */
	apiUrl: string;
	/** Replaces the storage.googleapis.com origin of signed links (connection.baseUrls.download), if set. */
	downloadUrl: string | undefined;
	partnerId: string | undefined;
	/** Configured advertiser ids; empty means every advertiser of the partner. */
	advertiserIds: string[];
	/** The account delivery pages are filed under: the partner, else the advertiser ids joined. */
	reportAccount: string;
	summary: RunSummary;
	emit(page: RawPage, rows: number): Promise<void>;
	reject(page: RawPage, reason: string): Promise<void>;
}

const trim = (url: string) => url.replace(/\/+$/, "");

export function createDv360Run(ctx: SourceRunContext): Dv360Run {
	const { connection } = ctx;
	const rawPartner = connection.settings.partnerId;
	const partnerId =
		rawPartner === undefined || rawPartner === null || rawPartner === "" ? undefined : String(rawPartner);
	const advertiserIds = connection.accounts.map(String);
	if (!partnerId && advertiserIds.length === 0) {
		throw new ValidationError(`DV360 connection ${connection.id} names neither settings.partnerId nor advertiser ids`, {
			context: { connection: connection.id },
		});
	}
	const summary: RunSummary = { pages: 0, rows: 0, rejected: 0 };
	return {
		ctx,
		reportingUrl: trim(connection.baseUrls.reporting ?? DEFAULT_REPORTING_URL),
		apiUrl: trim(connection.baseUrls.api ?? DEFAULT_API_URL),
		downloadUrl: connection.baseUrls.download ? trim(connection.baseUrls.download) : undefined,
		partnerId,
		advertiserIds,
		reportAccount: partnerId ?? advertiserIds.join(","),
		summary,
		async emit(page, rows) {
			await ctx.emit(page);
			summary.pages++;
			summary.rows += rows;
		},
		async reject(page, reason) {
			await ctx.reject(page, reason);
			summary.rejected++;
		},
	};
}

/**
 * Runs one unit of work (the report, one advertiser's entities). A request
 * the policy gave up on is already in the DLQ, so the run goes on with the
 * next unit; anything else (a bug, a cancelled run) propagates.
 */
export async function guarded<T>(run: Dv360Run, what: string, work: () => Promise<T>): Promise<T | undefined> {
	try {
		return await work();
	} catch (error) {
		if (!(error instanceof RequestFailedError) || error.kind === "aborted") throw error;
		run.ctx.logger.warn("dv360 request gave up; going on with the next one", {
			what,
			kind: error.kind,
			reason: error.reason,
			url: error.request.url,
		});
		return undefined;
	}
}

/** Parses a JSON object body; undefined when it is not one. */
export function parseObject(text: string): Record<string, unknown> | undefined {
	try {
		const value = JSON.parse(text);
		return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
	} catch {
		return undefined;
	}
}
