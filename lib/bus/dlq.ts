import { z } from "zod";
import { isRetriable, ValidationError } from "../errors.ts";
import type { Bus, BusMessage } from "./port.ts";
import { dlqTopic } from "./topics.ts";

/** A dead letter as written to `<topic>.dlq` (JSON, snake_case as on the wire). */
export interface DeadLetter {
	v: 1;
	original: {
		topic: string;
		partition: number;
		offset: string;
		key: string | null;
		value_base64: string;
		/** Present when the value is valid UTF-8. */
		value_utf8?: string;
		headers: Record<string, string>;
		timestamp: number;
	};
	error: {
		name: string;
		message: string;
		code?: string;
		retriable: boolean;
	};
	/** How many times the message was tried before it was dead-lettered. */
	attempts: number;
	/** ISO 8601 time of dead-lettering. */
	failed_at: string;
}

const deadLetterSchema = z.object({
	v: z.literal(1),
	original: z.object({
		topic: z.string(),
		partition: z.number().int(),
		offset: z.string(),
		key: z.string().nullable(),
		value_base64: z.string(),
		value_utf8: z.string().optional(),
		headers: z.record(z.string(), z.string()),
		timestamp: z.number(),
	}),
	error: z.object({
		name: z.string(),
		message: z.string(),
		code: z.string().optional(),
		retriable: z.boolean(),
	}),
	attempts: z.number().int(),
	failed_at: z.string(),
});

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/**
 * Writes `message` to its dead-letter topic `<topic>.dlq` with the same key
 * and headers, the error and the attempt count. The DLQ topic must exist
 * (ensureTopics; `allTopics()` includes every pipeline topic's DLQ).
 */
export async function deadLetter(
	bus: Bus,
	message: BusMessage,
	error: unknown,
	attempts: number,
	options: { now?: () => number } = {},
): Promise<void> {
	const letter = buildDeadLetter(message, error, attempts, options.now?.() ?? Date.now());
	await bus.produce(dlqTopic(message.topic), [
		{ key: message.key, value: JSON.stringify(letter), headers: { ...message.headers } },
	]);
}

/** The dead letter for `message` failed with `error` after `attempts`, at `failedAtMs`. */
export function buildDeadLetter(message: BusMessage, error: unknown, attempts: number, failedAtMs: number): DeadLetter {
	return {
		v: 1,
		original: {
			topic: message.topic,
			partition: message.partition,
			offset: message.offset,
			key: message.key,
			value_base64: Buffer.from(message.value).toString("base64"),
			...utf8Of(message.value),
			headers: { ...message.headers },
			timestamp: message.timestamp,
		},
		error: describeError(error),
		attempts,
		failed_at: new Date(failedAtMs).toISOString(),
	};
}

/** Parses a dead letter's value; throws ValidationError when it is not one. */
export function decodeDeadLetter(bytes: Uint8Array | string): DeadLetter {
	let json: unknown;
	try {
		json = JSON.parse(typeof bytes === "string" ? bytes : strictUtf8.decode(bytes));
	} catch (cause) {
		throw new ValidationError("dead letter is not UTF-8 JSON", { cause });
	}
	const parsed = deadLetterSchema.safeParse(json);
	if (!parsed.success) {
		throw new ValidationError(`not a dead letter: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
	}
	return parsed.data as DeadLetter;
}

/** The original message's value bytes of a decoded dead letter. */
export function originalValue(letter: DeadLetter): Uint8Array {
	return new Uint8Array(Buffer.from(letter.original.value_base64, "base64"));
}

function utf8Of(value: Uint8Array): { value_utf8?: string } {
	try {
		const text = strictUtf8.decode(value);
		// A decoder can accept bytes that do not round-trip (a BOM); only claim text that does.
		return Buffer.from(encoder.encode(text)).equals(Buffer.from(value)) ? { value_utf8: text } : {};
	} catch {
		return {};
	}
}

function describeError(error: unknown): DeadLetter["error"] {
	if (error instanceof Error) {
		const code = (error as { code?: unknown }).code;
		return {
			name: error.name,
			message: error.message,
			...(typeof code === "string" || typeof code === "number" ? { code: String(code) } : {}),
			retriable: isRetriable(error),
		};
	}
	return { name: "NonError", message: String(error), retriable: false };
}
