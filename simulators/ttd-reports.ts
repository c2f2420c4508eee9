/**
 * TTD "My Reports" (source-apis.md §2.4): report templates, schedules that
 * reference a template, executions that move Pending -> Complete (or Failed)
 * as they are polled, and deliveries with a signed, expiring DownloadURL that
 * serves the CSV (display-name headers, `Sortable` dates). The CSV is rendered
 * from the world at download time, so a restated day shows on the next fetch.
 */
import { createHmac } from "node:crypto";
import type { Context, Hono } from "hono";
import { amount, pageOf, readPaging, type TtdIndex, validationError } from "./ttd-entities.ts";
import type { FaultState } from "./ttd-faults.ts";
import { addDays, type World } from "./world.ts";

/** The template the simulator knows; its columns are the CSV header. */
export const TTD_TEMPLATE = { ReportTemplateId: 4242, Name: "Pacer Ad Group Performance" } as const;

/** Header of the template's CSV, in order. */
export const TTD_REPORT_COLUMNS = [
	"Date",
	"Advertiser ID",
	"Advertiser",
	"Campaign ID",
	"Campaign",
	"Ad Group ID",
	"Ad Group",
	"Advertiser Currency Code",
	"Impressions",
	"Clicks",
	"Advertiser Cost (Adv Currency)",
	"All Last Click + View Conversions",
] as const;

interface Schedule {
	ReportScheduleId: number;
	ReportScheduleName: string;
	ReportTemplateId: number;
	AdvertiserFilters: string[];
	ReportStartDateInclusive: string;
	ReportEndDateExclusive: string;
	ReportFrequency: string;
	executionId: number;
	/** Deleted schedules vanish from queries, but their delivered file stays downloadable until the link expires. */
	deleted: boolean;
}

interface Execution {
	id: number;
	scheduleId: number;
	pendingPolls: number;
	failed: boolean;
	polls: number;
	createdAtMs: number;
}

export interface ReportDeps {
	world: World;
	index: TtdIndex;
	faults: FaultState;
	now(): number;
	downloadUrlTtlMs: number;
	/** Public base URL of the simulator (origin + mount prefix) for this request. */
	baseOf(c: Context): string;
}

const DATE = /^(\d{4}-\d{2}-\d{2})(T00:00:00(\.0+)?Z?)?$/;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

