import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { testNamespace, waitFor } from "../../test/support/namespace.ts";
import { AdapterError, ValidationError } from "../errors.ts";
import { deadLetter, decodeDeadLetter, originalValue } from "./dlq.ts";
import { createEmbeddedBus } from "./embedded.ts";
import type { Bus, BusMessage } from "./port.ts";
import { dlqTopic } from "./topics.ts";

const source: BusMessage = {
	topic: "bronze.data.cleaned",
	partition: 2,
	offset: "41",
	key: "org-9",
	value: new TextEncoder().encode('{"table":"raw_reports"}'),
	headers: { trace_id: "tr-1" },
	timestamp: 1_700_000_000_000,
};

describe("dead letters", () => {
	const ns = testNamespace("dlq");
	let bus: Bus;
	const letters: BusMessage[] = [];

	beforeAll(async () => {
		bus = await createEmbeddedBus({ dir: ns.dir });
		await bus.ensureTopics([{ name: dlqTopic(source.topic), partitions: 3 }]);
		bus.subscribe({ groupId: "reader", topics: [dlqTopic(source.topic)] }, async (batch) => {
			letters.push(...batch.messages);
		});
	});
	afterAll(async () => {
		await bus.close();
		ns.cleanup();
	});

	test("round trip: original message, error, attempts, time", async () => {
		const error = new AdapterError("warehouse unreachable", { retriable: true });
		await deadLetter(bus, source, error, 3, { now: () => Date.parse("2026-01-02T03:04:05.000Z") });
		await waitFor(() => letters.length === 1, { what: "the dead letter" });
		const [letter] = letters;
		expect(letter?.key).toBe("org-9");
		expect(letter?.headers).toEqual({ trace_id: "tr-1" });
		const decoded = decodeDeadLetter(letter?.value ?? new Uint8Array());
		expect(decoded).toEqual({
			v: 1,
			original: {
				topic: "bronze.data.cleaned",
				partition: 2,
				offset: "41",
				key: "org-9",
				value_base64: Buffer.from(source.value).toString("base64"),
				value_utf8: '{"table":"raw_reports"}',
				headers: { trace_id: "tr-1" },
				timestamp: 1_700_000_000_000,
			},
			error: { name: "AdapterError", message: "warehouse unreachable", retriable: true },
			attempts: 3,
			failed_at: "2026-01-02T03:04:05.000Z",
		});
		expect([...originalValue(decoded)]).toEqual([...source.value]);
	});

	test("odd errors and values: thrown strings, numeric codes, invalid UTF-8, a BOM", async () => {
		letters.length = 0;
		const bom = new Uint8Array([0xef, 0xbb, 0xbf, 0x61]);
		await deadLetter(bus, { ...source, key: null, value: new Uint8Array([0xc3, 0x28]) }, "just a string", 1);
		await deadLetter(bus, { ...source, value: bom }, Object.assign(new TypeError("bad"), { code: 42 }), 2);
		await waitFor(() => letters.length === 2, { what: "two dead letters" });
		const [first, second] = letters.map((m) => decodeDeadLetter(m.value));
		if (!first || !second) throw new Error("two dead letters expected");
		expect(first.original.key).toBeNull();
		expect(first.original.value_utf8).toBeUndefined();
		expect(first.error).toEqual({ name: "NonError", message: "just a string", retriable: false });
		expect(second.original.value_utf8).toBeUndefined();
		expect([...originalValue(second)]).toEqual([...bom]);
		expect(second.error).toEqual({ name: "TypeError", message: "bad", code: "42", retriable: false });
	});

	test("decodeDeadLetter refuses what is not a dead letter", () => {
		expect(() => decodeDeadLetter("not json")).toThrow(ValidationError);
		expect(() => decodeDeadLetter(new Uint8Array([0xff]))).toThrow(ValidationError);
		expect(() => decodeDeadLetter(JSON.stringify({ v: 2 }))).toThrow(ValidationError);
	});

	test("a DLQ topic that was never ensured is a ValidationError", async () => {
		await expect(deadLetter(bus, { ...source, topic: "gold.data.ready" }, new Error("x"), 1)).rejects.toThrow(
			/gold\.data\.ready\.dlq/,
		);
	});
});
