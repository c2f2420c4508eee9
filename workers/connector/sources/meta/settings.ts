/**
 * Connection settings of the Meta source and the tunables of its report
 * polling, with their defaults. Connection: `accounts` (ad account ids,
 * with or without "act_"), `settings.level` (account | campaign | adset | ad,
 * default adset), `settings.apiVersion` (default v23.0),
 * `settings.pageSize` (insights rows per page, default 500),
 * `credentials.accessToken` (+ optional `appId`, `appSecret`),
 * `baseUrls.api` (default https://graph.facebook.com) and `baseUrls.token`
 * (oauth/debug_token host, default the API host).
 */
import { ValidationError } from "../../../../lib/errors.ts";
import type { Connection } from "../../source.ts";

export type InsightsLevel = "account" | "campaign" | "adset" | "ad";
const LEVELS: readonly InsightsLevel[] = ["account", "campaign", "adset", "ad"];

export const DEFAULT_GRAPH_URL = "https://graph.facebook.com";
export const DEFAULT_API_VERSION = "v23.0";

/** Tunables of the Meta source; defaults follow the peers in source-apis.md §5.1. */
export interface MetaSourceOptions {
	/** First wait between report-run polls, ms. Default 5,000 (doubling). */
	pollInitialMs?: number;
	/** Longest wait between polls, ms. Default 300,000 (dlt: 10 s doubling to 5 min). */
	pollMaxMs?: number;
	/** A run not completed after this long is abandoned and started again, ms. Default 3,600,000 (Airbyte: 60 min). */
	jobTimeoutMs?: number;
	/** Report runs started per window before giving up (Job Failed / Skipped / timed out). Default 3. */
	maxJobAttempts?: number;
	/** Usage percent at or above which the source pauses before its next request. Default 95 (Airbyte). */
	pauseThresholdPct?: number;
	/** Shortest such pause, ms. Default 60,000 (Airbyte's minimum). */
	minPauseMs?: number;
	/** Entities per page (campaigns, ad sets). Default 200. */
	entityPageSize?: number;
}

export interface MetaSettings extends Required<MetaSourceOptions> {
	level: InsightsLevel;
	/** Graph API root with the version, e.g. https://graph.facebook.com/v23.0. */
	graphUrl: string;
	/** Insights rows per page. */
	pageSize: number;
	/** Ad account ids without "act_". */
	accounts: string[];
}

/** The Graph root with the version appended unless the base already names one. */
export function withVersion(base: string, version: string): string {
	const trimmed = base.replace(/\/+$/, "");
	return /\/v\d+\.\d+$/.test(trimmed) ? trimmed : `${trimmed}/${version}`;
}

export function readMetaSettings(connection: Connection, options: MetaSourceOptions = {}): MetaSettings {
	const problems: string[] = [];
	const level = (connection.settings.level ?? "adset") as InsightsLevel;
	if (!LEVELS.includes(level))
		problems.push(`settings.level must be one of ${LEVELS.join(", ")} (got ${String(level)})`);
	const version = String(connection.settings.apiVersion ?? DEFAULT_API_VERSION);
	if (!/^v\d+\.\d+$/.test(version)) problems.push(`settings.apiVersion must look like v23.0 (got ${version})`);
	const pageSize = Number(connection.settings.pageSize ?? 500);
	if (!Number.isInteger(pageSize) || pageSize < 1) problems.push("settings.pageSize must be a positive integer");
	const accounts = connection.accounts.map((a) => String(a).replace(/^act_/, ""));
	if (accounts.length === 0) problems.push("accounts must list at least one ad account id");
	if (problems.length)
		throw new ValidationError(`Meta connection ${connection.id}: ${problems.join("; ")}`, {
			context: { connection: connection.id, problems },
		});
	return {
		level,
		graphUrl: withVersion(connection.baseUrls.api ?? DEFAULT_GRAPH_URL, version),
		pageSize,
		accounts,
		pollInitialMs: options.pollInitialMs ?? 5_000,
		pollMaxMs: options.pollMaxMs ?? 300_000,
		jobTimeoutMs: options.jobTimeoutMs ?? 3_600_000,
		maxJobAttempts: options.maxJobAttempts ?? 3,
		pauseThresholdPct: options.pauseThresholdPct ?? 95,
		minPauseMs: options.minPauseMs ?? 60_000,
		entityPageSize: options.entityPageSize ?? 200,
	};
}
