/**
 * The Bus port over Kafka through kafkajs. kafka.ts and its kafka-*.ts
 * parts (admin, producer, subscription, support) are the only files that
 * import kafkajs.
 *
 * Retries multiply. kafkajs retries every request itself (`retry.retries`,
 * default 5, exponential from `initialRetryTimeMs` up to `maxRetryTimeMs`)
 * before it throws, and its consumers restart themselves after retriable
 * crashes. An AdapterError from here is therefore already the end of
 * retries+1 attempts and up to ~sum(backoffs) of waiting; a policy of ours
 * with N attempts around a Bus call means up to N x (retries+1) broker
 * requests and N x that wait. Keep our own attempts few (2-3) for Bus calls.
 */
import { Kafka, logLevel } from "kafkajs";
import { AdapterError, ValidationError } from "../errors.ts";
import { createKafkaTopicAdmin } from "./kafka-admin.ts";
import { createKafkaProducer, type KafkaProducer } from "./kafka-producer.ts";
import { startKafkaSubscription } from "./kafka-subscription.ts";
import { type BusLogger, createLogCreator, stderrLogger, toAdapterError } from "./kafka-support.ts";
import type { Bus, Subscription } from "./port.ts";
import { assertPartitionCount, assertTopicName } from "./topics.ts";

export type { BusLogger } from "./kafka-support.ts";

export interface KafkaBusOptions {
	/** Bootstrap brokers, "host:port". */
	brokers: string[];
	/** Client id the brokers see in their logs and quotas. */
	clientId: string;
	/** Prepended to every topic and consumer group id, stripped from topics handed back. Default "". */
	topicPrefix?: string;
	/** Partitions of a topic whose spec has no count (untyped config). Default 3. */
	defaultPartitions?: number;
	/** Replication factor of created topics. Default -1 (the brokers' default). */
	replicationFactor?: number;
	/** TCP connect timeout per broker. Default 3000 ms (kafkajs's 1000 is tight on a busy host). */
	connectionTimeoutMs?: number;
	/** Timeout of one broker request. Default 30000 ms. */
	requestTimeoutMs?: number;
	/** kafkajs's own retries per operation; see the file comment. Default 5 retries, 300 ms, 30000 ms. */
	retry?: { retries?: number; initialRetryTimeMs?: number; maxRetryTimeMs?: number };
	/**
	 * Consumer session timeout: how long a crashed member holds its partitions
	 * (brokers allow 6000 to 300000). Default 10000 ms (Java's pre-3.0 default;
	 * kafkajs's 30000 leaves a killed worker's partitions idle for half a minute).
	 */
	sessionTimeoutMs?: number;
	/** Consumer heartbeat interval, at most a third of the session timeout. Default 3000 ms. */
	heartbeatIntervalMs?: number;
	/** Time members get to rejoin during a rebalance. Default 60000 ms. */
	rebalanceTimeoutMs?: number;
	/** Longest a fetch waits on the broker for data; also bounds how long stop() waits for a fetch. Default 500 ms. */
	maxWaitTimeMs?: number;
	/** Pause of a partition after its handler threw, before the batch is delivered again. Default 1000 ms. */
	redeliveryDelayMs?: number;
	/** How long ensureTopics waits for new topics to show in metadata with leaders. Default 30000 ms. */
	topicReadyTimeoutMs?: number;
	/**
	 * Idempotent producer (broker-side dedup of retried batches). Default: true
	 * when the cluster names a controller among its brokers, which kafkajs asks
	 * for producer ids. librdkafka's mock cluster (2.0) names none; there the
	 * producer is plain (acks all) and a warning says so.
	 */
	idempotent?: boolean;
	/**
	 * When set, ensureTopics creates missing topics (physical names) through
	 * this instead of Kafka's CreateTopics API, which librdkafka's mock cluster
	 * lacks. Default none.
	 */
	createTopicOutOfBand?: (name: string, partitions: number) => Promise<void>;
	/** Where kafkajs's warnings and errors go. Default JSON lines on stderr. */
	logger?: BusLogger;
}

