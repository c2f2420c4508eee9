import type { GroupOffsets } from "./embedded-offsets.ts";
import type { BatchHandler, BusMessage, Subscription } from "./port.ts";

/** What a consumer group needs from the embedded bus. */
export interface GroupHost {
	partitionCount(topic: string): number | undefined;
	highWatermark(topic: string, partition: number): number;
	/** The oldest offset the partition still holds. */
	logStart(topic: string, partition: number): number;
	read(topic: string, partition: number, from: number, maxCount: number, maxBytes: number): BusMessage[];
	saveOffsets(groupId: string, offsets: GroupOffsets): void;
}

/** Where and how often a batch handler failed. */
export interface HandlerErrorContext {
	groupId: string;
	topic: string;
	partition: number;
	/** Consecutive failures of this batch, from 1. */
	attempt: number;
}

export interface MemberOptions {
	topics: string[];
	fromBeginning: boolean;
	maxBatchSize: number;
	maxBatchBytes: number;
	pollIntervalMs: number;
	retryBackoffMs: number;
	onHandlerError: (error: unknown, context: HandlerErrorContext) => void;
}

interface TopicPartition {
	topic: string;
	partition: number;
}

/** ":" is not legal in topic names, so this key is unambiguous. */
const keyOf = (topic: string, partition: number) => `${topic}:${partition}`;
const MAX_RETRY_BACKOFF_MS = 5_000;

/**
 * One consumer group inside this process. Each partition is assigned to one
 * member; a partition has at most one batch in flight across the group, so
 * after a rebalance the new owner waits for the old owner's batch and its commit.
 */
export class ConsumerGroup {
	private readonly members: GroupMember[] = [];
	private readonly inFlight = new Set<string>();
	/** Start positions of partitions with no commit yet (fromBeginning: false starts at the end). */
	private readonly positions = new Map<string, number>();

	constructor(
		readonly id: string,
		private readonly committed: GroupOffsets,
		readonly host: GroupHost,
	) {}

	get size(): number {
		return this.members.length;
	}

	committedOffset(topic: string, partition: number): number | undefined {
		return this.committed.get(topic)?.get(partition);
	}

	/** Where the group reads next: its commit or start position, or the log's start if retention passed it. */
	position(topic: string, partition: number): number {
		const at = this.committedOffset(topic, partition) ?? this.positions.get(keyOf(topic, partition)) ?? 0;
		return Math.max(at, this.host.logStart(topic, partition));
	}

	join(member: GroupMember): void {
		this.members.push(member);
		this.rebalance();
	}

	leave(member: GroupMember): void {
		const index = this.members.indexOf(member);
		if (index >= 0) this.members.splice(index, 1);
		this.rebalance();
	}

	/** Per topic, its partitions go round-robin to the members subscribed to it, in join order. */
	rebalance(): void {
		const next = new Map<GroupMember, TopicPartition[]>(this.members.map((m) => [m, []]));
		const topics = [...new Set(this.members.flatMap((m) => m.topics))].sort();
		for (const topic of topics) {
			const subscribers = this.members.filter((m) => m.topics.includes(topic));
			const partitions = this.host.partitionCount(topic) ?? 0;
			for (let partition = 0; partition < partitions; partition++) {
				const owner = subscribers[partition % subscribers.length];
				if (!owner) continue;
				next.get(owner)?.push({ topic, partition });
				const key = keyOf(topic, partition);
				if (this.committedOffset(topic, partition) === undefined && !this.positions.has(key)) {
					this.positions.set(key, owner.fromBeginning ? 0 : this.host.highWatermark(topic, partition));
				}
			}
		}
		for (const [member, assignment] of next) member.assign(assignment);
		this.wakeAll();
	}

	tryLock(topic: string, partition: number): boolean {
		const key = keyOf(topic, partition);
		if (this.inFlight.has(key)) return false;
		this.inFlight.add(key);
		return true;
	}

	unlock(topic: string, partition: number): void {
		this.inFlight.delete(keyOf(topic, partition));
		this.wakeAll();
	}

	commit(topic: string, partition: number, nextOffset: number): void {
		let partitions = this.committed.get(topic);
		if (!partitions) {
			partitions = new Map();
			this.committed.set(topic, partitions);
		}
		const previous = partitions.get(partition);
		partitions.set(partition, nextOffset);
		try {
			this.host.saveOffsets(this.id, this.committed);
		} catch (error) {
			if (previous === undefined) partitions.delete(partition);
			else partitions.set(partition, previous);
			throw error;
		}
	}

