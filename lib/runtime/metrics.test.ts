import { describe, expect, test } from "bun:test";
import { createMetrics } from "./metrics.ts";

describe("metrics", () => {
	test("renders counters, gauges and histograms in Prometheus text format", async () => {
		const metrics = createMetrics();
		const processed = metrics.counter("pacer_messages_processed_total", "Messages handled.");
		processed.inc({ worker: "bronze", topic: "connector.data.raw" });
		processed.inc({ worker: "bronze", topic: "connector.data.raw" }, 2);
		metrics.gauge("pacer_consumer_lag_messages", "Lag.").set({ topic: "t", partition: 0 }, 7);
		const h = metrics.histogram("pacer_batch_duration_seconds", "Batch time.", [0.1, 1]);
		h.observe({ worker: "w" }, 0.05);
		h.observe({ worker: "w" }, 0.5);
		h.observe({ worker: "w" }, 3);
		const text = await metrics.render();
		expect(text).toContain("# TYPE pacer_messages_processed_total counter");
		expect(text).toContain('pacer_messages_processed_total{topic="connector.data.raw",worker="bronze"} 3');
		expect(text).toContain('pacer_consumer_lag_messages{partition="0",topic="t"} 7');
		expect(text).toContain('pacer_batch_duration_seconds_bucket{le="0.1",worker="w"} 1');
		expect(text).toContain('pacer_batch_duration_seconds_bucket{le="1",worker="w"} 2');
		expect(text).toContain('pacer_batch_duration_seconds_bucket{le="+Inf",worker="w"} 3');
		expect(text).toContain('pacer_batch_duration_seconds_sum{worker="w"} 3.55');
		expect(text).toContain('pacer_batch_duration_seconds_count{worker="w"} 3');
		expect(text.endsWith("\n")).toBe(true);
	});

	test("label values are escaped and collectors run at scrape time", async () => {
		const metrics = createMetrics();
		const g = metrics.gauge("g", "A gauge.");
		let calls = 0;
		metrics.onCollect(() => {
			calls += 1;
			g.set({ name: 'a"b\\c\nd' }, calls);
		});
		expect(await metrics.render()).toContain('g{name="a\\"b\\\\c\\nd"} 1');
		expect(await metrics.render()).toContain('g{name="a\\"b\\\\c\\nd"} 2');
	});

	test("the same name cannot be two types, and counters never decrease", () => {
		const metrics = createMetrics();
		const c = metrics.counter("x_total", "x");
		expect(metrics.counter("x_total", "x")).toBe(c);
		expect(() => metrics.gauge("x_total", "x")).toThrow(/already registered as counter/);
		expect(() => c.inc({}, -1)).toThrow(/cannot decrease/);
		expect(() => metrics.counter("bad-name", "x")).toThrow(/invalid metric name/);
	});
});
