import { describe, expect, test } from "bun:test";
import { Partitioners } from "kafkajs";
import { createPartitioner, partitionForKey } from "./partitioner.ts";

function kafkajsPartition(key: string, partitions: number): number {
	const partitioner = Partitioners.DefaultPartitioner();
	const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
		partitionId,
		leader: 0,
		replicas: [0],
		isr: [0],
		offlineReplicas: [],
		partitionErrorCode: 0,
	}));
	return partitioner({ topic: "t", partitionMetadata, message: { key, value: "" } });
}

function randomKey(): string {
	const alphabet = "abcXYZ019-_:/ éü€𝄞";
	const chars = [...alphabet];
	const length = Math.floor(Math.random() * 40);
	let key = "";
	for (let i = 0; i < length; i++) key += chars[Math.floor(Math.random() * chars.length)];
	return key;
}

describe("partitioner", () => {
	test("matches kafkajs's DefaultPartitioner for random keys and partition counts", () => {
		for (let i = 0; i < 2000; i++) {
			const key = i < 50 ? `org-${i}` : randomKey();
			const partitions = 1 + Math.floor(Math.random() * 64);
			expect({ key, partitions, p: partitionForKey(key, partitions) }).toEqual({
				key,
				partitions,
				p: kafkajsPartition(key, partitions),
			});
		}
	});

	test("known vectors (also computed with kafkajs, so a kafkajs change shows up here)", () => {
		const vectors: [string, number][] = [
			["", 12],
			["a", 12],
			["org_1", 3],
			["org-42", 10],
			["ünïcødé", 7],
		];
		for (const [key, partitions] of vectors) {
			expect(partitionForKey(key, partitions)).toBe(kafkajsPartition(key, partitions));
		}
		// Fixed outputs so the algorithm cannot drift together with a dependency.
		expect(vectors.map(([key, n]) => partitionForKey(key, n))).toEqual([9, 4, 0, 5, 6]);
	});

	test("null keys go round-robin per topic; keyed ones by hash", () => {
		const partitioner = createPartitioner();
		expect([0, 1, 2, 3].map(() => partitioner("a", null, 3))).toEqual([0, 1, 2, 0]);
		expect(partitioner("b", null, 3)).toBe(0);
		expect(partitioner("a", "org-42", 10)).toBe(partitionForKey("org-42", 10));
	});
});