export function registerReports(app: Hono, deps: ReportDeps): void {
	const schedules = new Map<number, Schedule>();
	const executions = new Map<number, Execution>();
	const secret = `ttd-sim-${deps.world.seed}`;
	let nextId = 5000;
	const live = (id: number) => {
		const schedule = schedules.get(id);
		return schedule && !schedule.deleted ? schedule : undefined;
	};
	const sign = (id: number, expires: number) =>
		createHmac("sha256", secret).update(`${id}:${expires}`).digest("hex").slice(0, 32);

	app.post("/v3/myreports/reporttemplateheader/query", async (c) => {
		const body = await jsonBody(c);
		const paging = readPaging(body, 100);
		if ("error" in paging) return c.json(paging.error, 400);
		const needle = typeof body.NameContains === "string" ? body.NameContains.toLowerCase() : "";
		const all = TTD_TEMPLATE.Name.toLowerCase().includes(needle) ? [TTD_TEMPLATE] : [];
		const render = (t: typeof TTD_TEMPLATE) => ({ ...t, Type: "Custom", Format: "Text", CreatedByUserName: "sim" });
		return c.json(pageOf(all, paging.start, paging.size, render));
	});

	app.post("/v3/myreports/reportschedule", async (c) => {
		const body = await jsonBody(c);
		const problem = validateSchedule(body, deps.index);
		if (problem) return c.json(problem, 400);
		const id = nextId++;
		const executionId = nextId++;
		const schedule: Schedule = {
			ReportScheduleId: id,
			ReportScheduleName: String(body.ReportScheduleName ?? `schedule_${id}`),
			ReportTemplateId: body.ReportTemplateId as number,
			AdvertiserFilters: body.AdvertiserFilters as string[],
			ReportStartDateInclusive: String(body.ReportStartDateInclusive).slice(0, 10),
			ReportEndDateExclusive: String(body.ReportEndDateExclusive).slice(0, 10),
			ReportFrequency: String(body.ReportFrequency ?? "Once"),
			executionId,
			deleted: false,
		};
		schedules.set(id, schedule);
		const outcome = deps.faults.nextExecution();
		executions.set(executionId, { id: executionId, scheduleId: id, ...outcome, polls: 0, createdAtMs: deps.now() });
		return c.json(renderSchedule(schedule));
	});

	app.get("/v3/myreports/reportschedule/:id", (c) => {
		const schedule = live(Number(c.req.param("id")));
		return schedule ? c.json(renderSchedule(schedule)) : c.json({ Message: "Report schedule not found." }, 404);
	});

	app.delete("/v3/myreports/reportschedule/:id", (c) => {
		const id = Number(c.req.param("id"));
		const schedule = live(id);
		if (!schedule) return c.json({ Message: "Report schedule not found." }, 404);
		schedule.deleted = true;
		return c.json({ ReportScheduleId: id });
	});

	app.post("/v3/myreports/reportschedule/query", async (c) => {
		const body = await jsonBody(c);
		const paging = readPaging(body, 100);
		if ("error" in paging) return c.json(paging.error, 400);
		const ids = stringList(body.AdvertiserIds);
		const needle = typeof body.NameContains === "string" ? body.NameContains : "";
		const all = [...schedules.values()].filter(
			(s) =>
				!s.deleted &&
				s.ReportScheduleName.includes(needle) &&
				(!ids || s.AdvertiserFilters.some((a) => ids.includes(a))),
		);
		return c.json(pageOf(all, paging.start, paging.size, renderSchedule));
	});

	app.post("/v3/myreports/reportexecution/query/advertisers", async (c) => {
		const body = await jsonBody(c);
		const paging = readPaging(body, 100);
		if ("error" in paging) return c.json(paging.error, 400);
		const ids = stringList(body.AdvertiserIds);
		if (!ids || ids.length === 0) return c.json(validationError("AdvertiserIds", "AdvertiserIds is required."), 400);
		const scheduleIds = Array.isArray(body.ReportScheduleIds) ? body.ReportScheduleIds : null;
		const states = stringList(body.ReportExecutionStates);
		const base = deps.baseOf(c);
		const rendered = [];
		for (const execution of executions.values()) {
			const schedule = live(execution.scheduleId);
			if (!schedule?.AdvertiserFilters.some((a) => ids.includes(a))) continue;
			if (scheduleIds && !scheduleIds.includes(schedule.ReportScheduleId)) continue;
			const state = execution.polls < execution.pendingPolls ? "Pending" : execution.failed ? "Failed" : "Complete";
			execution.polls++;
			if (states && !states.includes(state)) continue;
			rendered.push(renderExecution(execution, schedule, state, base));
		}
		return c.json(pageOf(rendered, paging.start, paging.size, (e) => e));
	});

	// The signed link stands in for the cloud-storage URL TTD hands out: no TTD-Auth needed, expires.
	app.get("/download/:executionId", (c) => {
		const id = Number(c.req.param("executionId"));
		const expires = Number(c.req.query("expires"));
		if (c.req.query("signature") !== sign(id, expires)) return s3Error(c, "SignatureDoesNotMatch", "Bad signature");
		if (deps.now() > expires || deps.faults.takeExpiredDownload()) {
			return s3Error(c, "AccessDenied", "Request has expired");
		}
		const execution = executions.get(id);
		const schedule = execution && schedules.get(execution.scheduleId);
		if (!schedule) return s3Error(c, "NoSuchKey", "The specified key does not exist.", 404);
		const csv = renderCsv(deps, schedule, deps.faults.takeUnexpectedHeader());
		return c.body(csv, 200, { "content-type": "text/csv; charset=utf-8" });
	});

	function renderExecution(execution: Execution, schedule: Schedule, state: string, base: string) {
		const nowMs = deps.now();
		const expires = nowMs + deps.downloadUrlTtlMs;
		const complete = state === "Complete";
		const url = `${base}/download/${execution.id}?expires=${expires}&signature=${sign(execution.id, expires)}`;
		return {
			ReportExecutionId: execution.id,
			ReportExecutionState: state,
			LastStateChangeUTC: iso(state === "Pending" ? execution.createdAtMs : nowMs),
			DisabledReason: state === "Failed" ? "The report failed to run." : null,
			Timezone: "UTC",
			ReportStartDateInclusive: `${schedule.ReportStartDateInclusive}T00:00:00`,
			ReportEndDateExclusive: `${schedule.ReportEndDateExclusive}T00:00:00`,
			ReportScheduleId: schedule.ReportScheduleId,
			ReportScheduleName: schedule.ReportScheduleName,
			ReportDeliveries:
				state === "Failed"
					? []
					: [
							{
								ReportDestination: "Download",
								DeliveredPath: complete ? `reports/${execution.id}.csv` : null,
								DeliveredUTC: complete ? iso(nowMs) : null,
								DownloadURL: complete ? url : null,
								DownloadURLExpirationUTC: complete ? iso(expires) : null,
							},
						],
		};
	}
}

