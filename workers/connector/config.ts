import { readFileSync } from "node:fs";
import { z } from "zod";
import { ConfigError } from "../../lib/errors.ts";
import type { Connection, SourceName } from "./source.ts";

const DEFAULT_LOOKBACK: Record<SourceName, number> = { dv360: 7, ttd: 7, meta: 28, sheets: 0 };

const timezone = z.string().refine(
	(tz) => {
		try {
			new Intl.DateTimeFormat("en-US", { timeZone: tz });
			return true;
		} catch {
			return false;
		}
	},
	{ message: "not an IANA time zone" },
);

const connectionSchema = z
	.object({
		id: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, "letters, digits, '.', '_' or '-' (1-100)"),
		source: z.enum(["dv360", "ttd", "meta", "sheets"]),
		accounts: z.array(z.string().min(1)).default([]),
		/** Sheets: the spreadsheet and its tab ranges ({clients, bookings, exchangeRates?}). */
		spreadsheetId: z.string().min(1).optional(),
		ranges: z.record(z.string(), z.string().min(1)).optional(),
		settings: z.record(z.string(), z.unknown()).default({}),
		credentials: z.record(z.string(), z.unknown()).default({}),
		/** Cron expression in the org's time zone; null or absent = on demand only. */
		schedule: z.string().min(1).nullable().default(null),
		lookbackDays: z.number().int().min(0).max(3650).optional(),
		baseUrls: z.record(z.string(), z.url()).default({}),
	})
	.superRefine((c, ctx) => {
		if (c.source === "sheets" && !c.spreadsheetId && typeof c.settings.spreadsheetId !== "string") {
			ctx.addIssue({ code: "custom", path: ["spreadsheetId"], message: "required for a sheets connection" });
		}
		if (c.source !== "sheets" && c.accounts.length === 0 && c.source !== "dv360") {
			ctx.addIssue({
				code: "custom",
				path: ["accounts"],
				message: `a ${c.source} connection needs at least one account`,
			});
		}
	});

const orgSchema = z.object({
	id: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, "letters, digits, '.', '_' or '-' (1-100)"),
	name: z.string().min(1),
	currency: z.string().regex(/^[A-Z]{3}$/, "an ISO 4217 code such as EUR"),
	timezone,
	apiKeys: z.array(z.string().min(16, "at least 16 characters")).default([]),
	connections: z.array(connectionSchema).default([]),
});

export const pacerConfigSchema = z.object({ orgs: z.array(orgSchema).min(1) }).superRefine((config, ctx) => {
	const seen = new Set<string>();
	config.orgs.forEach((org, o) => {
		org.connections.forEach((c, i) => {
			if (seen.has(c.id))
				ctx.addIssue({
					code: "custom",
					path: ["orgs", o, "connections", i, "id"],
					message: `duplicate connection id "${c.id}"`,
				});
			seen.add(c.id);
		});
	});
});

export type PacerConfig = z.infer<typeof pacerConfigSchema>;
export type OrgConfig = PacerConfig["orgs"][number];

/** Validates a PACER_CONFIG document; ConfigError lists every problem with its path (orgs.0.connections.1.source: ...). */
export function parsePacerConfig(json: unknown, origin = "PACER_CONFIG"): PacerConfig {
	const result = pacerConfigSchema.safeParse(json);
	if (result.success) return result.data;
	throw new ConfigError(
		result.error.issues.map((issue) => `${origin}: ${issue.path.map(String).join(".") || "(root)"}: ${issue.message}`),
	);
}

/** Reads and validates the JSON file named by PACER_CONFIG. */
export function loadPacerConfigFile(path: string): PacerConfig {
	let text: string;
	try {
		text = readFileSync(path, "utf8");
	} catch (error) {
		throw new ConfigError([`PACER_CONFIG: cannot read ${path}: ${(error as Error).message}`]);
	}
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch (error) {
		throw new ConfigError([`PACER_CONFIG: ${path} is not JSON: ${(error as Error).message}`]);
	}
	return parsePacerConfig(json, path);
}

/** The framework's Connection for every configured connection (credentials as configured, in memory only). */
export function connectionsOf(config: PacerConfig): Connection[] {
	return config.orgs.flatMap((org) =>
		org.connections.map((c) => {
			const settings = { ...c.settings };
			if (c.spreadsheetId && settings.spreadsheetId === undefined) settings.spreadsheetId = c.spreadsheetId;
			if (c.ranges && settings.tabs === undefined) settings.tabs = c.ranges;
			const accounts = c.source === "sheets" && c.accounts.length === 0 ? [String(settings.spreadsheetId)] : c.accounts;
			return {
				id: c.id,
				orgId: org.id,
				source: c.source,
				accounts,
				settings,
				credentials: c.credentials,
				baseUrls: c.baseUrls,
				schedule: c.schedule,
				lookbackDays: c.lookbackDays ?? DEFAULT_LOOKBACK[c.source],
				timezone: org.timezone,
			};
		}),
	);
}
