import { Cron } from "croner";
import type { Logger } from "../../lib/runtime/logger.ts";
import type { ConnectionRunner } from "./runner.ts";

export interface Scheduler {
	/** Next scheduled time per connection (null when on demand only). */
	next(): Record<string, string | null>;
	stop(): void;
}

/**
 * One croner job per scheduled connection, in its org's time zone. A fire
 * while the previous run of that connection is still going is skipped (the
 * next fire re-pulls the whole lookback window anyway).
 */
export function startScheduler(runner: ConnectionRunner, logger: Logger): Scheduler {
	const jobs = new Map<string, Cron>();
	for (const connection of runner.connections()) {
		if (!connection.schedule) continue;
		const job = new Cron(
			connection.schedule,
			{ timezone: connection.timezone, name: `connector:${connection.id}` },
			() => {
				const outcome = runner.start(connection.id, { trigger: "schedule" });
				if ("conflict" in outcome)
					logger.info("scheduled run skipped: previous run still going", { connection_id: connection.id });
			},
		);
		jobs.set(connection.id, job);
	}
	return {
		next: () =>
			Object.fromEntries(runner.connections().map((c) => [c.id, jobs.get(c.id)?.nextRun()?.toISOString() ?? null])),
		stop() {
			for (const job of jobs.values()) job.stop();
		},
	};
}
