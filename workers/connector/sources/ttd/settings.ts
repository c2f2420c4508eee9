/**
 * What a TTD connection configures (PACER_CONFIG `connections[].settings` and
 * `baseUrls`), read once per run with the defaults applied. Every host is
 * overridable so any server that implements the public API can stand in.
 */
import type { Connection } from "../../source.ts";

export const TTD_API_URL = "https://api.thetradedesk.com/v3";
/** The My Reports template (created once in the TTD UI) whose columns the delivery CSV carries. */
export const TTD_DEFAULT_TEMPLATE_NAME = "Pacer Ad Group Performance";

export interface TtdSettings {
	/** REST base ending in /v3 (baseUrls.api; a base without /v3 gets it appended). */
	apiUrl: string;
	/** Authentication endpoint (baseUrls.token). Default `<apiUrl>/authentication`. */
	authUrl: string;
	/** settings.reportTemplateId; when absent the template is found by `reportTemplateName`. */
	reportTemplateId: number | null;
	/** settings.reportTemplateName. Default "Pacer Ad Group Performance". */
	reportTemplateName: string;
	/** settings.reportTimeZone sent on report schedules. Default "UTC". */
	reportTimeZone: string;
	/** settings.pageSize for entity queries. Default 100 (the documented maximum is unconfirmed). */
	pageSize: number;
	/** settings.reportChunkDays: days per report schedule. Default 31. */
	reportChunkDays: number;
	/** settings.pollInitialMs: first wait between execution polls, doubled each time. Default 5,000. */
	pollInitialMs: number;
	/** settings.pollMaxMs: longest wait between polls. Default 300,000 (5 min). */
	pollMaxMs: number;
	/** settings.pollTimeoutMs: give up on an execution still Pending after this long. Default 21,600,000 (6 h). */
	pollTimeoutMs: number;
	/** settings.reportAttempts: executions tried per chunk when one ends Failed. Default 3. */
	reportAttempts: number;
	/** settings.concurrency: advertiser tasks run at once (the framework still caps calls at 4). Default 4. */
	concurrency: number;
}

export function readSettings(connection: Connection): TtdSettings {
	const s = connection.settings;
	const apiUrl = normaliseApiUrl(connection.baseUrls.api ?? TTD_API_URL);
	const num = (key: string, fallback: number) => {
		const value = s[key];
		return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : fallback;
	};
	return {
		apiUrl,
		authUrl: connection.baseUrls.token ?? `${apiUrl}/authentication`,
		reportTemplateId: typeof s.reportTemplateId === "number" ? s.reportTemplateId : null,
		reportTemplateName: typeof s.reportTemplateName === "string" ? s.reportTemplateName : TTD_DEFAULT_TEMPLATE_NAME,
		reportTimeZone: typeof s.reportTimeZone === "string" ? s.reportTimeZone : "UTC",
		pageSize: num("pageSize", 100),
		reportChunkDays: num("reportChunkDays", 31),
		pollInitialMs: num("pollInitialMs", 5_000),
		pollMaxMs: num("pollMaxMs", 300_000),
		pollTimeoutMs: num("pollTimeoutMs", 21_600_000),
		reportAttempts: num("reportAttempts", 3),
		concurrency: num("concurrency", 4),
	};
}

function normaliseApiUrl(url: string): string {
	const trimmed = url.replace(/\/+$/, "");
	return trimmed.endsWith("/v3") ? trimmed : `${trimmed}/v3`;
}

/** A JSON object, or null when the text is not one. */
export function parseObject(text: string): Record<string, unknown> | null {
	try {
		const value: unknown = JSON.parse(text);
		return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
	} catch {
		return null;
	}
}

/** The URL without its query string: signed links carry credentials that must not reach logs or the envelope. */
export function withoutQuery(url: string): string {
	const at = url.indexOf("?");
	return at < 0 ? url : url.slice(0, at);
}
