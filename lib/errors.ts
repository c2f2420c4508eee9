/**
 * The few error classes Pacer throws. Each carries context fields and a
 * `retriable` flag so that policies retry only what can succeed later
 * (kafkajs's KafkaJSError does the same); programmer errors are never retried.
 */
export class PacerError extends Error {
	readonly retriable: boolean;
	readonly context: Readonly<Record<string, unknown>>;

	constructor(
		message: string,
		options: { retriable?: boolean; context?: Record<string, unknown>; cause?: unknown } = {},
	) {
		super(message, { cause: options.cause });
		this.name = new.target.name;
		this.retriable = options.retriable ?? false;
		this.context = Object.freeze({ ...(options.context ?? {}) });
	}
}

/** Configuration that cannot start the process; lists every problem at once. */
export class ConfigError extends PacerError {
	readonly problems: readonly string[];
	constructor(problems: string[]) {
		super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`, {
			context: { problems },
		});
		this.problems = Object.freeze([...problems]);
	}
}

/** An argument that breaks a documented rule (bad object key, bad topic name, ...). */
export class ValidationError extends PacerError {}

/** The named thing does not exist (object key, topic, table). */
export class NotFoundError extends PacerError {}

/** A message that can never be processed; it belongs in the dead-letter topic. */
export class PoisonMessageError extends PacerError {
	constructor(reason: string, context: { topic: string; partition: number; offset: string } & Record<string, unknown>) {
		super(reason, { retriable: false, context });
	}
}

/** An infrastructure call failed (broker, store, database, warehouse). */
export class AdapterError extends PacerError {}

export function isRetriable(error: unknown): boolean {
	return error instanceof PacerError && error.retriable;
}
