/**
 * Simulator of the Google Sheets API v4 read endpoints (source-apis.md §4,
 * §7.1) serving each organisation's CRM spreadsheet from the simulated world:
 * `values:batchGet`, `values/{range}` and spreadsheet metadata, with the
 * documented errors and per-minute quotas, and faults injected on request.
 * Routes match on the path's tail so the app works under any mount prefix.
 */
import { Hono } from "hono";
import { type GoogleTokenValidator, googleError } from "./google-token.ts";
import { buildCrmSpreadsheet, type Cell, type Spreadsheet } from "./sheets-crm.ts";
import { RangeError400, type RenderOptions, renderRange } from "./sheets-render.ts";
import type { World } from "./world.ts";

export { CRM_TABS, sheetsSpreadsheetId } from "./sheets-crm.ts";

const SCOPES = [
	"https://www.googleapis.com/auth/spreadsheets.readonly",
	"https://www.googleapis.com/auth/spreadsheets",
	"https://www.googleapis.com/auth/drive.readonly",
	"https://www.googleapis.com/auth/drive",
	"https://www.googleapis.com/auth/drive.file",
];

export interface SheetsSimulatorOptions {
	/** Current time in ms since the epoch. Default Date.now (pass the test clock's nowMs). */
	now?: () => number;
	/** Bearer-token checks from the Google token simulator; omit to accept any request (benchmarks). */
	tokens?: GoogleTokenValidator;
	/** Read requests per minute per user (service account). Default 60 (the documented quota). */
	userQuotaPerMinute?: number;
	/** Read requests per minute for the whole project. Default 300. */
	projectQuotaPerMinute?: number;
	/** Synthetic bookings appended to every Bookings tab, for benchmarks. Default 0. */
	extraBookings?: number;
}

export interface SheetsFaults {
	/** The rest of the current minute answers 429 RESOURCE_EXHAUSTED (per-user quota used up). */
	exhaustQuota(): void;
	/** The next `count` API requests fail with `status` (default 503). */
	serverErrors(count: number, status?: number): void;
	/** The next `count` successful reads return a truncated JSON body (HTTP 200). */
	malformed(count: number): void;
	/** The spreadsheet is no longer shared with the service account: 403 PERMISSION_DENIED. */
	notShared(spreadsheetId: string): void;
	/** Renames a header cell of a tab (schema drift). */
	renameHeader(spreadsheetId: string, tab: string, from: string, to: string): void;
	/** Deletes a column (header and data) of a tab. */
	dropColumn(spreadsheetId: string, tab: string, header: string): void;
	/** Arbitrary edit of a tab's cells (rows of cells; null = empty). */
	editTab(spreadsheetId: string, tab: string, edit: (cells: Cell[][]) => void): void;
	/** Every access token issued so far stops working: the next request gets 401 UNAUTHENTICATED. */
	expireTokens(): void;
	/** Back to the world's spreadsheets with no fault pending. */
	reset(): void;
}

export interface SheetsSimulator {
	app: Hono;
	faults: SheetsFaults;
	/** API requests received (every status). */
	readonly requests: number;
}

const QUOTA_LIMITS: Record<string, string> = {
	"Read requests per minute per user": "ReadRequestsPerMinutePerUser",
	"Read requests per minute": "ReadRequestsPerMinutePerProject",
};

const quotaBody = (limit: string) =>
	googleError(
		429,
		"RESOURCE_EXHAUSTED",
		`Quota exceeded for quota metric 'Read requests' and limit '${limit}' of service 'sheets.googleapis.com' for consumer 'project_number:603366585132'.`,
		[
			{
				"@type": "type.googleapis.com/google.rpc.ErrorInfo",
				reason: "RATE_LIMIT_EXCEEDED",
				domain: "googleapis.com",
				metadata: {
					quota_metric: "sheets.googleapis.com/read_requests",
					quota_limit: QUOTA_LIMITS[limit] ?? limit,
					service: "sheets.googleapis.com",
				},
			},
		],
	);

function safeDecode(text: string): string {
	try {
		return decodeURIComponent(text);
	} catch {
		return text;
	}
}

