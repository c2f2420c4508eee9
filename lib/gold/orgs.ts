/** The organisations' reporting currency and time zone, read from the PACER_CONFIG document. */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { ConfigError } from "../errors.ts";
import type { OrgSettings } from "./loader.ts";

const schema = z.object({
	orgs: z.array(
		z.object({
			id: z.string().min(1),
			currency: z.string().regex(/^[A-Z]{3}$/),
			timezone: z.string().min(1),
		}),
	),
});

/** Org settings from the PACER_CONFIG file at `path`; none when `path` is null. */
export function readOrgSettings(path: string | null): OrgSettings[] {
	if (path === null) return [];
	const parsed = schema.safeParse(JSON.parse(readFileSync(path, "utf8")));
	if (!parsed.success) throw new ConfigError([`PACER_CONFIG ${path}: ${z.prettifyError(parsed.error)}`]);
	return parsed.data.orgs.map((o) => ({ orgId: o.id, reportingCurrency: o.currency, timezone: o.timezone }));
}
