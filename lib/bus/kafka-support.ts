/**
 * Shared pieces of the Kafka adapter: kafkajs errors to AdapterError, and
 * kafkajs's logs as JSON lines. Only the kafka-*.ts files import kafkajs.
 */
import { type LogEntry, logLevel } from "kafkajs";
import { AdapterError, PacerError } from "../errors.ts";

/** The subset of a logger the adapter needs (lib/runtime's Logger fits). */
export interface BusLogger {
	warn(msg: string, fields?: Record<string, unknown>): void;
	error(msg: string, fields?: Record<string, unknown>): void;
}

/** JSON lines on stderr, for when no logger is given. */
export const stderrLogger: BusLogger = {
	warn: (msg, fields) => writeLine("warn", msg, fields),
	error: (msg, fields) => writeLine("error", msg, fields),
};

function writeLine(level: string, msg: string, fields: Record<string, unknown> = {}): void {
	process.stderr.write(`${JSON.stringify({ ts: new Date().toISOString(), level, msg, ...fields })}\n`);
}

/**
 * kafkajs's logCreator routing warn and error entries to `logger`. kafkajs is
 * configured at WARN, so info and debug entries are never built.
 *
 * One warning is dropped on purpose: "Limiting retries for the idempotent
 * producer may invalidate EoS guarantees". We limit retries so a produce to a
 * dead cluster fails instead of hanging, and replace the producer after every
 * failed send (kafka.ts), which is what keeps the guarantee.
 */
export function createLogCreator(logger: BusLogger) {
	return () =>
		({ namespace, level, log }: LogEntry): void => {
			const { message, timestamp: _timestamp, logger: _name, ...extra } = log;
			if (message.startsWith("Limiting retries for the idempotent producer")) return;
			const fields = { component: "kafkajs", namespace, ...extra };
			if (level === logLevel.ERROR) logger.error(message, fields);
			else if (level === logLevel.WARN) logger.warn(message, fields);
		};
}

interface KafkaJsErrorShape {
	name?: string;
	message?: string;
	retriable?: boolean;
	type?: string;
	code?: number | string;
	broker?: string;
	topic?: string;
	partition?: number;
	cause?: unknown;
}

/** The innermost cause of a (possibly wrapped) kafkajs error. */
export function rootCause(error: unknown): unknown {
	let current = error;
	for (let depth = 0; depth < 10; depth++) {
		const cause = (current as KafkaJsErrorShape | null)?.cause;
		if (cause === undefined || cause === null || cause === current) break;
		current = cause;
	}
	return current;
}

/**
 * Wraps a kafkajs error in an AdapterError with the operation, topic,
 * partition and broker. `retriable` is kafkajs's own flag, except that
 * "retries exceeded" (which kafkajs marks non-retriable because it has just
 * retried) takes its root cause's flag, as kafkajs's consumer does when it
 * decides whether to restart: a broker that stayed down may be up later.
 */
export function toAdapterError(error: unknown, operation: string, context: Record<string, unknown> = {}): PacerError {
	// Ours already (a ValidationError from a check, an AdapterError from a lower layer).
	if (error instanceof PacerError) return error;
	const outer = (error ?? {}) as KafkaJsErrorShape;
	const root = (rootCause(error) ?? {}) as KafkaJsErrorShape;
	const retriable =
		outer.name === "KafkaJSNumberOfRetriesExceeded" ? root.retriable === true : outer.retriable === true;
	const detail = root.message ?? outer.message ?? String(error);
	return new AdapterError(`kafka ${operation} failed: ${detail}`, {
		retriable,
		cause: error,
		context: {
			operation,
			...context,
			...(root.topic !== undefined ? { topic: root.topic } : {}),
			...(root.partition !== undefined ? { partition: root.partition } : {}),
			...(root.broker !== undefined || outer.broker !== undefined ? { broker: root.broker ?? outer.broker } : {}),
			...(root.type !== undefined ? { kafkaErrorType: root.type } : {}),
			kafkaError: root.name ?? outer.name,
		},
	});
}
