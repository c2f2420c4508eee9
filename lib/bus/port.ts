/**
 * The Bus port: topics, keyed partitions, consumer groups, committed offsets.
 * Two adapters implement it (embedded in-process log on disk, Kafka through
 * kafkajs); one contract suite (bus.contract.ts) runs against both.
 *
 * Delivery is at least once: a batch's offsets are committed only after its
 * handler resolves, so a crash or a thrown handler means redelivery.
 */

/** A message as a consumer sees it. Offsets are decimal strings (Kafka int64). */
export interface BusMessage {
	readonly topic: string;
	readonly partition: number;
	readonly offset: string;
	readonly key: string | null;
	readonly value: Uint8Array;
	readonly headers: Readonly<Record<string, string>>;
	/** Milliseconds since the epoch, set when produced. */
	readonly timestamp: number;
}

export interface ProduceRecord {
	/** Messages with the same key land in the same partition, in order. */
	key: string | null;
	value: string | Uint8Array;
	headers?: Record<string, string>;
}

export interface ProducedRecord {
	topic: string;
	partition: number;
	offset: string;
}

/** All messages of one fetch from one partition, in offset order. */
export interface Batch {
	readonly topic: string;
	readonly partition: number;
	readonly messages: readonly BusMessage[];
}

export interface BatchContext {
	/** Aborted when the subscription stops; a handler may finish or abandon its work. */
	readonly signal: AbortSignal;
}

/**
 * Processes one batch. Resolving commits the offset after the batch's last
 * message; throwing commits nothing and the batch is delivered again.
 */
export type BatchHandler = (batch: Batch, context: BatchContext) => Promise<void>;

export interface SubscribeOptions {
	groupId: string;
	topics: string[];
	/** Where a group with no committed offset starts. Default: true (earliest). */
	fromBeginning?: boolean;
	/** Upper bound of messages handed to one handler call. Default 500. */
	maxBatchSize?: number;
	/** Upper bound of the bytes of one fetch (a bigger single message still comes alone). Default 32 MiB. */
	maxBatchBytes?: number;
}

export interface Subscription {
	/** Resolves once this member has joined its group and may receive messages. */
	readonly ready: Promise<void>;
	/**
	 * Stops fetching, aborts the context signal, waits for the in-flight batch
	 * (its commit only if its handler resolved), then leaves the group.
	 */
	stop(): Promise<void>;
}

export interface PartitionLag {
	topic: string;
	partition: number;
	/** Next offset the group will read; "-1" when the group never committed. */
	committedOffset: string;
	/** Offset the next produced message will get. */
	highWatermark: string;
	/** Messages not yet committed by the group. */
	lag: number;
}

export interface TopicSpec {
	name: string;
	partitions: number;
}

export interface Bus {
	/** Creates missing topics; existing ones are left as they are. */
	ensureTopics(topics: TopicSpec[]): Promise<void>;
	produce(topic: string, records: ProduceRecord[]): Promise<ProducedRecord[]>;
	subscribe(options: SubscribeOptions, handler: BatchHandler): Subscription;
	/** Consumer lag per partition of `topic` for `groupId`. */
	lag(groupId: string, topic: string): Promise<PartitionLag[]>;
	/** Stops every subscription and releases connections and files. */
	close(): Promise<void>;
}
