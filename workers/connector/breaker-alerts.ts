import type { Bus } from "../../lib/bus/port.ts";
import { RULES_ALERTS } from "../../lib/bus/topics.ts";
import { createEnvelope } from "../../lib/envelope/index.ts";
import { publishEnvelopes } from "../../lib/runtime/envelope-io.ts";
import type { Logger } from "../../lib/runtime/logger.ts";
import type { BreakerEvent, BreakerRegistry } from "./breaker.ts";
import type { ConnectorMetrics } from "./metrics.ts";
import type { Connection } from "./source.ts";
import type { StatusStore } from "./status.ts";

/** Rule id of the operations alert raised when a connector's circuit breaker opens. */
export const BREAKER_RULE_ID = "ops.connector_breaker";

const GAUGE = { closed: 0, open: 1, half_open: 2 } as const;

/**
 * Turns breaker state changes into operations signals: the gauge, an error
 * log line, the connection's status row, and an alert on `rules.alerts`
 * (firing on open, resolved on close) that the notify worker routes like any
 * other. Returns `settled()` so a run can wait for them before it reports.
 */
export function watchBreakers(deps: {
	breakers: BreakerRegistry;
	bus: Bus;
	status: StatusStore;
	logger: Logger;
	metrics: ConnectorMetrics;
	now(): Date;
	connection(id: string): Connection | undefined;
}): { settled(): Promise<void>; stop(): void } {
	const pending = new Set<Promise<void>>();
	const handle = async (event: BreakerEvent) => {
		deps.metrics.breakerState.set({ source: event.source, account: event.account }, GAUGE[event.state]);
		const connection = deps.connection(event.connectionId);
		if (!connection) return;
		const reason = event.error?.message ?? "";
		await deps.status.breaker(connection, event.state, deps.now(), event.state === "open" ? reason : undefined);
		if (event.state === "half_open") return;
		const firing = event.state === "open";
		const log = firing ? deps.logger.error : deps.logger.info;
		log(firing ? "circuit breaker opened" : "circuit breaker closed", {
			source: event.source,
			account: event.account,
			connection_id: connection.id,
			reason,
		});
		const alert = createEnvelope(
			RULES_ALERTS,
			{
				org_id: connection.orgId,
				source: "connector",
				alert_id: `${BREAKER_RULE_ID}:${event.source}:${event.account}`,
				rule_id: BREAKER_RULE_ID,
				state: firing ? "firing" : "resolved",
				entity: { source: event.source, account: event.account, connection_id: connection.id },
				summary: firing
					? `${event.source} account ${event.account}: circuit breaker open after consecutive failures (${reason}); data may be stale`
					: `${event.source} account ${event.account}: circuit breaker closed, fetching again`,
			},
			deps.now,
		);
		await publishEnvelopes(deps.bus, RULES_ALERTS, [alert]);
	};
	const stop = deps.breakers.onChange((event) => {
		const done = handle(event)
			.catch((error) => deps.logger.error("breaker alert failed", { error }))
			.finally(() => pending.delete(done));
		pending.add(done);
	});
	return {
		async settled() {
			while (pending.size > 0) await Promise.all([...pending]);
		},
		stop,
	};
}
