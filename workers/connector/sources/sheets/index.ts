/**
 * Google Sheets CRM source (source-apis.md §4): reads the configured tabs
 * (clients, bookings, exchange rates) of one spreadsheet with
 * `values:batchGet`, unformatted values and serial dates, in full on every
 * run (sheets have no change feed; peers do the same). One request per tab so
 * each raw page is exactly one API response. Each tab's header must map to
 * the expected columns or the page is rejected with the reason.
 */

import { ValidationError } from "../../../../lib/errors.ts";
import { createGoogleServiceAccountAuth, type GoogleServiceAccountKey } from "../../auth/google-service-account.ts";
import { RequestFailedError } from "../../errors.ts";
import type { Connection, RawPage, RunSummary, Source, SourceRunContext } from "../../source.ts";
import { classifySheetsResponse } from "./classify.ts";
import { type CellValue, isDataRow, mapHeader, type SheetsStream } from "./header.ts";

export { classifySheetsResponse, untilNextMinuteMs } from "./classify.ts";
export {
	type CellValue,
	decodeRows,
	type HeaderMapping,
	isDataRow,
	mapHeader,
	normaliseHeader,
	SHEETS_COLUMNS,
	type SheetsStream,
} from "./header.ts";
export { isoDateToSerial, serialToIsoDate } from "./serial-date.ts";

export const SHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets.readonly";
export const SHEETS_API_URL = "https://sheets.googleapis.com";

/** `connection.settings.tabs` key → stream name. */
const TABS: Record<string, SheetsStream> = {
	clients: "clients",
	bookings: "bookings",
	exchangeRates: "exchange_rates",
};

interface SheetsSettings {
	spreadsheetId: string;
	tabs: { stream: SheetsStream; range: string }[];
}

/** Reads `settings.spreadsheetId` and `settings.tabs` ({clients, bookings, exchangeRates?} → A1 ranges). */
export function sheetsSettings(connection: Connection): SheetsSettings {
	const { spreadsheetId, tabs } = connection.settings as { spreadsheetId?: unknown; tabs?: Record<string, unknown> };
	if (typeof spreadsheetId !== "string" || !spreadsheetId) {
		throw new ValidationError(`connection ${connection.id}: settings.spreadsheetId is required`);
	}
	const configured = Object.entries(TABS)
		.filter(([key]) => typeof tabs?.[key] === "string" && tabs[key])
		.map(([key, stream]) => ({ stream, range: tabs?.[key] as string }));
	for (const required of ["clients", "bookings"]) {
		if (!configured.some((t) => t.stream === required)) {
			throw new ValidationError(`connection ${connection.id}: settings.tabs.${required} (an A1 range) is required`);
		}
	}
	return { spreadsheetId, tabs: configured };
}

function batchGetUrl(connection: Connection, spreadsheetId: string, range: string): string {
	const base = (connection.baseUrls.api ?? SHEETS_API_URL).replace(/\/+$/, "");
	const query = new URLSearchParams({
		ranges: range,
		majorDimension: "ROWS",
		valueRenderOption: "UNFORMATTED_VALUE",
		dateTimeRenderOption: "SERIAL_NUMBER",
	});
	return `${base}/v4/spreadsheets/${encodeURIComponent(spreadsheetId)}/values:batchGet?${query}`;
}

/** Checks one batchGet response of one tab; returns the number of data rows, or the reason it cannot be used. */
export function inspectTab(
	stream: SheetsStream,
	body: string,
): { rows: number; warnings: string[] } | { reason: string } {
	let parsed: unknown;
	try {
		parsed = JSON.parse(body);
	} catch {
		return { reason: "response is not JSON" };
	}
	const valueRange = (parsed as { valueRanges?: unknown[] } | null)?.valueRanges?.[0] as
		| { range?: unknown; values?: unknown }
		| undefined;
	if (!valueRange || typeof valueRange.range !== "string") return { reason: "response has no valueRanges[0].range" };
	// An all-empty range comes back without `values` at all.
	if (valueRange.values === undefined) return { reason: `tab ${valueRange.range} is empty: no header row` };
	if (!Array.isArray(valueRange.values) || !valueRange.values.every(Array.isArray)) {
		return { reason: "valueRanges[0].values is not an array of rows" };
	}
	const [header = [], ...rows] = valueRange.values as CellValue[][];
	if (!isDataRow(header)) return { reason: `tab ${valueRange.range} has a blank first row: no header row` };
	const mapping = mapHeader(stream, header);
	if (mapping.missing.length > 0) {
		return {
			reason: `tab ${valueRange.range} lacks required column(s) ${mapping.missing.join(", ")} (header: ${JSON.stringify(header)})`,
		};
	}
	const warnings = [
		...(mapping.unknown.length ? [`unknown column(s) ignored: ${mapping.unknown.join(", ")}`] : []),
		...(mapping.duplicates.length ? [`duplicate column(s) ignored: ${mapping.duplicates.join(", ")}`] : []),
		...(mapping.blank.length
			? [`blank header cell(s) at column(s) ${mapping.blank.map((i) => i + 1).join(", ")}`]
			: []),
	];
	return { rows: rows.filter(isDataRow).length, warnings };
}

export function createSheetsSource(): Source {
	return {
		name: "sheets",
		quotas: {
			"sheets:user": { perMinute: 60 },
			// Declared for completeness: one connection is one user, so its 60/min binds first.
			"sheets:project": { perMinute: 300 },
		},
		defaultLookbackDays: 0,
		createAuth(connection, deps) {
			const credentials = connection.credentials as { serviceAccountKey?: unknown; keyJson?: unknown };
			const keyJson = (credentials.serviceAccountKey ?? credentials.keyJson) as GoogleServiceAccountKey | string;
			return createGoogleServiceAccountAuth({
				keyJson,
				scopes: [SHEETS_SCOPE],
				...(connection.baseUrls.token ? { tokenUrl: connection.baseUrls.token } : {}),
				fetch: deps.fetch,
				now: deps.now,
				logger: deps.logger,
			});
		},
		classify: (response) => classifySheetsResponse(response),
		async run(context: SourceRunContext): Promise<RunSummary> {
			const { connection, logger } = context;
			const { spreadsheetId, tabs } = sheetsSettings(connection);
			const summary: RunSummary = { pages: 0, rows: 0, rejected: 0 };
			for (const { stream, range } of tabs) {
				context.signal.throwIfAborted();
				const url = batchGetUrl(connection, spreadsheetId, range);
				let text: string;
				try {
					const response = await context.http.request({
						method: "GET",
						url,
						bucket: "sheets:user",
						account: spreadsheetId,
					});
					text = response.text;
				} catch (error) {
					// The framework has dead-lettered the request; the other tabs still load.
					if (error instanceof RequestFailedError && error.kind !== "aborted") continue;
					throw error;
				}
				const page: RawPage = {
					stream,
					account: spreadsheetId,
					pageKey: `tab:${stream}:${range}`,
					page: 0,
					contentType: "application/json",
					body: text,
					request: { method: "GET", url },
				};
				const inspected = inspectTab(stream, text);
				if ("reason" in inspected) {
					await context.reject(page, inspected.reason);
					summary.rejected++;
					continue;
				}
				for (const warning of inspected.warnings) logger.warn(`sheets tab ${range}: ${warning}`, { stream });
				await context.emit(page);
				summary.pages++;
				summary.rows += inspected.rows;
			}
			return summary;
		},
	};
}
