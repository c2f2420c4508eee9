/**
 * Kafka's default partitioner for keyed messages, bit for bit: murmur2 of the
 * key's UTF-8 bytes, `(hash & 0x7fffffff) % partitions` (Java client's
 * DefaultPartitioner, kafkajs's Partitioners.DefaultPartitioner). The embedded
 * bus uses it so a key lands in the same partition as it would on Kafka.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const encoder = new TextEncoder();

/** Kafka's 32-bit murmur2 of `data` (seed 0x9747b28c), as a signed 32-bit integer. */
export function murmur2(data: Uint8Array): number {
	const length = data.length;
	const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
	let h = SEED ^ length;
	const blocks = length >>> 2;
	for (let i = 0; i < blocks; i++) {
		let k = view.getInt32(i * 4, true);
		k = Math.imul(k, M);
		k ^= k >>> 24;
		k = Math.imul(k, M);
		h = Math.imul(h, M) ^ k;
	}
	const tail = length & ~3;
	const rest = length & 3;
	// Java's switch falls through 3 -> 2 -> 1; written as ifs for noFallthroughCasesInSwitch.
	if (rest === 3) h ^= view.getUint8(tail + 2) << 16;
	if (rest >= 2) h ^= view.getUint8(tail + 1) << 8;
	if (rest >= 1) h = Math.imul(h ^ view.getUint8(tail), M);
	h ^= h >>> 13;
	h = Math.imul(h, M);
	h ^= h >>> 15;
	return h | 0;
}

/** The partition Kafka's default partitioner picks for `key` among `partitions`. */
export function partitionForKey(key: string, partitions: number): number {
	return (murmur2(encoder.encode(key)) & 0x7fffffff) % partitions;
}

/** Picks a partition: by key hash when keyed, round-robin per topic when the key is null. */
export type Partitioner = (topic: string, key: string | null, partitions: number) => number;

/** A partitioner with its own round-robin counters for null keys. */
export function createPartitioner(): Partitioner {
	const counters = new Map<string, number>();
	return (topic, key, partitions) => {
		if (key !== null) return partitionForKey(key, partitions);
		const next = counters.get(topic) ?? 0;
		counters.set(topic, (next + 1) & 0x7fffffff);
		return next % partitions;
	};
}
