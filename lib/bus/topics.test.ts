import { describe, expect, test } from "bun:test";
import { ValidationError } from "../errors.ts";
import { allTopics, assertTopicName, CONNECTOR_DATA_RAW, dlqTopic, isDlqTopic, RULES_ALERTS } from "./topics.ts";

describe("topics", () => {
	test("the five pipeline topics and their dead-letter topics", () => {
		expect(allTopics(6)).toEqual([
			{ name: "connector.data.raw", partitions: 6 },
			{ name: "connector.data.raw.dlq", partitions: 6 },
			{ name: "bronze.data.cleaned", partitions: 6 },
			{ name: "bronze.data.cleaned.dlq", partitions: 6 },
			{ name: "silver.data.processed", partitions: 6 },
			{ name: "silver.data.processed.dlq", partitions: 6 },
			{ name: "gold.data.ready", partitions: 6 },
			{ name: "gold.data.ready.dlq", partitions: 6 },
			{ name: "rules.alerts", partitions: 6 },
			{ name: "rules.alerts.dlq", partitions: 6 },
		]);
		expect(dlqTopic(RULES_ALERTS)).toBe("rules.alerts.dlq");
		expect(isDlqTopic(dlqTopic(CONNECTOR_DATA_RAW))).toBe(true);
		expect(isDlqTopic(CONNECTOR_DATA_RAW)).toBe(false);
	});

	test("names follow Kafka's rules", () => {
		for (const ok of ["a", "A-b_c.9", "x".repeat(249)]) expect(() => assertTopicName(ok)).not.toThrow();
		for (const bad of ["", ".", "..", "a b", "a/b", "ü", "x".repeat(250)]) {
			expect(() => assertTopicName(bad)).toThrow(ValidationError);
		}
		expect(() => dlqTopic("x".repeat(246))).toThrow(ValidationError);
		expect(() => allTopics(0)).toThrow(ValidationError);
	});
});
