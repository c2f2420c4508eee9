import type { Bus } from "../../lib/bus/port.ts";
import { CONNECTOR_DATA_RAW } from "../../lib/bus/topics.ts";
import type { Logger } from "../../lib/runtime/logger.ts";
import type { ConnectorMetrics } from "./metrics.ts";
import type { Backpressure } from "./runtime.ts";

export interface BackpressureOptions {
	bus: Bus;
	clock: { sleep(ms: number): Promise<void> };
	logger: Logger;
	metrics: ConnectorMetrics;
	/** Consumer group whose lag is watched. Default "pacer-bronze". */
	groupId?: string;
	/** Default connector.data.raw. */
	topic?: string;
	/** Lag (messages) above which each page is delayed by `slowDelayMs`. Default 5,000. */
	softLag?: number;
	/** Lag (messages) above which fetching pauses until it falls below `softLag`. Default 20,000. */
	hardLag?: number;
	/** Delay per page while slowed, ms. Default 500. */
	slowDelayMs?: number;
	/** Re-check interval while paused, ms. Default 5,000. */
	pollMs?: number;
	/** Reuse a lag reading for this many wall-clock ms (a Kafka lag read is an admin round trip). Default 1,000. */
	cacheMs?: number;
}

export type BackpressureState = "normal" | "slowed" | "paused";
const GAUGE: Record<BackpressureState, number> = { normal: 0, slowed: 1, paused: 2 };

/**
 * Producer-side backpressure (DESIGN.md §9): before a run and between pages
 * the connector reads how far the bronze consumer group is behind on
 * connector.data.raw. Above `softLag` it slows down, above `hardLag` it
 * pauses until the lag is back under `softLag` (hysteresis, so it does not
 * flap). An unreadable lag counts as zero: backpressure must never stop
 * ingestion on its own failure.
 */
export function createBackpressure(
	options: BackpressureOptions,
): Backpressure & { state(): BackpressureState; lag(): Promise<number> } {
	const groupId = options.groupId ?? "pacer-bronze";
	const topic = options.topic ?? CONNECTOR_DATA_RAW;
	const soft = options.softLag ?? 5_000;
	const hard = options.hardLag ?? 20_000;
	const cacheMs = options.cacheMs ?? 1_000;
	let state: BackpressureState = "normal";
	let cached: { at: number; lag: number } | null = null;

	const readLag = async (fresh = false): Promise<number> => {
		if (!fresh && cached && performance.now() - cached.at < cacheMs) return cached.lag;
		let lag = 0;
		try {
			lag = (await options.bus.lag(groupId, topic)).reduce((sum, p) => sum + Math.max(0, p.lag), 0);
		} catch (error) {
			options.logger.warn("cannot read consumer lag; not applying backpressure", { group: groupId, error });
		}
		cached = { at: performance.now(), lag };
		return lag;
	};
	const enter = (next: BackpressureState, lag: number) => {
		if (next !== state) options.logger.info("backpressure", { state: next, lag, soft, hard, group: groupId });
		state = next;
		options.metrics.backpressureState.set({ group: groupId }, GAUGE[next]);
	};

	return {
		state: () => state,
		lag: () => readLag(true),
		async gate(signal) {
			let lag = await readLag();
			if (lag > hard) {
				enter("paused", lag);
				while (lag >= soft) {
					signal?.throwIfAborted();
					await options.clock.sleep(options.pollMs ?? 5_000);
					lag = await readLag(true);
				}
			}
			if (lag > soft) {
				enter("slowed", lag);
				await options.clock.sleep(options.slowDelayMs ?? 500);
				return;
			}
			enter("normal", lag);
		},
	};
}
