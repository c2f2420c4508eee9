import { ValidationError } from "../errors.ts";

/** Longest key in UTF-8 bytes; S3's own limit, so a key valid here is valid there. */
export const MAX_KEY_BYTES = 1024;

// A lone surrogate has no UTF-8 form: S3 and file systems would each store a
// different replacement, and the key would not round-trip.
const LONE_SURROGATE = /\p{Surrogate}/u;

function brokenRule(value: string, kind: "key" | "prefix"): string | null {
	if (value.startsWith("/")) return "must be relative (no leading /)";
	if (value.includes("\\")) return "must not contain a backslash";
	if (value.includes("\0")) return "must not contain NUL";
	if (LONE_SURROGATE.test(value)) return "must be well-formed Unicode (lone surrogate)";
	if (Buffer.byteLength(value, "utf8") > MAX_KEY_BYTES) return `must be at most ${MAX_KEY_BYTES} UTF-8 bytes`;
	// A prefix may end with "/" (a folder), so its last empty segment is allowed.
	const segments = value.split("/");
	if (kind === "prefix" && value.endsWith("/")) segments.pop();
	for (const segment of segments) {
		if (segment === "") return "must not contain empty segments (a//b or a trailing /)";
		if (segment === "." || segment === "..") return 'must not contain "." or ".." segments';
	}
	return null;
}

function fail(value: string, kind: "key" | "prefix", rule: string): never {
	const shown = value.length > 120 ? `${value.slice(0, 120)}…` : value;
	throw new ValidationError(`Invalid object ${kind} ${JSON.stringify(shown)}: ${rule}`, {
		context: { [kind]: value, rule },
	});
}

/**
 * Throws a ValidationError naming the key and the rule it breaks: keys are
 * non-empty, relative, slash-separated, with no ".", ".." or empty segments,
 * no backslash or NUL, and at most MAX_KEY_BYTES UTF-8 bytes.
 */
export function assertValidKey(key: string): void {
	if (typeof key !== "string" || key === "") fail(String(key), "key", "must be a non-empty string");
	const rule = brokenRule(key, "key");
	if (rule) fail(key, "key", rule);
}

/** Like assertValidKey, except that a list prefix may be empty or end with "/". */
export function assertValidPrefix(prefix: string): void {
	if (typeof prefix !== "string") fail(String(prefix), "prefix", "must be a string");
	if (prefix === "") return;
	const rule = brokenRule(prefix, "prefix");
	if (rule) fail(prefix, "prefix", rule);
}

/** Compares keys the way S3 orders them: by their UTF-8 bytes (not UTF-16 code units). */
export function compareKeys(a: string, b: string): number {
	return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
