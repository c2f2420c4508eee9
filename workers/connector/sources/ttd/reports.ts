/**
 * Daily delivery through TTD My Reports (source-apis.md §2.4): per advertiser
 * and window chunk, create a one-off report schedule on the ad-group template,
 * poll its execution with growing intervals until `Complete` ("Pending" is
 * neither success nor a retry), download the CSV from the delivery's signed
 * link (re-querying the execution for a fresh link when it expired), emit it
 * raw as the `delivery` stream and delete the schedule. A new schedule every
 * run, never a reused one: a "Once" schedule's execution holds the numbers of
 * the day it ran, and the point of re-pulling is to see restated days.
 */
import type { DateWindow, HttpResponse, SourceRunContext } from "../../source.ts";
import { TTD_DOWNLOAD_BUCKET } from "./classify.ts";
import { checkHeader, countDataRows } from "./csv.ts";
import { type Counts, rawPage, send } from "./entities.ts";
import { parseObject, type TtdSettings, withoutQuery } from "./settings.ts";

type Execution = Record<string, unknown>;
type Outcome =
	| { kind: "complete"; execution: Execution; response: HttpResponse }
	| { kind: "failed" | "timeout" | "malformed"; reason: string; response: HttpResponse };

/** Splits an inclusive window into chunks of at most `days` days. */
export function chunkWindow(window: DateWindow, days: number): DateWindow[] {
	const chunks: DateWindow[] = [];
	for (let from = window.from; from <= window.to; from = addDays(from, days)) {
		const end = addDays(from, days - 1);
		chunks.push({ from, to: end.localeCompare(window.to) > 0 ? window.to : end });
	}
	return chunks;
}

/** Finds the report template id: configured, or by name. Null (and a quarantined page) when it does not exist. */
export async function findTemplate(context: SourceRunContext, settings: TtdSettings, counts: Counts) {
	if (settings.reportTemplateId !== null) return settings.reportTemplateId;
	const url = `${settings.apiUrl}/myreports/reporttemplateheader/query`;
	const body = { NameContains: settings.reportTemplateName, PageStartIndex: 0, PageSize: 100 };
	const response = await send(context, { method: "POST", url, body, account: "templates" });
	if (!response) return null;
	const result = parseObject(response.text)?.Result;
	const found = Array.isArray(result)
		? (result as Record<string, unknown>[]).find((t) => t.Name === settings.reportTemplateName)
		: undefined;
	if (typeof found?.ReportTemplateId === "number") return found.ReportTemplateId;
	const reason = Array.isArray(result)
		? `report template "${settings.reportTemplateName}" not found`
		: "report template query response is malformed";
	await context.reject(rawPage("delivery", "*", "template", 0, response, "POST", url), reason);
	counts.rejected++;
	return null;
}

/** Pulls one chunk of delivery for one advertiser. */
export async function pullDelivery(
	context: SourceRunContext,
	settings: TtdSettings,
	templateId: number,
	advertiserId: string,
	chunk: DateWindow,
	index: number,
	counts: Counts,
): Promise<void> {
	const key = `report:${chunk.from}..${chunk.to}`;
	const api = settings.apiUrl;
	const schedule = {
		ReportScheduleName: `pacer ${context.connection.id} ${advertiserId} ${chunk.from}..${chunk.to}`,
		ReportTemplateId: templateId,
		AdvertiserFilters: [advertiserId],
		ReportStartDateInclusive: `${chunk.from}T00:00:00`,
		ReportEndDateExclusive: `${addDays(chunk.to, 1)}T00:00:00`,
		ReportFileFormat: "CSV",
		ReportDateRange: "Custom",
		TimeZone: settings.reportTimeZone,
		ReportDateFormat: "Sortable",
		ReportNumericFormat: "US",
		IncludeHeaders: true,
		ReportFrequency: "Once",
	};
	const quarantine = async (response: HttpResponse, url: string, reason: string) => {
		const type = response.headers.get("content-type")?.split(";")[0] ?? "text/plain";
		await context.reject(rawPage("delivery", advertiserId, key, index, response, "GET", url, type), reason);
		counts.rejected++;
	};
	for (let attempt = 1; attempt <= settings.reportAttempts; attempt++) {
		const created = await send(context, {
			method: "POST",
			url: `${api}/myreports/reportschedule`,
			body: schedule,
			account: advertiserId,
		});
		if (!created) return;
		const scheduleId = parseObject(created.text)?.ReportScheduleId;
		if (typeof scheduleId !== "number" && typeof scheduleId !== "string") {
			return quarantine(created, `${api}/myreports/reportschedule`, "report schedule response lacks ReportScheduleId");
		}
		try {
			const outcome = await awaitExecution(context, settings, advertiserId, scheduleId);
			if (!outcome) return;
			if (outcome.kind === "failed" && attempt < settings.reportAttempts) {
				context.logger.warn("ttd report execution failed; running it again", { advertiserId, attempt });
				await context.sleep(1000 * 2 ** (attempt - 1));
				continue;
			}
			if (outcome.kind !== "complete") {
				const suffix = outcome.kind === "failed" ? ` (${attempt} executions)` : "";
				return quarantine(outcome.response, executionsUrl(api), `${outcome.reason}${suffix}`);
			}
			const csv = await download(context, settings, advertiserId, scheduleId, outcome.execution, outcome.response);
			if (!csv) return;
			const url = withoutQuery(csv.url);
			if (csv.problem) return quarantine(csv.response, url, csv.problem);
			const problem = checkHeader(csv.response.text);
			if (problem && csv.response.text.trim() !== "") return quarantine(csv.response, url, problem);
			await context.emit(rawPage("delivery", advertiserId, key, index, csv.response, "GET", url, "text/csv"));
			counts.pages++;
			counts.rows += countDataRows(csv.response.text);
			return;
		} finally {
			await send(context, {
				method: "DELETE",
				url: `${api}/myreports/reportschedule/${scheduleId}`,
				account: advertiserId,
			});
		}
	}
}

