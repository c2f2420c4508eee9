import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AdapterError, ValidationError } from "../errors.ts";
import { ConsumerGroup, type GroupHost, GroupMember, type HandlerErrorContext } from "./embedded-group.ts";
import { acquireDirLock } from "./embedded-lock.ts";
import { PartitionLog, type StoredRecord } from "./embedded-log.ts";
import { OffsetStore, syncPath } from "./embedded-offsets.ts";
import { createPartitioner } from "./partitioner.ts";
import type {
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
import { assertPartitionCount, assertTopicName, batchLimits } from "./topics.ts";

export interface EmbeddedBusOptions {
	/** Directory holding the logs, committed offsets and the owner lock; created if missing. */
	dir: string;
	/** Partitions of a topic ensured with `partitions: -1` (Kafka's "broker default"). Default 3. */
	defaultPartitions?: number;
	/** fsync every append and commit, surviving power loss, not only a process crash. Default false. */
	fsync?: boolean;
	/** Longest an idle consumer sleeps before re-checking, as a safety net; produce() wakes it at once. Default 1000 ms. */
	pollIntervalMs?: number;
	/** First backoff before a failed batch is delivered again; doubles per attempt up to 5 s. Default 100 ms. */
	retryBackoffMs?: number;
	/** Told about every handler failure (the batch is redelivered). Default: console.warn. */
	onHandlerError?: (error: unknown, context: HandlerErrorContext) => void;
	/** Clock for message timestamps and retention, ms since the epoch. Default Date.now. */
	now?: () => number;
	/** Bytes after which a partition's active segment file is closed and a new one started. Default 64 MiB. */
	segmentBytes?: number;
	/**
	 * How long records are kept: a closed segment whose records are all older goes, once every consumer group
	 * that committed on the topic within this time has read past it (a group silent for longer no longer holds
	 * the log, as Kafka expires idle groups' offsets). Default 7 days, Kafka's default.
	 */
	retentionMs?: number;
	/** How often retention is applied. Default 5 minutes. */
	retentionCheckIntervalMs?: number;
}

const encoder = new TextEncoder();
const DEFAULT_RETENTION_MS = 7 * 24 * 3600_000;

/** Opens (creating) an embedded bus in `options.dir`, taking the directory's exclusive lock. */
export async function createEmbeddedBus(options: EmbeddedBusOptions): Promise<Bus> {
	assertPartitionCount(options.defaultPartitions ?? 3);
	mkdirSync(join(options.dir, "topics"), { recursive: true });
	const lock = acquireDirLock(options.dir);
	const logs = new Map<string, PartitionLog[]>();
	try {
		loadTopics(options, logs);
		return new EmbeddedBus(options, logs, new OffsetStore(options.dir, options.fsync ?? false), lock.release);
	} catch (error) {
		for (const partitions of logs.values()) for (const log of partitions) log.close();
		lock.release();
		throw error;
	}
}

/** A topic exists once its meta.json does: ensureTopics writes it last. */
function loadTopics(options: EmbeddedBusOptions, logs: Map<string, PartitionLog[]>): void {
	const root = join(options.dir, "topics");
	for (const name of readdirSync(root)) {
		const metaPath = join(root, name, "meta.json");
		if (!existsSync(metaPath)) continue;
		const meta = JSON.parse(readFileSync(metaPath, "utf8")) as { partitions: number };
		logs.set(name, openPartitions(join(root, name), meta.partitions, options));
	}
}

function openPartitions(topicDir: string, partitions: number, options: EmbeddedBusOptions): PartitionLog[] {
	const opened: PartitionLog[] = [];
	for (let p = 0; p < partitions; p++) {
		const { log, truncatedBytes } = PartitionLog.open(topicDir, p, options.fsync ?? false, options.segmentBytes);
		if (truncatedBytes > 0) {
			console.warn(
				`embedded bus: ${log.path}: cut ${truncatedBytes} bytes of a torn or corrupt tail after offset ${log.highWatermark - 1}`,
			);
		}
		opened.push(log);
	}
	return opened;
}

class EmbeddedBus implements Bus {
	private readonly groups = new Map<string, ConsumerGroup>();
	private readonly members = new Set<GroupMember>();
	private readonly partitioner = createPartitioner();
	private readonly host: GroupHost;
	/** Set by close(): no new subscriptions or topics; produce still works for in-flight handlers. */
	private closing: Promise<void> | undefined;
	private closed = false;
	private readonly retentionTimer: ReturnType<typeof setInterval>;

	constructor(
		private readonly options: EmbeddedBusOptions,
		private readonly topics: Map<string, PartitionLog[]>,
		private readonly offsets: OffsetStore,
		private readonly releaseLock: () => void,
	) {
		this.host = {
			partitionCount: (topic) => this.topics.get(topic)?.length,
			highWatermark: (topic, partition) => this.topics.get(topic)?.[partition]?.highWatermark ?? 0,
			logStart: (topic, partition) => this.topics.get(topic)?.[partition]?.logStart ?? 0,
			read: (topic, partition, from, maxCount, maxBytes) => this.read(topic, partition, from, maxCount, maxBytes),
			saveOffsets: (groupId, offsets) => this.offsets.save(groupId, offsets),
		};
		this.applyRetention();
		this.retentionTimer = setInterval(() => this.applyRetention(), options.retentionCheckIntervalMs ?? 5 * 60_000);
		this.retentionTimer.unref?.();
	}

	/**
	 * Removes the closed segments whose records are all older than the
	 * retention and read by every consumer group that committed on the topic
	 * within it (a topic no group reads keeps records for the retention only).
	 */
	private applyRetention(): void {
		if (this.closed) return;
		const now = this.options.now?.() ?? Date.now();
		const olderThan = now - (this.options.retentionMs ?? DEFAULT_RETENTION_MS);
		const groups = this.offsets.loadAll(olderThan);
		for (const [topic, logs] of this.topics) {
			const readers = groups.filter((offsets) => offsets.has(topic));
			logs.forEach((log, partition) => {
				const consumedBelow = Math.min(
					...readers.map((offsets) => offsets.get(topic)?.get(partition) ?? log.logStart),
					Number.POSITIVE_INFINITY,
				);
				try {
					log.removeSegments(olderThan, consumedBelow);
				} catch (error) {
					console.warn(`embedded bus: retention of ${topic}[${partition}] failed: ${String(error)}`);
				}
			});
		}
	}

	async ensureTopics(specs: TopicSpec[]): Promise<void> {
		this.assertOpen(true);
		const wanted = specs.map((spec) => {
			assertTopicName(spec.name);
			const partitions = spec.partitions === -1 ? (this.options.defaultPartitions ?? 3) : spec.partitions;
			assertPartitionCount(partitions, spec.name);
			return { name: spec.name, partitions };
		});
		const fsync = this.options.fsync ?? false;
		for (const { name, partitions } of wanted) {
			if (this.topics.has(name)) continue;
			const topicDir = join(this.options.dir, "topics", name);
			mkdirSync(topicDir, { recursive: true });
			const logs = openPartitions(topicDir, partitions, this.options);
			const metaPath = join(topicDir, "meta.json");
			writeFileSync(`${metaPath}.tmp`, JSON.stringify({ v: 1, name, partitions }));
			renameSync(`${metaPath}.tmp`, metaPath);
			if (fsync) syncPath(topicDir);
			this.topics.set(name, logs);
		}
	}

	async produce(topic: string, records: ProduceRecord[]): Promise<ProducedRecord[]> {
		this.assertOpen();
		const logs = this.requireTopic(topic);
		const timestamp = this.options.now?.() ?? Date.now();
		const byPartition = new Map<number, { indexes: number[]; records: StoredRecord[] }>();
		records.forEach((record, index) => {
			const stored = toStored(topic, record, timestamp);
			const partition = this.partitioner(topic, stored.key, logs.length);
			let group = byPartition.get(partition);
			if (!group) {
				group = { indexes: [], records: [] };
				byPartition.set(partition, group);
			}
			group.indexes.push(index);
			group.records.push(stored);
		});
		const produced: ProducedRecord[] = new Array(records.length);
		for (const [partition, group] of byPartition) {
			const log = logs[partition] as PartitionLog;
			const base = log.append(group.records);
			group.indexes.forEach((index, i) => {
				produced[index] = { topic, partition, offset: String(base + i) };
			});
		}
		for (const consumerGroup of this.groups.values()) consumerGroup.wakeTopic(topic);
		return produced;
	}

	subscribe(options: SubscribeOptions, handler: BatchHandler): Subscription {
		this.assertOpen(true);
		if (typeof options.groupId !== "string" || options.groupId.length === 0) {
			throw new ValidationError("subscribe: groupId must be a non-empty string");
		}
		if (!Array.isArray(options.topics) || options.topics.length === 0) {
			throw new ValidationError("subscribe: topics must name at least one topic", {
				context: { groupId: options.groupId },
			});
		}
		for (const topic of options.topics) this.requireTopic(topic);
		const { maxBatchSize, maxBatchBytes } = batchLimits(options);
		const member = new GroupMember(
			this.group(options.groupId),
			{
				topics: options.topics,
				fromBeginning: options.fromBeginning ?? true,
				maxBatchSize,
				maxBatchBytes,
				pollIntervalMs: this.options.pollIntervalMs ?? 1000,
				retryBackoffMs: this.options.retryBackoffMs ?? 100,
				onHandlerError: this.options.onHandlerError ?? warnHandlerError,
			},
			handler,
			(stopped) => this.members.delete(stopped),
		);
		this.members.add(member);
		return member;
	}

	async lag(groupId: string, topic: string): Promise<PartitionLag[]> {
		this.assertOpen();
		const logs = this.requireTopic(topic);
		const group = this.group(groupId);
		return logs.map((log, partition) => {
			const committed = group.committedOffset(topic, partition);
			return {
				topic,
				partition,
				committedOffset: committed === undefined ? "-1" : String(committed),
				highWatermark: String(log.highWatermark),
				lag: log.highWatermark - Math.max(committed ?? 0, log.logStart),
			};
		});
	}

	close(): Promise<void> {
		this.closing ??= (async () => {
			// Handlers still running may produce (downstream, dead letters) until they are done.
			await Promise.all([...this.members].map((member) => member.stop()));
			this.closed = true;
			clearInterval(this.retentionTimer);
			for (const logs of this.topics.values()) for (const log of logs) log.close();
			this.releaseLock();
		})();
		return this.closing;
	}

	private group(groupId: string): ConsumerGroup {
		let group = this.groups.get(groupId);
		if (!group) {
			group = new ConsumerGroup(groupId, this.offsets.load(groupId), this.host);
			this.groups.set(groupId, group);
		}
		return group;
	}

	private read(topic: string, partition: number, from: number, maxCount: number, maxBytes: number): BusMessage[] {
		const log = this.topics.get(topic)?.[partition];
		if (!log) return [];
		return log.read(from, maxCount, maxBytes).map((record, i) => ({
			topic,
			partition,
			offset: String(from + i),
			key: record.key,
			value: record.value,
			headers: record.headers,
			timestamp: record.timestamp,
		}));
	}

	private requireTopic(topic: string): PartitionLog[] {
		const logs = this.topics.get(topic);
		if (!logs) {
			throw new ValidationError(`topic "${topic}" does not exist: call ensureTopics first`, { context: { topic } });
		}
		return logs;
	}

	private assertOpen(orClosing = false): void {
		if (this.closed || (orClosing && this.closing)) {
			throw new AdapterError(`embedded bus in ${this.options.dir} is closed`);
		}
	}
}

function toStored(topic: string, record: ProduceRecord, timestamp: number): StoredRecord {
	if (record.key !== null && typeof record.key !== "string") {
		throw new ValidationError(`produce to "${topic}": key must be a string or null`, { context: { topic } });
	}
	const headers: Record<string, string> = {};
	for (const [name, value] of Object.entries(record.headers ?? {})) {
		if (typeof value !== "string") {
			throw new ValidationError(`produce to "${topic}": header "${name}" must be a string`, { context: { topic } });
		}
		headers[name] = value;
	}
	let value: Uint8Array;
	if (typeof record.value === "string") value = encoder.encode(record.value);
	else if (record.value instanceof Uint8Array) value = record.value;
	else throw new ValidationError(`produce to "${topic}": value must be a string or Uint8Array`, { context: { topic } });
	return { key: record.key, value, headers, timestamp };
}

function warnHandlerError(error: unknown, context: HandlerErrorContext): void {
	console.warn(
		`embedded bus: handler of group ${context.groupId} failed on ${context.topic}[${context.partition}] (attempt ${context.attempt}); redelivering: ${String(error)}`,
	);
}
