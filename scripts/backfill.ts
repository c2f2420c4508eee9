/**
 * Re-pulls a connection over a date range, in chunks of days, with a progress
 * bar: `bun run backfill -- --connection <id> --from YYYY-MM-DD --to YYYY-MM-DD [--chunk-days 7]`.
 * Uses the same configuration, adapters and framework as the worker; on the
 * embedded bus it needs the data directory to itself (stop `npm start` first).
 */
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import { openAdapters } from "../lib/runtime/adapters.ts";
import { loadConfigOrExit } from "../lib/runtime/boot.ts";
import { createLogger } from "../lib/runtime/logger.ts";
import { bootConnector } from "../workers/connector/boot.ts";
import { chunkWindow, isIsoDate } from "../workers/connector/windows.ts";

const { values } = parseArgs({
	args: Bun.argv.slice(2),
	options: {
		connection: { type: "string" },
		from: { type: "string" },
		to: { type: "string" },
		"chunk-days": { type: "string", default: "7" },
	},
});
const chunkDays = Number(values["chunk-days"]);
if (
	!values.connection ||
	!isIsoDate(values.from) ||
	!isIsoDate(values.to) ||
	values.from > values.to ||
	!(chunkDays >= 1)
) {
	process.stderr.write(
		"usage: bun run backfill -- --connection <id> --from YYYY-MM-DD --to YYYY-MM-DD [--chunk-days 7]\n",
	);
	process.exit(2);
}
const connectionId = values.connection;
const config = loadConfigOrExit("backfill");
// Logs go to stderr at warn so the progress bar stays readable.
const logger = createLogger({
	level: "warn",
	fields: { service: "backfill" },
	write: (line) => process.stderr.write(line),
});
const adapters = await openAdapters(config, logger, ["objectStore"]);
const connector = await bootConnector({ config, adapters, logger, schedule: false });
let failed = 0;
try {
	const chunks = chunkWindow({ from: values.from, to: values.to }, chunkDays);
	const bar = new cliProgress.SingleBar(
		{
			format: "{bar} {value}/{total} chunks | {window} | pages {pages} | rows {rows} | dead letters {dead}",
			hideCursor: true,
		},
		cliProgress.Presets.shades_classic,
	);
	const totals = { pages: 0, rows: 0, dead: 0 };
	bar.start(chunks.length, 0, { window: "", ...totals });
	for (const window of chunks) {
		const outcome = connector.worker.runner.start(connectionId, { window, trigger: "backfill" });
		if (!("started" in outcome)) {
			bar.stop();
			process.stderr.write(
				`backfill: ${"unknown" in outcome ? `unknown connection ${outcome.unknown}` : "a run is already in progress"}\n`,
			);
			failed = 1;
			break;
		}
		const result = await outcome.done;
		totals.pages += result.pages;
		totals.rows += result.summary?.rows ?? 0;
		totals.dead += result.deadLetters;
		if (result.state !== "ok") {
			failed += 1;
			process.stderr.write(`\n${window.from}..${window.to}: ${result.state}: ${result.error ?? ""}\n`);
		}
		bar.increment({ window: `${window.from}..${window.to}`, ...totals });
	}
	bar.stop();
	process.stdout.write(
		`backfill ${connectionId} ${values.from}..${values.to}: ${totals.pages} pages, ${totals.rows} rows, ${totals.dead} dead letters, ${failed} failed chunks\n`,
	);
} finally {
	await connector.stop();
	await adapters.close();
}
process.exit(failed > 0 ? 1 : 0);
