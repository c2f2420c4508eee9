/**
 * The Kafka adapter's producer: acks from all in-sync replicas, kafkajs's
 * DefaultPartitioner (murmur2, as Java's), offsets per record.
 */
import { type Kafka, type Message, Partitioners, type Producer } from "kafkajs";
import { AdapterError } from "../errors.ts";
import { toAdapterError } from "./kafka-support.ts";
import type { ProducedRecord, ProduceRecord } from "./port.ts";

export interface KafkaProducer {
	/** Sends `records` to the physical topic `name`; results carry the logical `topic`. */
	send(name: string, topic: string, records: ProduceRecord[]): Promise<ProducedRecord[]>;
	disconnect(): Promise<void>;
}

export async function createKafkaProducer(
	kafka: Kafka,
	options: { idempotent: boolean; retry: { retries: number; initialRetryTime: number; maxRetryTime: number } },
): Promise<KafkaProducer> {
	// kafkajs answers one offset per partition; the partition each message went
	// to, read back from the partitioner, numbers the records within it.
	const chosenPartition = new WeakMap<Message, number>();
	const createPartitioner = () => {
		const murmur2 = Partitioners.DefaultPartitioner();
		return (args: Parameters<typeof murmur2>[0]) => {
			const partition = murmur2(args);
			chosenPartition.set(args.message, partition);
			return partition;
		};
	};
	const connect = async (): Promise<Producer> => {
		const producer = kafka.producer({
			idempotent: options.idempotent,
			// Required by idempotence; without it, what keeps retried batches in order.
			maxInFlightRequests: 1,
			allowAutoTopicCreation: false,
			createPartitioner,
			retry: options.retry,
		});
		await producer.connect();
		return producer;
	};

	let current: Promise<Producer> = Promise.resolve(await connect());
	const replaced = new WeakSet<Producer>();
	/**
	 * The idempotent producer numbers batches per partition and advances only
	 * on success. After a failure that did reach the broker, the next batch
	 * would reuse those numbers and be dropped as a duplicate; a fresh producer
	 * (new producer id) starts a clean sequence. Concurrent failures replace once.
	 */
	const replace = (failed: Producer) => {
		if (replaced.has(failed)) return;
		replaced.add(failed);
		current = connect();
		current.catch(() => {}); // the next send() reports it
		failed.disconnect().catch(() => {});
	};

	return {
		async send(name, topic, records) {
			if (records.length === 0) return [];
			const messages: Message[] = records.map((record) => ({
				key: record.key,
				value:
					typeof record.value === "string"
						? record.value
						: Buffer.from(record.value.buffer, record.value.byteOffset, record.value.byteLength),
				...(record.headers ? { headers: record.headers } : {}),
			}));
			const producer = await current.catch((error) => {
				throw toAdapterError(error, "connect");
			});
			let results: Awaited<ReturnType<Producer["send"]>>;
			try {
				results = await producer.send({ topic: name, messages, acks: -1 });
			} catch (error) {
				if (options.idempotent) replace(producer);
				throw toAdapterError(error, "produce", { topic, records: records.length });
			}
			const baseOffsets = new Map(results.map((r) => [r.partition, BigInt(r.baseOffset ?? "0")]));
			const seen = new Map<number, bigint>();
			return messages.map((message) => {
				const partition = chosenPartition.get(message);
				const base = partition === undefined ? undefined : baseOffsets.get(partition);
				if (partition === undefined || base === undefined) {
					throw new AdapterError("kafka produce returned no offset for a record", { context: { topic, partition } });
				}
				const index = seen.get(partition) ?? 0n;
				seen.set(partition, index + 1n);
				return { topic, partition, offset: (base + index).toString() };
			});
		},
		async disconnect() {
			await (await current).disconnect();
		},
	};
}
