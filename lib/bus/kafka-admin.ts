/**
 * Topic administration and lag for the Kafka adapter, over one kafkajs admin
 * client. Names here are physical (prefixed) unless a parameter says logical.
 */
import type { Admin } from "kafkajs";
import { ValidationError } from "../errors.ts";
import { toAdapterError } from "./kafka-support.ts";
import type { PartitionLag } from "./port.ts";

export interface KafkaTopicAdminOptions {
	replicationFactor: number;
	topicReadyTimeoutMs: number;
	createTopicOutOfBand?: (name: string, partitions: number) => Promise<void>;
}

export interface KafkaTopicAdmin {
	/** Creates the missing topics and waits until metadata shows them with leaders. */
	ensure(specs: { name: string; partitions: number }[]): Promise<void>;
	/** Throws ValidationError unless the topic exists; `logical` names it in the error. */
	require(name: string, logical: string): Promise<void>;
	/** Lag of `groupId` on `name`, reported under the logical topic name. */
	lag(groupId: string, name: string, logical: string): Promise<PartitionLag[]>;
}

export function createKafkaTopicAdmin(admin: Admin, options: KafkaTopicAdminOptions): KafkaTopicAdmin {
	/**
	 * Topics known to exist. Produce, subscribe and lag check here first: a
	 * metadata request naming a missing topic may create it with the brokers'
	 * default partition count (auto.create.topics.enable; librdkafka's mock
	 * always does), and the embedded bus refuses unknown topics too.
	 */
	const known = new Set<string>();

	async function listTopics(): Promise<string[]> {
		try {
			// Lists every topic; unlike a metadata request naming one, it creates nothing.
			const names = await admin.listTopics();
			for (const name of names) known.add(name);
			return names;
		} catch (error) {
			throw toAdapterError(error, "listTopics");
		}
	}

	async function create(specs: { name: string; partitions: number }[]): Promise<void> {
		const outOfBand = options.createTopicOutOfBand;
		try {
			if (outOfBand) {
				for (const spec of specs) await outOfBand(spec.name, spec.partitions);
				return;
			}
			// A topic created meanwhile by another process is no error: kafkajs
			// resolves false when every failure is TOPIC_ALREADY_EXISTS.
			await admin.createTopics({
				topics: specs.map((s) => ({
					topic: s.name,
					numPartitions: s.partitions,
					replicationFactor: options.replicationFactor,
				})),
				waitForLeaders: true,
			});
		} catch (error) {
			throw toAdapterError(error, "createTopics", { topics: specs.map((s) => s.name) });
		}
	}

	/** Polls metadata until every topic has partitions, each with a leader. */
	async function waitForLeaders(names: string[]): Promise<void> {
		const deadline = Date.now() + options.topicReadyTimeoutMs;
		let last: unknown;
		while (Date.now() < deadline) {
			try {
				const { topics } = await admin.fetchTopicMetadata({ topics: names });
				const ready = names.every((name) => {
					const partitions = topics.find((t) => t.name === name)?.partitions ?? [];
					return partitions.length > 0 && partitions.every((p) => p.leader >= 0);
				});
				if (ready) return;
			} catch (error) {
				last = error;
			}
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
		throw toAdapterError(last ?? new Error("topics have no leaders yet"), "ensureTopics", { topics: names });
	}

	return {
		async ensure(specs) {
			if (specs.length === 0) return;
			const existing = new Set(await listTopics());
			const missing = specs.filter((spec) => !existing.has(spec.name));
			if (missing.length > 0) await create(missing);
			await waitForLeaders(specs.map((spec) => spec.name));
			for (const spec of specs) known.add(spec.name);
		},

		async require(name, logical) {
			if (known.has(name)) return;
			await listTopics();
			if (!known.has(name)) {
				throw new ValidationError(`topic "${logical}" does not exist: call ensureTopics first`, {
					context: { topic: logical, physicalTopic: name },
				});
			}
		},

		async lag(groupId, name, logical) {
			try {
				const [committed, ends] = await Promise.all([
					admin.fetchOffsets({ groupId, topics: [name] }),
					admin.fetchTopicOffsets(name),
				]);
				const offsets = committed.find((entry) => entry.topic === name)?.partitions ?? [];
				return ends
					.map((end) => {
						const raw = offsets.find((o) => o.partition === end.partition)?.offset ?? "-1";
						const hasCommit = BigInt(raw) >= 0n;
						// A group that never committed would start at the log start.
						const lag = BigInt(end.high) - (hasCommit ? BigInt(raw) : BigInt(end.low));
						return {
							topic: logical,
							partition: end.partition,
							committedOffset: hasCommit ? raw : "-1",
							highWatermark: end.high,
							lag: lag > 0n ? Number(lag) : 0,
						};
					})
					.sort((a, b) => a.partition - b.partition);
			} catch (error) {
				throw toAdapterError(error, "lag", { topic: logical, groupId });
			}
		},
	};
}
