import type { RunningSimulators } from "../../simulators/index.ts";
import type { World } from "../../simulators/world.ts";
import { type PacerConfig, parsePacerConfig } from "./config.ts";
import type { SourceName } from "./source.ts";

const SOURCES: readonly SourceName[] = ["dv360", "ttd", "meta", "sheets"];
const SCHEDULES: Record<SourceName, string> = {
	dv360: "0 */2 * * *",
	ttd: "15 */2 * * *",
	meta: "30 * * * *",
	sheets: "45 */6 * * *",
};

/**
 * The configuration `npm start` uses without PACER_CONFIG: every org of the
 * simulated world with one connection per source, pointed at the in-process
 * simulators. API keys are demo values: never use this outside a laptop.
 */
export function createDemoConfig(
	world: World,
	simulators: Pick<RunningSimulators, "baseUrls" | "credentials" | "settings" | "accounts">,
): PacerConfig {
	return parsePacerConfig(
		{
			orgs: world.orgs.map(({ org }) => ({
				id: org.id,
				name: org.name,
				currency: org.currency,
				timezone: org.timezone,
				apiKeys: [`demo-key-${org.id}-not-secret`],
				connections: SOURCES.map((source) => ({
					id: `${org.id}-${source}`,
					source,
					accounts: simulators.accounts(source, org.id),
					settings: simulators.settings(source, org.id),
					credentials: simulators.credentials(source),
					schedule: SCHEDULES[source],
					baseUrls: simulators.baseUrls(source),
				})),
			})),
		},
		"demo configuration",
	);
}
