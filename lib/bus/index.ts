export { buildDeadLetter, type DeadLetter, deadLetter, decodeDeadLetter, originalValue } from "./dlq.ts";
export { createEmbeddedBus, type EmbeddedBusOptions } from "./embedded.ts";
export type { HandlerErrorContext } from "./embedded-group.ts";
export { createKafkaBus, type KafkaBusOptions } from "./kafka.ts";
export { createPartitioner, murmur2, type Partitioner, partitionForKey } from "./partitioner.ts";
export type {
	Batch,
	BatchContext,
	BatchHandler,
	Bus,
	BusMessage,
	PartitionLag,
	ProducedRecord,
	ProduceRecord,
	SubscribeOptions,
	Subscription,
	TopicSpec,
} from "./port.ts";
export {
	allTopics,
	assertPartitionCount,
	assertTopicName,
	BRONZE_DATA_CLEANED,
	CONNECTOR_DATA_RAW,
	dlqTopic,
	GOLD_DATA_READY,
	isDlqTopic,
	PIPELINE_TOPICS,
	type PipelineTopic,
	RULES_ALERTS,
	SILVER_DATA_PROCESSED,
} from "./topics.ts";
