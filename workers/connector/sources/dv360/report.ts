/**
 * The Bid Manager v2 report flow (source-apis.md §1.1): create a ONE_TIME
 * STANDARD query for the window, run it, poll that report (never "the latest
 * report": it may be a previous run) with growing intervals until DONE or
 * FAILED, download the CSV from its signed link without credentials, emit it
 * in chunks, and delete the throwaway query.
 */
import type { HttpResponse, RawPage } from "../../source.ts";
import { DOWNLOAD_BUCKET, isExpiredLink } from "./classify.ts";
import { REPORT_GROUP_BYS, REPORT_METRICS, splitReportCsv } from "./report-csv.ts";
import { type Dv360Run, parseObject, STORAGE_ORIGIN } from "./run-state.ts";

export interface ReportOptions {
	/** First wait between polls. Default 5,000 ms (Google's sample). */
	pollInitialMs?: number;
	/** Longest wait between polls. Default 300,000 ms. */
	pollMaxMs?: number;
	/** Give up on a report still running after this long. Default 5 h in ms. */
	pollMaxElapsedMs?: number;
	/** Runs of the query before a FAILED report is given up. Default 2. */
	maxRuns?: number;
	/** Fresh signed links fetched after expired ones before giving up. Default 3. */
	maxLinkRefreshes?: number;
	/** Chunk size of emitted CSV pages, in characters. Default 8 MiB. */
	maxChunkChars?: number;
}

export interface PendingReport {
	queryId: string;
	reportId: string;
	report: Record<string, unknown>;
	runs: number;
}

const BUCKET = "bidmanager";

function date(iso: string) {
	const [year, month, day] = iso.split("-").map(Number);
	return { year, month, day };
}

function dataRange(run: Dv360Run) {
	const { from, to } = run.ctx.window;
	return { range: "CUSTOM_DATES", customStartDate: date(from), customEndDate: date(to) };
}

function reportPage(run: Dv360Run, suffix: string, body: string, url: string, method = "GET"): RawPage {
	const { from, to } = run.ctx.window;
	return {
		stream: "delivery",
		account: run.reportAccount,
		pageKey: `report:${from}..${to}:${suffix}`,
		page: 0,
		contentType: "application/json",
		body,
		request: { method, url: url.split("?")[0] ?? url },
	};
}

/** Parses a Query/Report response, rejecting it (raw body kept) when it lacks `field`. */
async function readJson(
	run: Dv360Run,
	response: HttpResponse,
	url: string,
	method: string,
	field: (json: Record<string, unknown>) => unknown,
): Promise<Record<string, unknown> | undefined> {
	const json = parseObject(response.text);
	if (json && typeof field(json) === "string") return json;
	await run.reject(
		reportPage(run, "control", response.text, url, method),
		`malformed Bid Manager response to ${method}`,
	);
	return undefined;
}

const reportKey = (report: Record<string, unknown>) => (report.key as Record<string, unknown> | undefined)?.reportId;
const reportState = (report: Record<string, unknown>): string => {
	const metadata = report.metadata as { status?: { state?: unknown } } | undefined;
	return typeof metadata?.status?.state === "string" ? metadata.status.state : "STATE_UNSPECIFIED";
};

/** Creates the query and runs it; the report generates while the entities are pulled. */
export async function startDeliveryReport(run: Dv360Run): Promise<PendingReport | undefined> {
	const { http, connection, window } = run.ctx;
	const filters = [
		...(run.partnerId ? [{ type: "FILTER_PARTNER", value: run.partnerId }] : []),
		...run.advertiserIds.map((id) => ({ type: "FILTER_ADVERTISER", value: id })),
	];
	const query = {
		metadata: {
			title: `pacer ${connection.id} delivery ${window.from}..${window.to}`,
			dataRange: dataRange(run),
			format: "CSV",
			sendNotification: false,
		},
		params: {
			type: "STANDARD",
			groupBys: REPORT_GROUP_BYS.map(([id]) => id),
			metrics: REPORT_METRICS.map(([id]) => id),
			filters,
		},
		schedule: { frequency: "ONE_TIME" },
	};
	const createUrl = `${run.reportingUrl}/v2/queries`;
	const created = await http.request({
		method: "POST",
		url: createUrl,
		body: query,
		bucket: BUCKET,
		account: run.reportAccount,
	});
	const json = await readJson(run, created, createUrl, "POST", (q) => q.queryId);
	if (!json) return undefined;
	const queryId = json.queryId as string;
	const report = await runQuery(run, queryId);
	return report ? { queryId, ...report, runs: 1 } : undefined;
}

