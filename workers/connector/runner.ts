import type { Logger } from "../../lib/runtime/logger.ts";
import type { ConnectorRuntime, RunResult } from "./runtime.ts";
import type { Connection, DateWindow, Source, SourceName } from "./source.ts";
import { lookbackWindow } from "./windows.ts";

export interface RunRecord {
	runId: string;
	connectionId: string;
	window: DateWindow;
	trigger: "schedule" | "manual" | "backfill";
	startedAt: string;
	result: RunResult | null;
}

export type StartOutcome =
	| { started: RunRecord; done: Promise<RunResult> }
	| { conflict: RunRecord }
	| { unknown: string };

export interface ConnectionRunner {
	connections(): Connection[];
	/** Starts a run unless the connection is already running (one run per connection at a time). */
	start(connectionId: string, options?: { window?: DateWindow; trigger?: RunRecord["trigger"] }): StartOutcome;
	/** The default window of a connection now: today − lookbackDays .. today in its org's time zone. */
	defaultWindow(connection: Connection): DateWindow;
	/** Recent runs, newest first (bounded). */
	runs(connectionId?: string): RunRecord[];
	/** Resolves when no run is in flight. */
	idle(): Promise<void>;
}

const KEEP_RUNS = 200;

/** Runs connections by id through the runtime, one at a time per connection, remembering recent runs. */
export function createConnectionRunner(deps: {
	runtime: ConnectorRuntime;
	sources: Partial<Record<SourceName, Source>>;
	connections: readonly Connection[];
	now(): Date;
	logger: Logger;
	signal?: AbortSignal;
}): ConnectionRunner {
	const byId = new Map(deps.connections.map((c) => [c.id, c]));
	const inFlight = new Map<string, { record: RunRecord; done: Promise<RunResult> }>();
	const history: RunRecord[] = [];
	const defaultWindow = (c: Connection) => lookbackWindow(c.timezone, c.lookbackDays, deps.now());

	return {
		connections: () => [...byId.values()],
		defaultWindow,
		start(connectionId, options = {}) {
			const connection = byId.get(connectionId);
			if (!connection) return { unknown: connectionId };
			const running = inFlight.get(connectionId);
			if (running) return { conflict: running.record };
			const source = deps.sources[connection.source];
			if (!source) return { unknown: `${connectionId} (source ${connection.source} not available)` };
			const record: RunRecord = {
				runId: crypto.randomUUID(),
				connectionId,
				window: options.window ?? defaultWindow(connection),
				trigger: options.trigger ?? "manual",
				startedAt: deps.now().toISOString(),
				result: null,
			};
			history.unshift(record);
			history.length = Math.min(history.length, KEEP_RUNS);
			const done = deps.runtime
				.run(source, connection, record.window, { runId: record.runId, signal: deps.signal })
				.then((result) => {
					record.result = result;
					return result;
				})
				.finally(() => inFlight.delete(connectionId));
			inFlight.set(connectionId, { record, done });
			return { started: record, done };
		},
		runs: (connectionId) => (connectionId ? history.filter((r) => r.connectionId === connectionId) : [...history]),
		async idle() {
			while (inFlight.size > 0) await Promise.allSettled([...inFlight.values()].map((r) => r.done));
		},
	};
}
