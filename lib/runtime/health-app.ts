import { Hono } from "hono";
import type { Metrics } from "./metrics.ts";

export interface ReadinessCheck {
	/** Short name shown in /ready's body, e.g. "consumer:deadletter". */
	name: string;
	check(): Promise<boolean> | boolean;
}

/**
 * The HTTP face every Pacer process shares: `/health` (alive: the process
 * answers), `/ready` (every check passes: may receive traffic or messages),
 * `/metrics` (Prometheus text). Workers and the gateway mount their own routes
 * on the returned app.
 */
export function createHealthApp(options: { service: string; metrics: Metrics; checks: ReadinessCheck[] }): Hono {
	const app = new Hono();
	const startedAt = Date.now();
	app.get("/health", (c) =>
		c.json({
			status: "ok",
			service: options.service,
			uptime_s: Math.round((Date.now() - startedAt) / 1000),
		}),
	);
	app.get("/ready", async (c) => {
		const results = await Promise.all(
			options.checks.map(async (check) => {
				try {
					return [check.name, await check.check()] as const;
				} catch {
					return [check.name, false] as const;
				}
			}),
		);
		const ready = results.every(([, ok]) => ok);
		return c.json(
			{
				status: ready ? "ready" : "not_ready",
				checks: Object.fromEntries(results),
			},
			ready ? 200 : 503,
		);
	});
	app.get("/metrics", async (c) => {
		c.header("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
		return c.body(await options.metrics.render());
	});
	return app;
}