/** Connects a producer and an admin client, and returns the Bus over them. */
export async function createKafkaBus(options: KafkaBusOptions): Promise<Bus> {
	const prefix = options.topicPrefix ?? "";
	if (prefix !== "") assertTopicName(prefix);
	const logger = options.logger ?? stderrLogger;
	const retry = {
		retries: options.retry?.retries ?? 5,
		initialRetryTime: options.retry?.initialRetryTimeMs ?? 300,
		maxRetryTime: options.retry?.maxRetryTimeMs ?? 30_000,
	};
	const kafka = new Kafka({
		clientId: options.clientId,
		brokers: options.brokers,
		connectionTimeout: options.connectionTimeoutMs ?? 3000,
		requestTimeout: options.requestTimeoutMs ?? 30_000,
		retry,
		logLevel: logLevel.WARN,
		logCreator: createLogCreator(logger),
	});
	const physical = (name: string) => `${prefix}${name}`;
	const logical = (name: string) => (name.startsWith(prefix) ? name.slice(prefix.length) : name);

	const admin = kafka.admin({ retry });
	let producer: KafkaProducer;
	try {
		await admin.connect();
		let idempotent = options.idempotent;
		if (idempotent === undefined) {
			const cluster = await admin.describeCluster();
			idempotent = cluster.brokers.some((broker) => broker.nodeId === cluster.controller);
			if (!idempotent) {
				logger.warn("the Kafka cluster names no controller; the producer is not idempotent", {
					controller: cluster.controller,
					brokers: options.brokers,
				});
			}
		}
		producer = await createKafkaProducer(kafka, { idempotent, retry });
	} catch (error) {
		await admin.disconnect().catch(() => {});
		throw toAdapterError(error, "connect", { brokers: options.brokers });
	}
	const topics = createKafkaTopicAdmin(admin, {
		replicationFactor: options.replicationFactor ?? -1,
		topicReadyTimeoutMs: options.topicReadyTimeoutMs ?? 30_000,
		...(options.createTopicOutOfBand ? { createTopicOutOfBand: options.createTopicOutOfBand } : {}),
	});

	const subscriptions = new Set<Subscription>();
	let closed = false;
	const assertOpen = () => {
		if (closed) throw new AdapterError("the Kafka bus is closed", { context: { clientId: options.clientId } });
	};

	return {
		async ensureTopics(specs) {
			assertOpen();
			const wanted = specs.map((spec) => {
				assertTopicName(spec.name);
				const partitions = spec.partitions ?? options.defaultPartitions ?? 3;
				assertPartitionCount(partitions, spec.name);
				return { name: physical(spec.name), partitions };
			});
			await topics.ensure(wanted);
		},

		async produce(topic, records) {
			assertOpen();
			assertTopicName(topic);
			if (records.length === 0) return [];
			await topics.require(physical(topic), topic);
			return producer.send(physical(topic), topic, records);
		},

		subscribe(subscribeOptions, handler) {
			assertOpen();
			const { groupId, topics: names } = subscribeOptions;
			if (typeof groupId !== "string" || groupId.length === 0) {
				throw new ValidationError("subscribe: groupId must be a non-empty string");
			}
			if (names.length === 0) throw new ValidationError("subscribe: topics must name at least one topic");
			for (const name of names) assertTopicName(name);
			const inner = startKafkaSubscription(
				{
					kafka,
					admin,
					logger,
					groupId: physical(groupId),
					physical,
					logical,
					sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
					heartbeatIntervalMs: options.heartbeatIntervalMs ?? 3000,
					rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? 60_000,
					maxWaitTimeMs: options.maxWaitTimeMs ?? 500,
					redeliveryDelayMs: options.redeliveryDelayMs ?? 1000,
					retry,
					beforeStart: async () => {
						for (const name of names) await topics.require(physical(name), name);
					},
				},
				subscribeOptions,
				handler,
			);
			const subscription: Subscription = {
				ready: inner.ready,
				stop: async () => {
					await inner.stop();
					subscriptions.delete(subscription);
				},
			};
			subscriptions.add(subscription);
			return subscription;
		},

		async lag(groupId, topic) {
			assertOpen();
			assertTopicName(topic);
			await topics.require(physical(topic), topic);
			return topics.lag(physical(groupId), physical(topic), topic);
		},

		async close() {
			if (closed) return;
			closed = true;
			await Promise.allSettled([...subscriptions].map((s) => s.stop()));
			await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
		},
	};
}
