import { describeError, type LogFields, type Logger } from "../../lib/runtime/logger.ts";

/**
 * Secrets must never reach a log line, an error or a dead letter: URLs lose
 * their credential-bearing query parameters, objects their secret-looking
 * keys, and any known secret value is masked wherever it appears in text.
 */
const SECRET_PARAM =
	/^(access_token|token|key|api_key|apikey|password|client_secret|assertion|refresh_token|signature|x-goog-signature|sig)$/i;
const SECRET_KEY =
	/(token|secret|password|private_key|privatekey|authorization|credential|assertion|ttd-auth|api_?key)/i;
const MASK = "[REDACTED]";

/** The URL with credential-bearing query parameters masked; unparsable input is returned masked whole. */
export function redactUrl(url: string): string {
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		return url.includes("?") ? `${url.slice(0, url.indexOf("?"))}?${MASK}` : url;
	}
	let changed = false;
	for (const name of [...parsed.searchParams.keys()]) {
		if (SECRET_PARAM.test(name)) {
			parsed.searchParams.set(name, MASK);
			changed = true;
		}
	}
	return changed ? parsed.toString() : url;
}

/** A deep copy of `value` with secret-looking keys masked. */
export function redactObject(value: unknown, depth = 0): unknown {
	if (depth > 8 || value === null || typeof value !== "object") return value;
	if (Array.isArray(value)) return value.map((item) => redactObject(item, depth + 1));
	const out: Record<string, unknown> = {};
	for (const [key, item] of Object.entries(value)) {
		out[key] = SECRET_KEY.test(key) ? MASK : redactObject(item, depth + 1);
	}
	return out;
}

/** Every string leaf of a credentials object (at least 6 characters), to mask wherever it appears. */
export function secretValues(credentials: Record<string, unknown>): string[] {
	const found: string[] = [];
	const walk = (value: unknown, depth: number) => {
		if (depth > 8) return;
		if (typeof value === "string" && value.length >= 6) found.push(value);
		else if (value && typeof value === "object") for (const item of Object.values(value)) walk(item, depth + 1);
	};
	walk(credentials, 0);
	return found;
}

/** `text` with every occurrence of each secret masked. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
	let out = text;
	for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(MASK);
	return out;
}

/**
 * A logger that masks `secrets` in every line it writes (message and fields,
 * errors included), also in their JSON-escaped form (PEM keys hold newlines).
 * The runtime hands this to the framework, the source and its auth provider.
 */
export function redactingLogger(logger: Logger, secrets: readonly string[]): Logger {
	if (secrets.length === 0) return logger;
	const forms = [...new Set(secrets.flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))].sort(
		(a, b) => b.length - a.length,
	);
	const clean = (fields?: LogFields): LogFields | undefined => {
		if (!fields) return fields;
		const plain: LogFields = {};
		for (const [key, value] of Object.entries(fields))
			plain[key] = value instanceof Error ? describeError(value) : value;
		return JSON.parse(maskSecrets(JSON.stringify(plain), forms)) as LogFields;
	};
	const wrap = (inner: Logger): Logger => ({
		debug: (msg, fields) => inner.debug(maskSecrets(msg, forms), clean(fields)),
		info: (msg, fields) => inner.info(maskSecrets(msg, forms), clean(fields)),
		warn: (msg, fields) => inner.warn(maskSecrets(msg, forms), clean(fields)),
		error: (msg, fields) => inner.error(maskSecrets(msg, forms), clean(fields)),
		child: (fields) => wrap(inner.child(clean(fields) ?? {})),
	});
	return wrap(logger);
}
