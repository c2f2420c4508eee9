/**
 * What one Meta run shares between its report flow and its entity pulls: the
 * settings, the counts for the summary, and `get`/`post`, which describe each
 * Graph request to the framework and keep the pre-emptive pause: when a
 * successful response shows usage at or above the threshold, the next request
 * waits (`context.sleep`) for the time the headers give, at least a minute,
 * instead of running into a throttle that can last an hour.
 */
import { MetaAuthError } from "../../auth/meta-token.ts";
import { RequestFailedError } from "../../errors.ts";
import type { HttpResponse, RawPage, RunSummary, SourceRunContext } from "../../source.ts";
import type { MetaSettings } from "./settings.ts";
import { parseMetaUsage, usageWaitMs } from "./usage.ts";

/** A response with the URL it answered (for RawPage.request). */
export type SentResponse = HttpResponse & { url: string };

export interface MetaRun {
	ctx: SourceRunContext;
	settings: MetaSettings;
	summary: RunSummary;
	/** GETs a Graph path (relative to the versioned root) or an absolute URL (paging.next). */
	get(account: string, pathOrUrl: string, params?: Record<string, string>): Promise<SentResponse>;
	post(account: string, path: string, form: URLSearchParams): Promise<SentResponse>;
	emit(page: RawPage, rows: number): Promise<void>;
	reject(page: RawPage, reason: string): Promise<void>;
}

export function createMetaRun(ctx: SourceRunContext, settings: MetaSettings): MetaRun {
	const summary: RunSummary = { pages: 0, rows: 0, rejected: 0 };
	let pauseMs = 0;

	const send = async (
		account: string,
		method: "GET" | "POST",
		url: string,
		body?: URLSearchParams,
	): Promise<SentResponse> => {
		if (pauseMs > 0) {
			const wait = pauseMs;
			pauseMs = 0;
			ctx.logger.info("meta usage near its limit, pausing before the next request", { wait_ms: wait, account });
			await ctx.sleep(wait);
		}
		const response = await ctx.http.request({
			method,
			url,
			bucket: `meta:act_${account}`,
			account,
			...(body ? { body, headers: { "content-type": "application/x-www-form-urlencoded" } } : {}),
		});
		const usage = parseMetaUsage(response.headers);
		if (usage.maxPct >= settings.pauseThresholdPct) pauseMs = Math.max(settings.minPauseMs, usageWaitMs(usage));
		return { ...response, url };
	};

	return {
		ctx,
		settings,
		summary,
		get(account, pathOrUrl, params) {
			const url = new URL(/^https?:\/\//.test(pathOrUrl) ? pathOrUrl : `${settings.graphUrl}/${pathOrUrl}`);
			// graph.facebook.com puts the access token in paging.next; ours travels in the header (and may be newer).
			url.searchParams.delete("access_token");
			for (const [k, v] of Object.entries(params ?? {})) url.searchParams.set(k, v);
			return send(account, "GET", url.toString());
		},
		post: (account, path, form) => send(account, "POST", `${settings.graphUrl}/${path}`, form),
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
 * Runs one unit of work (one account's delivery, one entity list). A request
 * the policy gave up on is already in the DLQ, so the run goes on with the
 * next unit. A token that could not be renewed fails the run (every later
 * request would fail the same way); anything else (a bug, a cancelled run)
 * propagates too. Deliberately a copy of DV360's: sources do not import each other.
 */
export async function guarded<T>(run: MetaRun, what: string, work: () => Promise<T>): Promise<T | undefined> {
	try {
		return await work();
	} catch (error) {
		if (!(error instanceof RequestFailedError) || error.kind === "aborted") throw error;
		if (error.kind === "auth" || error.cause instanceof MetaAuthError) throw error;
		run.ctx.logger.warn("meta request gave up; going on with the next unit", {
			what,
			kind: error.kind,
			reason: error.reason,
			url: error.request.url,
		});
		return undefined;
	}
}
