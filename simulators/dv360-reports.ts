/**
 * Bid Manager API v2 routes of the DV360 simulator (source-apis.md §1.1):
 * queries.create/get/delete, queries.run (a Report in QUEUED), reports.get
 * (RUNNING, then DONE with a signed `googleCloudStoragePath`, or FAILED), and
 * the unauthenticated signed download on `/storage/...` that serves the CSV
 * of the world as it is at download time (so restated days show).
 */
import { createHmac, randomBytes } from "node:crypto";
import type { Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { renderReportCsv, reportRows, unsupportedField } from "./dv360-csv.ts";
import type { FaultState } from "./dv360-faults.ts";
import { googleError } from "./google-token.ts";
import type { Advertiser, World } from "./world.ts";
import { addDays } from "./world.ts";

export interface BidManagerDeps {
	world: World;
	now: () => number;
	state: FaultState;
	/** reports.get calls before a report is DONE. */
	reportPolls: number;
	signedUrlTtlMs: number;
	orgOfPartner: (partnerId: string) => string | undefined;
	partnerIdOf: (orgId: string) => string;
	/** Origin + mount prefix of the incoming request, for absolute signed links. */
	baseOf: (c: Context) => string;
}

interface Report {
	queryId: string;
	reportId: string;
	from: string;
	to: string;
	polls: number;
	donePolls: number;
	failed: boolean;
	finishMs: number | null;
}

type Json = Record<string, unknown>;
const BUCKET = "pacer-sim-dv360-reports";

const iso = (d: { year?: number; month?: number; day?: number } | undefined) =>
	d?.year && d.month && d.day
		? `${d.year}-${String(d.month).padStart(2, "0")}-${String(d.day).padStart(2, "0")}`
		: null;
const dateObject = (date: string) => {
	const [year, month, day] = date.split("-").map(Number);
	return { year, month, day };
};

export function registerBidManagerRoutes(app: Hono, deps: BidManagerDeps): void {
	const queries = new Map<string, Json>();
	const reports = new Map<string, Report>();
	const secret = randomBytes(16).toString("hex");
	let nextId = 1_000_000;
	const fail = (c: Context, code: number, status: string, message: string) =>
		c.json(googleError(code, status, message), code as ContentfulStatusCode);
	const invalid = (c: Context, message = "The request you submitted is invalid.") =>
		fail(c, 400, "INVALID_ARGUMENT", message);
	const notFound = (c: Context) => fail(c, 404, "NOT_FOUND", "Requested entity was not found.");

	/** Resolves a DataRange to inclusive ISO dates (the ranges a daily pull would use). */
	function resolveRange(range: Json | undefined): { from: string; to: string } | null {
		const today = new Date(deps.now()).toISOString().slice(0, 10);
		const days: Record<string, number> = { PREVIOUS_DAY: 1, LAST_7_DAYS: 7, LAST_14_DAYS: 14, LAST_30_DAYS: 30 };
		if (range?.range === "CUSTOM_DATES") {
			const from = iso(range.customStartDate as Json);
			const to = iso(range.customEndDate as Json);
			return from && to && from <= to ? { from, to } : null;
		}
		const n = typeof range?.range === "string" ? days[range.range] : undefined;
		return n ? { from: addDays(today, -n), to: addDays(today, -1) } : null;
	}

	function advertisersOf(query: Json): Advertiser[] {
		const filters = ((query.params as Json).filters ?? []) as { type: string; value: string }[];
		const partners = filters.filter((f) => f.type === "FILTER_PARTNER").map((f) => deps.orgOfPartner(f.value));
		const ids = new Set(filters.filter((f) => f.type === "FILTER_ADVERTISER").map((f) => f.value));
		return deps.world.orgs
			.flatMap((o) => o.advertisers)
			.filter((a) => a.source === "dv360")
			.filter((a) => partners.length === 0 || partners.includes(a.orgId))
			.filter((a) => ids.size === 0 || ids.has(a.id));
	}

	function reportJson(c: Context, report: Report, query: Json): Json {
		const state =
			report.polls >= report.donePolls ? (report.failed ? "FAILED" : "DONE") : report.polls > 0 ? "RUNNING" : "QUEUED";
		if ((state === "DONE" || state === "FAILED") && report.finishMs === null) report.finishMs = deps.now();
		const status: Json = { state, format: "CSV" };
		if (report.finishMs !== null) status.finishTime = new Date(report.finishMs).toISOString();
		const metadata: Json = {
			status,
			reportDataStartDate: dateObject(report.from),
			reportDataEndDate: dateObject(report.to),
		};
		if (state === "DONE") {
			const file = `${report.queryId}_${report.reportId}.csv`;
			const expires = Math.floor((deps.now() + deps.signedUrlTtlMs) / 1000);
			const signature = sign(file, expires);
			metadata.googleCloudStoragePath =
				`${deps.baseOf(c)}/storage/${BUCKET}/${file}?GoogleAccessId=pacer-sim%40dv360.iam.gserviceaccount.com` +
				`&Expires=${expires}&Signature=${encodeURIComponent(signature)}`;
		}
		return { key: { queryId: report.queryId, reportId: report.reportId }, metadata, params: query.params };
	}

	const sign = (file: string, expires: number) =>
		createHmac("sha256", secret).update(`${file}:${expires}`).digest("base64");

	app.post("/v2/queries", async (c) => {
		const body = (await c.req.json().catch(() => null)) as Json | null;
		const params = body?.params as Json | undefined;
		const metadata = (body?.metadata ?? {}) as Json;
		if (params?.type !== "STANDARD") return invalid(c);
		const groupBys = params.groupBys as string[] | undefined;
		const metrics = params.metrics as string[] | undefined;
		if (!Array.isArray(groupBys) || !Array.isArray(metrics) || metrics.length === 0) return invalid(c);
		if (unsupportedField(groupBys, metrics)) return invalid(c);
		const filters = (params.filters ?? []) as { type?: unknown; value?: unknown }[];
		if (
			filters.some(
				(f) => (f.type !== "FILTER_PARTNER" && f.type !== "FILTER_ADVERTISER") || typeof f.value !== "string",
			)
		) {
			return invalid(c);
		}
		if (metadata.dataRange && !resolveRange(metadata.dataRange as Json)) return invalid(c);
		const queryId = String(nextId++);
		const query: Json = {
			queryId,
			metadata: { format: "CSV", sendNotification: false, ...metadata },
			params,
			schedule: body?.schedule ?? { frequency: "ONE_TIME" },
		};
		queries.set(queryId, query);
		return c.json(query);
	});

	app.post("/v2/queries/:action", async (c) => {
		const match = /^(\d+):run$/.exec(c.req.param("action"));
		const query = match?.[1] ? queries.get(match[1]) : undefined;
		if (!match || !query) return notFound(c);
		const body = (await c.req.json().catch(() => ({}))) as Json;
		const range = resolveRange((body?.dataRange ?? (query.metadata as Json).dataRange) as Json | undefined);
		if (!range) return invalid(c, "A data range is required.");
		const next = deps.state.nextReport();
		const report: Report = {
			queryId: query.queryId as string,
			reportId: String(nextId++),
			...range,
			polls: 0,
			donePolls: deps.reportPolls + next.extraPolls,
			failed: next.failed,
			finishMs: null,
		};
		reports.set(report.reportId, report);
		return c.json(reportJson(c, report, query));
	});

	app.get("/v2/queries/:id", (c) => {
		const query = queries.get(c.req.param("id"));
		return query ? c.json(query) : notFound(c);
	});

	app.delete("/v2/queries/:id", (c) => {
		const id = c.req.param("id");
		if (!queries.delete(id)) return notFound(c);
		for (const [rid, report] of reports) if (report.queryId === id) reports.delete(rid);
		return c.json({});
	});

	app.get("/v2/queries/:id/reports/:rid", (c) => {
		const report = reports.get(c.req.param("rid"));
		const query = queries.get(c.req.param("id"));
		if (!report || !query || report.queryId !== query.queryId) return notFound(c);
		report.polls++;
		return c.json(reportJson(c, report, query));
	});

	app.get(`/storage/${BUCKET}/:file`, (c) => {
		const file = c.req.param("file");
		const expires = Number(c.req.query("Expires"));
		const xml = (code: number, name: string, message: string) =>
			c.body(
				`<?xml version='1.0' encoding='UTF-8'?><Error><Code>${name}</Code><Message>${message}</Message></Error>`,
				code as ContentfulStatusCode,
				{ "content-type": "application/xml; charset=UTF-8" },
			);
		if (c.req.query("Signature") !== sign(file, expires)) {
			return xml(403, "SignatureDoesNotMatch", "The request signature we calculated does not match.");
		}
		if (deps.state.takeExpiredLink() || deps.now() > expires * 1000) {
			return xml(400, "ExpiredToken", "The provided token has expired. Request signature expired.");
		}
		const [queryId, reportId] = file.replace(/\.csv$/, "").split("_");
		const report = reports.get(reportId ?? "");
		const query = queries.get(queryId ?? "");
		if (!report || !query) return xml(404, "NoSuchKey", "The specified key does not exist.");
		const params = query.params as Json;
		const rows = deps.state.takeEmpty()
			? []
			: reportRows(deps.world, advertisersOf(query), report.from, report.to, deps.partnerIdOf);
		const csv = renderReportCsv({
			groupBys: params.groupBys as string[],
			metrics: params.metrics as string[],
			from: report.from,
			to: report.to,
			rows,
			filters: (params.filters ?? []) as { type: string; value: string }[],
			reportTime: new Date(report.finishMs ?? deps.now()),
			malformedHeader: deps.state.takeMalformedHeader(),
		});
		return c.body(csv, 200, { "content-type": "text/csv; charset=UTF-8" });
	});
}
