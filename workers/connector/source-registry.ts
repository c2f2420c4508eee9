import type { Logger } from "../../lib/runtime/logger.ts";
import type { Source, SourceName } from "./source.ts";

const FACTORY: Record<SourceName, string> = {
	dv360: "createDv360Source",
	ttd: "createTtdSource",
	meta: "createMetaSource",
	sheets: "createSheetsSource",
};

/**
 * Every source this build has, by name. Each is imported on demand from
 * `sources/<name>/index.ts` so a process loads only what its connections use
 * and a source still being written does not stop the others.
 */
export async function loadSources(
	logger: Logger,
	names: readonly SourceName[] = ["dv360", "ttd", "meta", "sheets"],
): Promise<Partial<Record<SourceName, Source>>> {
	const sources: Partial<Record<SourceName, Source>> = {};
	for (const name of new Set(names)) {
		try {
			const module = (await import(`./sources/${name}/index.ts`)) as Record<string, unknown>;
			const create = module[FACTORY[name]];
			if (typeof create !== "function") throw new Error(`sources/${name}/index.ts exports no ${FACTORY[name]}()`);
			sources[name] = (create as () => Source)();
		} catch (error) {
			logger.error("source not available; its connections will not run", { source: name, error });
		}
	}
	return sources;
}
