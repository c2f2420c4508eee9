import { ValidationError } from "../errors.ts";
import type { SubscribeOptions, TopicSpec } from "./port.ts";

/** Messages one batch holds at most, unless a subscription asks otherwise. */
export const DEFAULT_MAX_BATCH_SIZE = 500;
/** Bytes one fetch holds at most (like kafkajs's maxBytesPerPartition; a bigger single message still comes alone). */
export const DEFAULT_MAX_BATCH_BYTES = 32 * 1024 * 1024;

/** A subscription's batch bounds with their defaults; one that is not a positive whole number is a ValidationError. */
export function batchLimits(options: Pick<SubscribeOptions, "maxBatchSize" | "maxBatchBytes">): {
	maxBatchSize: number;
	maxBatchBytes: number;
} {
	const limits = {
		maxBatchSize: options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE,
		maxBatchBytes: options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES,
	};
	for (const [name, value] of Object.entries(limits)) {
		if (!Number.isInteger(value) || value < 1) {
			throw new ValidationError(`subscribe: ${name} must be a positive whole number, got ${value}`);
		}
	}
	return limits;
}

/** Raw API response pages from the connector worker (DESIGN.md §4). */
export const CONNECTOR_DATA_RAW = "connector.data.raw";
/** Bronze tables changed. */
export const BRONZE_DATA_CLEANED = "bronze.data.cleaned";
/** Silver tables changed. */
export const SILVER_DATA_PROCESSED = "silver.data.processed";
/** Gold tables and dates refreshed. */
export const GOLD_DATA_READY = "gold.data.ready";
/** Alert state changes (firing, resolved). */
export const RULES_ALERTS = "rules.alerts";

/** The pipeline topics in flow order, without their dead-letter topics. */
export const PIPELINE_TOPICS = [
	CONNECTOR_DATA_RAW,
	BRONZE_DATA_CLEANED,
	SILVER_DATA_PROCESSED,
	GOLD_DATA_READY,
	RULES_ALERTS,
] as const;

export type PipelineTopic = (typeof PIPELINE_TOPICS)[number];

const DLQ_SUFFIX = ".dlq";
/** Kafka's own limit (Topic.MAX_NAME_LENGTH). */
const MAX_TOPIC_NAME_LENGTH = 249;
const LEGAL_TOPIC_NAME = /^[a-zA-Z0-9._-]+$/;

/** Throws ValidationError unless `name` is a legal Kafka topic name (`[a-zA-Z0-9._-]`, 1 to 249 chars, not "." or ".."). */
export function assertTopicName(name: string): void {
	if (typeof name !== "string" || name.length === 0) {
		throw new ValidationError("topic name must be a non-empty string", { context: { topic: name } });
	}
	if (name.length > MAX_TOPIC_NAME_LENGTH) {
		throw new ValidationError(`topic name is longer than ${MAX_TOPIC_NAME_LENGTH} characters: ${name}`, {
			context: { topic: name },
		});
	}
	// "." and ".." would also be directory names in the embedded log; Kafka refuses them too.
	if (!LEGAL_TOPIC_NAME.test(name) || name === "." || name === "..") {
		throw new ValidationError(`illegal topic name "${name}": only [a-zA-Z0-9._-] allowed`, {
			context: { topic: name },
		});
	}
}

/** The dead-letter topic of `topic`: `<topic>.dlq`. */
export function dlqTopic(topic: string): string {
	assertTopicName(topic);
	const name = `${topic}${DLQ_SUFFIX}`;
	assertTopicName(name);
	return name;
}

/** True when `topic` is a dead-letter topic. */
export function isDlqTopic(topic: string): boolean {
	return topic.endsWith(DLQ_SUFFIX);
}

/** TopicSpecs for every pipeline topic and its dead-letter topic, each with `partitions` partitions. */
export function allTopics(partitions: number): TopicSpec[] {
	assertPartitionCount(partitions);
	return PIPELINE_TOPICS.flatMap((name) => [
		{ name, partitions },
		{ name: dlqTopic(name), partitions },
	]);
}

/** Throws ValidationError unless `partitions` is a whole number from 1 to 10,000. */
export function assertPartitionCount(partitions: number, topic?: string): void {
	if (!Number.isInteger(partitions) || partitions < 1 || partitions > 10_000) {
		throw new ValidationError(`partition count must be a whole number from 1 to 10000, got ${partitions}`, {
			context: { topic, partitions },
		});
	}
}
