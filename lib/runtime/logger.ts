import type { LogLevel } from "../config/index.ts";

const RANK: Record<LogLevel, number> = {
	debug: 10,
	info: 20,
	warn: 30,
	error: 40,
};

export type LogFields = Record<string, unknown>;

export interface Logger {
	debug(msg: string, fields?: LogFields): void;
	info(msg: string, fields?: LogFields): void;
	warn(msg: string, fields?: LogFields): void;
	error(msg: string, fields?: LogFields): void;
	/** A logger whose every line also carries `fields` (worker name, trace id, ...). */
	child(fields: LogFields): Logger;
}

/**
 * Structured logs: one JSON object per line on stdout, with `ts`, `level`,
 * `msg` and context fields such as `worker` and `trace_id` (from the message
 * envelope) so one trace can be followed across workers. A few lines of ours
 * instead of a logging package: nothing here needs transports or rotation.
 */
export function createLogger(
	options: { level?: LogLevel; fields?: LogFields; write?: (line: string) => void } = {},
): Logger {
	const min = RANK[options.level ?? "info"];
	const write = options.write ?? ((line: string) => process.stdout.write(line));
	const base = options.fields ?? {};
	const log = (level: LogLevel, msg: string, fields?: LogFields) => {
		if (RANK[level] < min) return;
		const line = {
			ts: new Date().toISOString(),
			level,
			msg,
			...base,
			...serialise(fields),
		};
		write(`${JSON.stringify(line)}\n`);
	};
	return {
		debug: (msg, fields) => log("debug", msg, fields),
		info: (msg, fields) => log("info", msg, fields),
		warn: (msg, fields) => log("warn", msg, fields),
		error: (msg, fields) => log("error", msg, fields),
		child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
	};
}

function serialise(fields: LogFields | undefined): LogFields {
	if (!fields) return {};
	const out: LogFields = {};
	for (const [key, value] of Object.entries(fields)) {
		out[key] = value instanceof Error ? describeError(value) : typeof value === "bigint" ? value.toString() : value;
	}
	return out;
}

/** An error as plain JSON: name, message, retriable flag, context, cause; never a stack in production logs' way. */
export function describeError(error: unknown): Record<string, unknown> {
	if (!(error instanceof Error)) return { message: String(error) };
	const described: Record<string, unknown> = {
		name: error.name,
		message: error.message,
	};
	if ("retriable" in error) described.retriable = error.retriable;
	if ("context" in error && error.context && Object.keys(error.context).length > 0) described.context = error.context;
	if (error.cause !== undefined) described.cause = describeError(error.cause);
	return described;
}
