/**
 * The Insights async report flow (source-apis.md §3.2): `POST
 * /act_{id}/insights` (level, time_increment=1, time_range = the window)
 * returns a `report_run_id`; `GET /{run}` is polled with growing intervals
 * while `async_status` is Job Not Started, Job Started or Job Running (also
 * at 100 %, a transient peers trip over): "still running" is neither success
 * nor a retry. Job Failed, Job Skipped or a run past the job timeout starts a
 * new run, up to `maxJobAttempts`; then the last status goes to the DLQ.
 * Completed runs are paged with cursors as the `delivery` stream, one raw
 * page per response, keyed by window and page number (never the run id).
 */
import { redactUrl } from "../../redact.ts";
import type { RawPage } from "../../source.ts";
import { missingFields, readGraphPage, requiredInsightsFields } from "./pages.ts";
import type { MetaRun, SentResponse } from "./run-state.ts";

export const INSIGHTS_FIELDS = [
	"account_id",
	"account_name",
	"account_currency",
	"campaign_id",
	"campaign_name",
	"adset_id",
	"adset_name",
	"ad_id",
	"ad_name",
	"impressions",
	"clicks",
	"spend",
	"actions",
];

export interface PendingReport {
	account: string;
	runId: string;
	startedAtMs: number;
	/** Runs started for this window so far. */
	attempts: number;
}

/** Fields a level can report: ids and names of that level and above. */
function fieldsFor(level: string): string[] {
	const depth = ["account", "campaign", "adset", "ad"].indexOf(level);
	return INSIGHTS_FIELDS.filter((f) => {
		const owner = ["campaign", "adset", "ad"].findIndex((p) => f.startsWith(`${p}_`));
		return owner === -1 || owner + 1 <= depth;
	});
}

function controlPage(run: MetaRun, account: string, what: string, response: SentResponse, method: string): RawPage {
	const { from, to } = run.ctx.window;
	return {
		stream: "delivery",
		account,
		pageKey: `report:${from}..${to}:${what}`,
		page: 0,
		contentType: "application/json",
		body: response.text,
		request: { method, url: redactUrl(response.url) },
	};
}

function parseObject(text: string): Record<string, unknown> | undefined {
	try {
		const value = JSON.parse(text);
		return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
	} catch {
		return undefined;
	}
}

/** Starts a report run for the window; undefined (and the body in the DLQ) when Meta answers without a run id. */
export async function startReport(run: MetaRun, account: string, attempts = 0): Promise<PendingReport | undefined> {
	const { window } = run.ctx;
	const form = new URLSearchParams({
		level: run.settings.level,
		time_increment: "1",
		time_range: JSON.stringify({ since: window.from, until: window.to }),
		fields: fieldsFor(run.settings.level).join(","),
	});
	const response = await run.post(account, `act_${account}/insights`, form);
	const runId = parseObject(response.text)?.report_run_id;
	if (typeof runId !== "string" && typeof runId !== "number") {
		await run.reject(controlPage(run, account, "create", response, "POST"), "report run answer has no report_run_id");
		return undefined;
	}
	return { account, runId: String(runId), startedAtMs: run.ctx.now().getTime(), attempts: attempts + 1 };
}

/** Polls the run to an end, restarting failed or stuck runs, then pages the results. */
export async function finishReport(run: MetaRun, first: PendingReport): Promise<void> {
	const { settings, ctx } = run;
	let pending = first;
	let delay = settings.pollInitialMs;
	for (;;) {
		const response = await run.get(pending.account, pending.runId);
		const status = parseObject(response.text);
		const state = typeof status?.async_status === "string" ? status.async_status : undefined;
		if (!state)
			await run.reject(
				controlPage(run, pending.account, "status", response, "GET"),
				"report run status has no async_status",
			);
		if (state === "Job Completed") return pageResults(run, pending);
		const elapsed = ctx.now().getTime() - pending.startedAtMs;
		const ended = state === "Job Failed" || state === "Job Skipped";
		if (ended || elapsed > settings.jobTimeoutMs) {
			const why = ended ? state : `still ${state ?? "unreadable"} after ${Math.round(elapsed / 1000)} s`;
			if (pending.attempts >= settings.maxJobAttempts) {
				await run.reject(
					controlPage(run, pending.account, "status", response, "GET"),
					`report run for act_${pending.account} ${why} (attempt ${pending.attempts} of ${settings.maxJobAttempts}); giving up`,
				);
				return;
			}
			ctx.logger.warn("meta report run did not complete; starting a new one", { account: pending.account, why });
			const again = await startReport(run, pending.account, pending.attempts);
			if (!again) return;
			pending = again;
			delay = settings.pollInitialMs;
			continue;
		}
		await ctx.sleep(delay);
		delay = Math.min(delay * 2, settings.pollMaxMs);
	}
}

async function pageResults(run: MetaRun, pending: PendingReport): Promise<void> {
	const { from, to } = run.ctx.window;
	const required = requiredInsightsFields(run.settings.level);
	let next: string | null = `${pending.runId}/insights`;
	let params: Record<string, string> | undefined = { limit: String(run.settings.pageSize) };
	for (let n = 0; next; n++) {
		const response = await run.get(pending.account, next, params);
		params = undefined;
		const raw = (body: string): RawPage => ({
			stream: "delivery",
			account: pending.account,
			pageKey: `report:${from}..${to}:${run.settings.level}:page:${n}`,
			page: n,
			contentType: "application/json",
			body,
			request: { method: "GET", url: redactUrl(response.url) },
		});
		const page = readGraphPage(response.text);
		if (!page.ok) {
			await run.reject(raw(response.text), `insights page ${n}: ${page.reason}`);
			return;
		}
		next = page.next;
		const problem = missingFields(page.rows, required);
		if (problem) await run.reject(raw(response.text), `insights page ${n}: ${problem}`);
		else await run.emit(raw(page.body), page.rows.length);
	}
}