async function runQuery(run: Dv360Run, queryId: string) {
	const url = `${run.reportingUrl}/v2/queries/${queryId}:run?synchronous=false`;
	const response = await run.ctx.http.request({
		method: "POST",
		url,
		body: { dataRange: dataRange(run) },
		bucket: BUCKET,
		account: run.reportAccount,
	});
	const report = await readJson(run, response, url, "POST", reportKey);
	return report ? { reportId: reportKey(report) as string, report } : undefined;
}

const reportUrl = (run: Dv360Run, pending: PendingReport) =>
	`${run.reportingUrl}/v2/queries/${pending.queryId}/reports/${pending.reportId}`;

async function getReport(run: Dv360Run, pending: PendingReport): Promise<Record<string, unknown> | undefined> {
	const url = reportUrl(run, pending);
	const response = await run.ctx.http.request({ method: "GET", url, bucket: BUCKET, account: run.reportAccount });
	return readJson(run, response, url, "GET", reportKey);
}

/** Polls until DONE (re-running a FAILED report once), then downloads and emits the CSV; deletes the query. */
export async function finishDeliveryReport(run: Dv360Run, pending: PendingReport, options: ReportOptions = {}) {
	const { ctx } = run;
	const initial = options.pollInitialMs ?? 5_000;
	const maxWait = options.pollMaxMs ?? 300_000;
	const maxElapsed = options.pollMaxElapsedMs ?? 5 * 3_600_000;
	let started = ctx.now().getTime();
	let wait = initial;
	let report = await getReport(run, pending);
	let linkRefreshes = 0;
	while (report) {
		const state = reportState(report);
		if (state === "DONE") {
			const path = (report.metadata as { googleCloudStoragePath?: unknown }).googleCloudStoragePath;
			const downloaded = typeof path === "string" ? await download(run, path, options) : "missing-link";
			if (downloaded === "done") break;
			if (downloaded === "expired" && linkRefreshes++ < (options.maxLinkRefreshes ?? 3)) {
				report = await getReport(run, pending);
				continue;
			}
			const reason = downloaded === "expired" ? "signed report link kept expiring" : "DONE report has no link";
			await run.reject(reportPage(run, "report", JSON.stringify(report), reportUrl(run, pending)), reason);
			break;
		}
		if (state === "FAILED") {
			if (pending.runs >= (options.maxRuns ?? 2)) {
				await run.reject(
					reportPage(run, "report", JSON.stringify(report), reportUrl(run, pending)),
					"Bid Manager report FAILED",
				);
				break;
			}
			ctx.logger.warn("dv360 report failed; running the query again", { query: pending.queryId });
			const again = await runQuery(run, pending.queryId);
			if (!again) break;
			Object.assign(pending, again, { runs: pending.runs + 1 });
			started = ctx.now().getTime();
			wait = initial;
			report = again.report;
			continue;
		}
		// QUEUED / RUNNING: not a success and not a failure; wait longer each time.
		if (ctx.now().getTime() - started >= maxElapsed) {
			const reason = `Bid Manager report still ${state} after ${Math.round(maxElapsed / 60_000)} min`;
			await run.reject(reportPage(run, "report", JSON.stringify(report), reportUrl(run, pending)), reason);
			break;
		}
		await ctx.sleep(wait);
		wait = Math.min(wait * 2, maxWait);
		report = await getReport(run, pending);
	}
	await deleteQuery(run, pending.queryId);
}

async function download(run: Dv360Run, link: string, options: ReportOptions): Promise<"done" | "expired"> {
	const url =
		run.downloadUrl && link.startsWith(STORAGE_ORIGIN) ? run.downloadUrl + link.slice(STORAGE_ORIGIN.length) : link;
	const response = await run.ctx.http.request({
		method: "GET",
		url,
		bucket: DOWNLOAD_BUCKET,
		account: run.reportAccount,
		anonymous: true,
	});
	if (isExpiredLink(response)) return "expired";
	const { from, to } = run.ctx.window;
	const page = (n: number, body: string): RawPage => ({
		stream: "delivery",
		account: run.reportAccount,
		pageKey: `report:${from}..${to}:chunk:${n}`,
		page: n,
		contentType: "text/csv",
		body,
		request: { method: "GET", url: url.split("?")[0] ?? url },
	});
	const csv = splitReportCsv(response.text, options.maxChunkChars);
	if (!csv.ok) {
		await run.reject(page(0, response.text), csv.reason);
		return "done";
	}
	for (const [n, chunk] of csv.chunks.entries()) await run.emit(page(n, chunk.body), chunk.rows);
	return "done";
}

async function deleteQuery(run: Dv360Run, queryId: string) {
	// Throwaway queries would pile up in the account (peers never delete theirs).
	await run.ctx.http.request({
		method: "DELETE",
		url: `${run.reportingUrl}/v2/queries/${queryId}`,
		bucket: BUCKET,
		account: run.reportAccount,
	});
}
