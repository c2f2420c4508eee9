/**
 * Async Insights report runs of the Meta simulator (source-apis.md §3.2):
 * `POST /act_{id}/insights` creates an AdReportRun whose `async_status` moves
 * one step per poll (Job Not Started → Job Started → Job Running 50 % → Job
 * Running 100 %, the transient peers trip over → Job Completed), optionally
 * stuck at 0 % or ending in Job Failed / Job Skipped. The rows are rendered
 * from the world when the run completes, so a day restated before that
 * shows its new numbers.
 */

import type { InsightsLevel, Json, MetaAccount } from "./meta-data.ts";
import { INSIGHTS_FIELDS, INSIGHTS_LEVELS, renderInsights } from "./meta-data.ts";
import type { FaultState } from "./meta-faults.ts";
import type { World } from "./world.ts";

type Status = "Job Not Started" | "Job Started" | "Job Running" | "Job Completed" | "Job Failed" | "Job Skipped";

export interface ReportRun {
	id: string;
	account: MetaAccount;
	level: InsightsLevel;
	window: { from: string; to: string };
	fields: string[];
	createdAtMs: number;
	polls: number;
	plan: [Status, number][];
	outcome: Status;
	rows?: Json[];
	completedAtMs?: number;
}

export interface InsightsQuery {
	level: InsightsLevel;
	window: { from: string; to: string };
	fields: string[];
}

/** A Graph API error answer: the HTTP status and the `error` object. */
export interface GraphError {
	status: number;
	error: { message: string; code: number; error_subcode?: number; type?: string; is_transient?: boolean };
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const RETENTION_DAYS = 1123;

function invalid(message: string, subcode?: number): GraphError {
	return {
		status: 400,
		error: { message: `(#100) ${message}`, code: 100, error_subcode: subcode, type: "OAuthException" },
	};
}

/** Reads level, time_range, time_increment and fields as the Graph API accepts them (strings or JSON). */
export function parseInsightsQuery(
	params: Record<string, unknown>,
	nowMs: number,
	removed: ReadonlySet<string> = new Set(),
): InsightsQuery | GraphError {
	const level = String(params.level ?? "ad") as InsightsLevel;
	if (!INSIGHTS_LEVELS.includes(level)) return invalid(`param level must be one of {${INSIGHTS_LEVELS.join(", ")}}`);
	const increment = String(params.time_increment ?? "all_days");
	if (increment !== "1") return invalid("the simulator only serves time_increment=1");
	let range: unknown = params.time_range;
	try {
		if (typeof range === "string") range = JSON.parse(range);
	} catch {
		return invalid("param time_range must be a JSON object");
	}
	const { since, until } = (range ?? {}) as { since?: unknown; until?: unknown };
	if (typeof since !== "string" || typeof until !== "string" || !DATE.test(since) || !DATE.test(until) || since > until)
		return invalid("param time_range must be {'since':YYYY-MM-DD,'until':YYYY-MM-DD} with since <= until");
	const oldest = new Date(nowMs - RETENTION_DAYS * 86_400_000).toISOString().slice(0, 10);
	if (since < oldest)
		return {
			status: 400,
			error: {
				message: "The start date of the time range cannot be beyond 37 months from the current date",
				code: 3018,
				type: "OAuthException",
			},
		};
	const raw = params.fields ?? "";
	const fields = (Array.isArray(raw) ? raw.map(String) : String(raw).split(",")).map((f) => f.trim()).filter(Boolean);
	const unknown = fields.find((f) => !INSIGHTS_FIELDS.has(f) || removed.has(f));
	if (unknown)
		return invalid(
			`${unknown} is not valid for fields param. please check https://developers.facebook.com/docs/marketing-api/reference/ads-insights/ for all valid values`,
		);
	return { level, window: { from: since, to: until }, fields };
}

export interface ReportStore {
	create(account: MetaAccount, query: InsightsQuery): ReportRun;
	get(id: string): ReportRun | undefined;
	/** Advances a run by one poll and returns its AdReportRun object. */
	poll(run: ReportRun): Json;
	/** The completed rows, projected to the requested fields; undefined while not completed. */
	rows(run: ReportRun): Json[] | undefined;
}

export function createReportStore(
	world: World,
	faults: FaultState,
	options: { nowMs: () => number; pollsToComplete: number },
): ReportStore {
	const runs = new Map<string, ReportRun>();
	let counter = 0;
	const steps: [Status, number][] = [
		["Job Not Started", 0],
		["Job Started", 0],
		["Job Running", 50],
		["Job Running", 100],
	];
	return {
		create(account, query) {
			const stuck = faults.stuckPolls.shift() ?? 0;
			const plan: [Status, number][] = [
				...Array.from({ length: stuck }, (): [Status, number] => ["Job Running", 0]),
				...steps.slice(steps.length - Math.min(options.pollsToComplete, steps.length)),
			];
			const run: ReportRun = {
				id: String(6_023_000_000_000 + ++counter),
				account,
				...query,
				createdAtMs: options.nowMs(),
				polls: 0,
				plan,
				outcome: faults.failures.shift() ?? "Job Completed",
			};
			runs.set(run.id, run);
			return run;
		},
		get: (id) => runs.get(id),
		poll(run) {
			const step = run.plan[run.polls];
			run.polls++;
			if (!step && run.completedAtMs === undefined) {
				run.completedAtMs = options.nowMs();
				if (run.outcome === "Job Completed") {
					run.rows = renderInsights(world, run.account, run.level, run.window, run.fields);
				}
			}
			const [status, percent] = step ?? [run.outcome, run.outcome === "Job Completed" ? 100 : 0];
			const seconds = (ms: number) => Math.floor(ms / 1000);
			const out: Json = {
				id: run.id,
				account_id: run.account.advertiser.id,
				time_ref: seconds(run.createdAtMs),
				async_status: status,
				async_percent_completion: percent,
				date_start: run.window.from,
				date_stop: run.window.to,
				is_running: !step ? false : status !== "Job Not Started",
			};
			if (run.completedAtMs !== undefined) out.time_completed = seconds(run.completedAtMs);
			return out;
		},
		rows: (run) => run.rows,
	};
}
