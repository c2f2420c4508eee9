import { afterAll, beforeAll, expect, test } from "bun:test";
import { allTopics, CONNECTOR_DATA_RAW, createEmbeddedBus } from "../../lib/bus/index.ts";
import type { Bus } from "../../lib/bus/port.ts";
import { createLogger } from "../../lib/runtime/logger.ts";
import { createMetrics } from "../../lib/runtime/metrics.ts";
import { createTestClock } from "../../test/support/clock.ts";
import { testNamespace, waitFor } from "../../test/support/namespace.ts";
import { createBackpressure } from "./backpressure.ts";
import { connectorMetrics } from "./metrics.ts";

const ns = testNamespace("connector-backpressure");
let bus: Bus;
beforeAll(async () => {
	bus = await createEmbeddedBus({ dir: ns.dir, defaultPartitions: 1 });
	await bus.ensureTopics(allTopics(1));
});
afterAll(async () => {
	await bus.close();
	ns.cleanup();
});

const produce = (n: number) =>
	bus.produce(
		CONNECTOR_DATA_RAW,
		Array.from({ length: n }, (_, i) => ({ key: "org", value: `m${i}` })),
	);

test("below the soft threshold nothing waits; between soft and hard each page is slowed; above hard it pauses until the lag drains", async () => {
	const clock = createTestClock();
	const metrics = connectorMetrics(createMetrics());
	const gauge = () => metrics.backpressureState.get({ group: "pacer-bronze" });
	const bp = createBackpressure({
		bus,
		clock,
		logger: createLogger({ write: () => {} }),
		metrics,
		softLag: 3,
		hardLag: 5,
		slowDelayMs: 250,
		pollMs: 1000,
		cacheMs: 0,
	});

	await produce(2);
	await bp.gate();
	expect(clock.sleeps).toEqual([]);
	expect(bp.state()).toBe("normal");

	await produce(2);
	await bp.gate();
	expect(clock.sleeps).toEqual([250]);
	expect(gauge()).toBe(1);

	await produce(2);
	let released = false;
	const gate = bp.gate().then(() => {
		released = true;
	});
	await waitFor(() => clock.sleeps.includes(1000), { what: "a paused poll" });
	expect(bp.state()).toBe("paused");
	expect(gauge()).toBe(2);
	expect(released).toBe(false);

	// The bronze group catches up: the gate opens.
	const consumer = bus.subscribe({ groupId: "pacer-bronze", topics: [CONNECTOR_DATA_RAW] }, async () => {});
	await gate;
	await consumer.stop();
	expect(await bp.lag()).toBe(0);
	await bp.gate();
	expect(bp.state()).toBe("normal");
	expect(gauge()).toBe(0);
});