	wakeAll(): void {
		for (const member of this.members) member.wake();
	}

	wakeTopic(topic: string): void {
		for (const member of this.members) if (member.topics.includes(topic)) member.wake();
	}
}

/** One subscribe() call: a member of its group with its own fetch loop. */
export class GroupMember implements Subscription {
	readonly ready: Promise<void>;
	readonly topics: readonly string[];
	readonly fromBeginning: boolean;
	private assignment: TopicPartition[] = [];
	private readonly abort = new AbortController();
	private readonly retries = new Map<string, { attempt: number; at: number }>();
	private cursor = 0;
	private pendingWake = false;
	private waiter: (() => void) | undefined;
	private loop: Promise<void> = Promise.resolve();
	private stopping: Promise<void> | undefined;

	constructor(
		private readonly group: ConsumerGroup,
		private readonly options: MemberOptions,
		private readonly handler: BatchHandler,
		private readonly onStopped: (member: GroupMember) => void,
	) {
		this.topics = [...new Set(options.topics)];
		this.fromBeginning = options.fromBeginning;
		group.join(this);
		// Start on the next microtask: a handler must never run inside subscribe() itself.
		this.loop = Promise.resolve().then(() => this.run());
		this.ready = Promise.resolve();
	}

	/** Called by the group on every rebalance. */
	assign(assignment: TopicPartition[]): void {
		this.assignment = assignment;
		const kept = new Set(assignment.map((tp) => keyOf(tp.topic, tp.partition)));
		for (const key of this.retries.keys()) if (!kept.has(key)) this.retries.delete(key);
	}

	stop(): Promise<void> {
		this.stopping ??= (async () => {
			this.abort.abort();
			this.wake();
			await this.loop;
			this.group.leave(this);
			this.onStopped(this);
		})();
		return this.stopping;
	}

	wake(): void {
		const waiter = this.waiter;
		if (waiter) waiter();
		else this.pendingWake = true;
	}

	private async run(): Promise<void> {
		while (!this.abort.signal.aborted) {
			const next = this.claimNext();
			if (next) await this.process(next.topic, next.partition, next.from);
			else await this.idle();
		}
	}

	/** The next assigned partition with unread messages, free of in-flight work and backoff, round-robin. */
	private claimNext(): { topic: string; partition: number; from: number } | undefined {
		const now = Date.now();
		const count = this.assignment.length;
		for (let i = 0; i < count; i++) {
			const index = (this.cursor + i) % count;
			const tp = this.assignment[index];
			if (!tp) continue;
			const retry = this.retries.get(keyOf(tp.topic, tp.partition));
			if (retry && retry.at > now) continue;
			const from = this.group.position(tp.topic, tp.partition);
			if (from >= this.group.host.highWatermark(tp.topic, tp.partition)) continue;
			if (!this.group.tryLock(tp.topic, tp.partition)) continue;
			this.cursor = index + 1;
			return { ...tp, from };
		}
		return undefined;
	}

	private async process(topic: string, partition: number, from: number): Promise<void> {
		const key = keyOf(topic, partition);
		try {
			const messages = this.group.host.read(
				topic,
				partition,
				from,
				this.options.maxBatchSize,
				this.options.maxBatchBytes,
			);
			await this.handler({ topic, partition, messages }, { signal: this.abort.signal });
			this.group.commit(topic, partition, from + messages.length);
			this.retries.delete(key);
		} catch (error) {
			const attempt = (this.retries.get(key)?.attempt ?? 0) + 1;
			const backoff = Math.min(this.options.retryBackoffMs * 2 ** (attempt - 1), MAX_RETRY_BACKOFF_MS);
			this.retries.set(key, { attempt, at: Date.now() + backoff });
			try {
				this.options.onHandlerError(error, { groupId: this.group.id, topic, partition, attempt });
			} catch {
				// A failing error reporter must not stop the consumer.
			}
		} finally {
			this.group.unlock(topic, partition);
		}
	}

	private idle(): Promise<void> {
		if (this.pendingWake) {
			this.pendingWake = false;
			return Promise.resolve();
		}
		let delay = this.options.pollIntervalMs;
		const now = Date.now();
		// Only future retries bound the sleep; a due one that was not claimed waits for an unlock wake-up.
		for (const retry of this.retries.values()) if (retry.at > now) delay = Math.min(delay, retry.at - now);
		return new Promise((resolve) => {
			const done = () => {
				clearTimeout(timer);
				this.waiter = undefined;
				this.pendingWake = false;
				resolve();
			};
			const timer = setTimeout(done, delay);
			this.waiter = done;
		});
	}
}
