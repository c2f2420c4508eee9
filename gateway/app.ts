import type { Hono } from "hono";
import { createHealthApp, type ReadinessCheck } from "../lib/runtime/health-app.ts";
import type { Metrics } from "../lib/runtime/metrics.ts";

/**
 * The gateway's HTTP face. At this stage it serves /health, /ready and
 * /metrics for the whole process; the GraphQL API (dashboards, reports,
 * configuration) is mounted here by the gateway issue.
 */
export function createGatewayApp(options: { metrics: Metrics; checks: ReadinessCheck[] }): Hono {
	return createHealthApp({ service: "gateway", metrics: options.metrics, checks: options.checks });
}