const executionsUrl = (api: string) => `${api}/myreports/reportexecution/query/advertisers`;

/** Polls the schedule's execution until it leaves Pending; null when a poll was lost to the DLQ. */
async function awaitExecution(
	context: SourceRunContext,
	settings: TtdSettings,
	advertiserId: string,
	scheduleId: number | string,
): Promise<Outcome | null> {
	let waitedMs = 0;
	for (let poll = 0; ; poll++) {
		const response = await queryExecution(context, settings, advertiserId, scheduleId);
		if (!response) return null;
		const execution = latestExecution(response.text, scheduleId);
		if (execution === "malformed") {
			return { kind: "malformed", reason: "report execution response is malformed", response };
		}
		const state = execution?.ReportExecutionState;
		if (state === "Complete") return { kind: "complete", execution: execution as Execution, response };
		if (state === "Failed" || state === "Disabled" || state === "Cancelled") {
			const why = typeof execution?.DisabledReason === "string" ? `: ${execution.DisabledReason}` : "";
			return { kind: "failed", reason: `report execution ${state}${why}`, response };
		}
		if (waitedMs >= settings.pollTimeoutMs) {
			return {
				kind: "timeout",
				reason: `report execution still ${String(state ?? "absent")} after ${waitedMs} ms`,
				response,
			};
		}
		// Still running (or not created yet): wait longer each time; not a failure, not a retry.
		const waitMs = Math.min(settings.pollMaxMs, settings.pollInitialMs * 2 ** poll);
		await context.sleep(waitMs);
		waitedMs += waitMs;
	}
}

function queryExecution(
	context: SourceRunContext,
	settings: TtdSettings,
	advertiserId: string,
	scheduleId: number | string,
) {
	const body = { AdvertiserIds: [advertiserId], ReportScheduleIds: [scheduleId], PageStartIndex: 0, PageSize: 10 };
	return send(context, { method: "POST", url: executionsUrl(settings.apiUrl), body, account: advertiserId });
}

function latestExecution(text: string, scheduleId: number | string): Execution | null | "malformed" {
	const result = parseObject(text)?.Result;
	if (!Array.isArray(result)) return "malformed";
	const mine = (result as Execution[]).filter((e) => String(e?.ReportScheduleId) === String(scheduleId));
	mine.sort((a, b) => Number(b.ReportExecutionId) - Number(a.ReportExecutionId));
	return mine[0] ?? null;
}

/** Downloads the delivery CSV, re-querying the execution for a fresh link when the one we hold has expired. */
async function download(
	context: SourceRunContext,
	settings: TtdSettings,
	advertiserId: string,
	scheduleId: number | string,
	first: Execution,
	firstResponse: HttpResponse,
): Promise<{ response: HttpResponse; url: string; problem: string | null } | null> {
	let execution = first;
	let executionResponse = firstResponse;
	for (let attempt = 1; ; attempt++) {
		const deliveries = Array.isArray(execution.ReportDeliveries) ? (execution.ReportDeliveries as Execution[]) : [];
		const delivery = deliveries.find((d) => typeof d?.DownloadURL === "string");
		const url = delivery?.DownloadURL as string | undefined;
		const expiresAt = Date.parse(String(delivery?.DownloadURLExpirationUTC ?? ""));
		const live = url !== undefined && !(expiresAt <= context.now().getTime());
		if (live) {
			const response = await context.http
				.request({ method: "GET", url, bucket: TTD_DOWNLOAD_BUCKET, anonymous: true, account: advertiserId })
				.catch((error) => {
					if (context.signal.aborted) throw error;
					context.logger.warn("ttd report download failed", { url: withoutQuery(url), error });
					return null;
				});
			if (!response) return null;
			if (response.status === 200) return { response, url, problem: null };
			if (attempt >= LINK_ATTEMPTS) {
				return { response, url, problem: `report download refused after ${attempt} links: HTTP ${response.status}` };
			}
		} else if (attempt >= LINK_ATTEMPTS) {
			const problem = `no live download link after ${attempt} execution queries`;
			return { response: executionResponse, url: executionsUrl(settings.apiUrl), problem };
		}
		const again = await queryExecution(context, settings, advertiserId, scheduleId);
		if (!again) return null;
		const fresh = latestExecution(again.text, scheduleId);
		if (!fresh || fresh === "malformed") {
			return {
				response: again,
				url: executionsUrl(settings.apiUrl),
				problem: "report execution response is malformed",
			};
		}
		execution = fresh;
		executionResponse = again;
	}
}

/** Signed links tried (each after a fresh execution query) before the chunk is quarantined. */
const LINK_ATTEMPTS = 3;

/** ISO date plus `days` (UTC calendar arithmetic). */
export function addDays(date: string, days: number): string {
	const d = new Date(`${date}T00:00:00Z`);
	d.setUTCDate(d.getUTCDate() + days);
	return d.toISOString().slice(0, 10);
}