export function createSheetsSimulator(world: World, options: SheetsSimulatorOptions = {}): SheetsSimulator {
	const now = options.now ?? Date.now;
	const userLimit = options.userQuotaPerMinute ?? 60;
	const projectLimit = options.projectQuotaPerMinute ?? 300;
	let sheets = new Map<string, Spreadsheet>();
	const unshared = new Set<string>();
	const used = { minute: -1, project: 0, users: new Map<string, number>() };
	const pending = { serverErrors: [] as number[], malformed: 0 };
	let requests = 0;
	let exhaustedMinute = -1;

	const build = () => {
		sheets = new Map(
			world.orgs.map((org) => {
				const sheet = buildCrmSpreadsheet(org, options.extraBookings ?? 0);
				return [sheet.id, sheet];
			}),
		);
	};
	build();

	const cellsOf = (spreadsheetId: string, title: string): Cell[][] => {
		const tab = sheets.get(spreadsheetId)?.tabs.find((t) => t.title === title);
		if (!tab) throw new Error(`sheets simulator: no tab ${title} in ${spreadsheetId}`);
		return tab.cells;
	};

	/** Counts the request against the fixed per-minute windows; returns the exhausted limit's name, if any. */
	const overQuota = (user: string): string | null => {
		const minute = Math.floor(now() / 60_000);
		if (minute !== used.minute) Object.assign(used, { minute, project: 0, users: new Map() });
		if (minute === exhaustedMinute) return "Read requests per minute per user";
		const count = (used.users.get(user) ?? 0) + 1;
		used.users.set(user, count);
		used.project++;
		if (count > userLimit) return "Read requests per minute per user";
		return used.project > projectLimit ? "Read requests per minute" : null;
	};

	const app = new Hono();
	app.get("*", async (c) => {
		const match = /\/v4\/spreadsheets\/([^/]+?)(?:\/values(:batchGet|\/(.+)))?$/.exec(new URL(c.req.url).pathname);
		if (!match?.[1]) return c.json(googleError(404, "NOT_FOUND", "Requested entity was not found."), 404);
		requests++;
		let user = "anonymous";
		if (options.tokens) {
			const auth = options.tokens.check(c.req.header("authorization"), SCOPES);
			if (!auth.ok) return c.json(auth.body, auth.status);
			user = auth.clientEmail;
		}
		const limit = overQuota(user);
		if (limit) return c.json(quotaBody(limit), 429);
		const failure = pending.serverErrors.shift();
		if (failure !== undefined) {
			const [status, message] =
				failure === 503
					? ["UNAVAILABLE", "The service is currently unavailable."]
					: ["INTERNAL", "Internal error encountered."];
			return c.json(googleError(failure, status, message), failure as 500);
		}
		const spreadsheetId = safeDecode(match[1]);
		const sheet = sheets.get(spreadsheetId);
		if (!sheet) return c.json(googleError(404, "NOT_FOUND", "Requested entity was not found."), 404);
		if (unshared.has(spreadsheetId)) {
			return c.json(googleError(403, "PERMISSION_DENIED", "The caller does not have permission"), 403);
		}
		if (!match[2]) {
			return c.json({
				spreadsheetId,
				properties: { title: sheet.title, locale: "en_US", timeZone: "Etc/GMT" },
				sheets: sheet.tabs.map((t, index) => ({
					properties: {
						sheetId: index,
						title: t.title,
						index,
						sheetType: "GRID",
						gridProperties: { rowCount: t.rowCount, columnCount: t.columnCount },
					},
				})),
			});
		}
		const render: RenderOptions = {
			majorDimension: c.req.query("majorDimension") === "COLUMNS" ? "COLUMNS" : "ROWS",
			valueRenderOption:
				(c.req.query("valueRenderOption") as RenderOptions["valueRenderOption"] | undefined) ?? "FORMATTED_VALUE",
			dateTimeRenderOption:
				(c.req.query("dateTimeRenderOption") as RenderOptions["dateTimeRenderOption"] | undefined) ?? "SERIAL_NUMBER",
		};
		let body: string;
		try {
			if (match[2] === ":batchGet") {
				const ranges = c.req.queries("ranges") ?? [];
				const valueRanges = ranges.map((range) => renderRange(sheet, range, render));
				body = JSON.stringify(valueRanges.length > 0 ? { spreadsheetId, valueRanges } : { spreadsheetId });
			} else {
				body = JSON.stringify(renderRange(sheet, safeDecode(match[3] ?? ""), render));
			}
		} catch (error) {
			if (!(error instanceof RangeError400)) throw error;
			return c.json(googleError(400, "INVALID_ARGUMENT", error.message, [{ reason: "badRequest" }]), 400);
		}
		if (pending.malformed > 0) {
			pending.malformed--;
			body = body.slice(0, Math.floor(body.length / 2));
		}
		return c.body(body, 200, { "content-type": "application/json; charset=UTF-8" });
	});

	const faults: SheetsFaults = {
		exhaustQuota: () => {
			exhaustedMinute = Math.floor(now() / 60_000);
		},
		serverErrors: (count, status = 503) => {
			for (let i = 0; i < count; i++) pending.serverErrors.push(status);
		},
		malformed: (count) => {
			pending.malformed += count;
		},
		notShared: (spreadsheetId) => void unshared.add(spreadsheetId),
		renameHeader(spreadsheetId, tab, from, to) {
			const header = cellsOf(spreadsheetId, tab)[0] ?? [];
			const index = header.indexOf(from);
			if (index < 0) throw new Error(`sheets simulator: no header ${from} in ${tab}`);
			header[index] = to;
		},
		dropColumn(spreadsheetId, tab, name) {
			const cells = cellsOf(spreadsheetId, tab);
			const index = (cells[0] ?? []).indexOf(name);
			if (index < 0) throw new Error(`sheets simulator: no header ${name} in ${tab}`);
			for (const row of cells) row.splice(index, 1);
		},
		editTab: (spreadsheetId, tab, edit) => edit(cellsOf(spreadsheetId, tab)),
		expireTokens: () => options.tokens?.revokeAll(),
		reset() {
			build();
			unshared.clear();
			pending.serverErrors.length = 0;
			pending.malformed = 0;
			exhaustedMinute = -1;
		},
	};

	return {
		app,
		faults,
		get requests() {
			return requests;
		},
	};
}
