import type { Hono } from "hono";
import type { BreakerRegistry } from "./breaker.ts";
import type { ConnectionRunner } from "./runner.ts";
import type { Scheduler } from "./scheduler.ts";
import type { StatusStore } from "./status.ts";
import { isIsoDate } from "./windows.ts";

/**
 * The connector's routes beside /health, /ready and /metrics:
 * `GET /connections` (config without credentials, status, next run),
 * `POST /connections/:id/run` (optional from/to, JSON body or query) → 202
 * with the run id, 409 while a run of that connection is going,
 * `GET /connections/:id/runs` (recent runs).
 */
export function connectorRoutes(deps: {
	runner: ConnectionRunner;
	status: StatusStore;
	breakers: BreakerRegistry;
	scheduler?: Scheduler;
}): (app: Hono) => void {
	return (app) => {
		app.get("/connections", async (c) => {
			const statuses = new Map((await deps.status.list()).map((s) => [s.connection_id, s]));
			const next = deps.scheduler?.next() ?? {};
			return c.json({
				connections: deps.runner.connections().map((connection) => ({
					id: connection.id,
					org_id: connection.orgId,
					source: connection.source,
					accounts: connection.accounts,
					schedule: connection.schedule,
					timezone: connection.timezone,
					lookback_days: connection.lookbackDays,
					next_run_at: next[connection.id] ?? null,
					breakers: connection.accounts.map((account) => ({
						account,
						state: deps.breakers.state(connection.source, account),
					})),
					status: statuses.get(connection.id) ?? null,
				})),
			});
		});
		app.post("/connections/:id/run", async (c) => {
			const body = (await c.req.json().catch(() => ({}))) as { from?: unknown; to?: unknown };
			const from = body.from ?? c.req.query("from");
			const to = body.to ?? c.req.query("to");
			if ((from !== undefined || to !== undefined) && !(isIsoDate(from) && isIsoDate(to) && from <= to)) {
				return c.json({ error: "from and to must both be YYYY-MM-DD dates with from <= to" }, 400);
			}
			const outcome = deps.runner.start(c.req.param("id"), {
				trigger: "manual",
				...(isIsoDate(from) && isIsoDate(to) ? { window: { from, to } } : {}),
			});
			if ("unknown" in outcome) return c.json({ error: `unknown connection ${outcome.unknown}` }, 404);
			if ("conflict" in outcome)
				return c.json({ error: "a run of this connection is in progress", run_id: outcome.conflict.runId }, 409);
			outcome.done.catch(() => {});
			return c.json(
				{ run_id: outcome.started.runId, connection_id: outcome.started.connectionId, window: outcome.started.window },
				202,
			);
		});
		app.get("/connections/:id/runs", (c) => c.json({ runs: deps.runner.runs(c.req.param("id")) }));
	};
}