function renderSchedule(s: Schedule): Record<string, unknown> {
	const { executionId: _, deleted: __, ...rest } = s;
	return {
		...rest,
		ReportStartDateInclusive: `${s.ReportStartDateInclusive}T00:00:00`,
		ReportEndDateExclusive: `${s.ReportEndDateExclusive}T00:00:00`,
		ReportFileFormat: "CSV",
		ReportDateRange: "Custom",
		TimeZone: "UTC",
	};
}

function validateSchedule(body: Record<string, unknown>, index: TtdIndex): Record<string, unknown> | null {
	if (body.ReportTemplateId !== TTD_TEMPLATE.ReportTemplateId) {
		return validationError("ReportTemplateId", "The report template does not exist or is not accessible.");
	}
	const advertisers = stringList(body.AdvertiserFilters);
	if (!advertisers || advertisers.length === 0) {
		return validationError("AdvertiserFilters", "At least one advertiser is required.");
	}
	const unknown = advertisers.find((a) => !index.advertisers.has(a));
	if (unknown) return validationError("AdvertiserFilters", `Advertiser ${unknown} is not accessible.`);
	const start = DATE.exec(String(body.ReportStartDateInclusive ?? ""))?.[1];
	const end = DATE.exec(String(body.ReportEndDateExclusive ?? ""))?.[1];
	if (!start) return validationError("ReportStartDateInclusive", "A midnight date is required.");
	if (!end || end <= start)
		return validationError("ReportEndDateExclusive", "Must be a midnight date after the start.");
	if (body.ReportFileFormat !== undefined && body.ReportFileFormat !== "CSV") {
		return validationError("ReportFileFormat", "Only CSV is supported by this simulator.");
	}
	return null;
}

function renderCsv(deps: ReportDeps, schedule: Schedule, unexpectedHeader: boolean): string {
	const header: string[] = [...TTD_REPORT_COLUMNS];
	if (unexpectedHeader) header[10] = "Advertiser Cost (USD)";
	const lines = [header.join(",")];
	const window = { from: schedule.ReportStartDateInclusive, to: addDays(schedule.ReportEndDateExclusive, -1) };
	for (const advertiserId of schedule.AdvertiserFilters) {
		const entry = deps.index.advertisers.get(advertiserId);
		if (!entry) continue;
		const advertiserName = csvField(entry.advertiser.name);
		for (const row of deps.world.deliveryFor(entry.org.org.id, "ttd", window, advertiserId)) {
			const campaign = csvField(deps.index.campaigns.get(row.campaignId)?.name ?? "");
			const adGroup = csvField(deps.index.adGroups.get(row.lineItemId)?.name ?? "");
			lines.push(
				`${row.date}T00:00:00,${advertiserId},${advertiserName},${row.campaignId},${campaign},${row.lineItemId},${adGroup},${row.currency},${row.impressions},${row.clicks},${amount(row.spendMicros).toFixed(2)},${row.conversions}`,
			);
		}
	}
	return `${lines.join("\r\n")}\r\n`;
}

const csvField = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);

function s3Error(c: Context, code: string, message: string, status: 403 | 404 = 403) {
	return c.body(
		`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
		status,
		{
			"content-type": "application/xml",
		},
	);
}

function stringList(value: unknown): string[] | null {
	return Array.isArray(value) ? value.map(String) : null;
}

async function jsonBody(c: Context): Promise<Record<string, unknown>> {
	const value: unknown = await c.req.json().catch(() => null);
	return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
