/**
 * JSON pages: the records are the elements of one top-level array member
 * (`data`, `Result`, `campaigns`, ...), each kept as the exact text it had in
 * the response. Re-serialising with JSON.parse/stringify would round integers
 * past 2^53 and rewrite decimals; slicing the text keeps them as received.
 */
import type { SplitResult } from "./types.ts";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

const isWs = (code: number) => code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;

function skipWs(text: string, i: number): number {
	while (i < text.length && isWs(text.charCodeAt(i))) i++;
	return i;
}

/**
 * Index just past the string starting at `i` (text[i] is '"'): jumps from quote to quote with
 * indexOf; a quote is the closing one when an even number of backslashes precedes it.
 */
function skipString(text: string, i: number): number {
	for (let q = text.indexOf('"', i + 1); q !== -1; q = text.indexOf('"', q + 1)) {
		let k = q - 1;
		while (text.charCodeAt(k) === BACKSLASH) k--;
		if ((q - 1 - k) % 2 === 0) return q + 1;
	}
	return text.length;
}

/** Index just past the JSON value starting at `i`; the text is known to be valid JSON. */
function skipValue(text: string, i: number): number {
	const first = text.charCodeAt(i);
	if (first === QUOTE) return skipString(text, i);
	if (first === OPEN_BRACE || first === OPEN_BRACKET) {
		let depth = 0;
		for (let j = i; j < text.length; j++) {
			const code = text.charCodeAt(j);
			if (code === QUOTE) j = skipString(text, j) - 1;
			else if (code === OPEN_BRACE || code === OPEN_BRACKET) depth++;
			else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
				depth--;
				if (depth === 0) return j + 1;
			}
		}
		return text.length;
	}
	let j = i;
	while (j < text.length) {
		const code = text.charCodeAt(j);
		if (isWs(code) || code === COMMA || code === CLOSE_BRACE || code === CLOSE_BRACKET) break;
		j++;
	}
	return j;
}

/**
 * The raw text of each element of the top-level object's array member `key`,
 * or null when the object has no such member. Call on text JSON.parse accepted.
 * Scans char codes (no one-character strings) and skips strings with indexOf.
 */
export function arrayElementTexts(text: string, key: string): string[] | null {
	let i = skipWs(text, 0);
	if (text.charCodeAt(i) !== OPEN_BRACE) return null;
	i = skipWs(text, i + 1);
	while (i < text.length && text.charCodeAt(i) !== CLOSE_BRACE) {
		const nameEnd = skipString(text, i);
		const name = JSON.parse(text.slice(i, nameEnd)) as string;
		i = skipWs(text, skipWs(text, nameEnd) + 1);
		if (name === key && text.charCodeAt(i) === OPEN_BRACKET) {
			const out: string[] = [];
			i = skipWs(text, i + 1);
			while (i < text.length && text.charCodeAt(i) !== CLOSE_BRACKET) {
				const end = skipValue(text, i);
				out.push(text.slice(i, end));
				i = skipWs(text, end);
				if (text.charCodeAt(i) === COMMA) i = skipWs(text, i + 1);
			}
			return out;
		}
		i = skipWs(text, skipValue(text, i));
		if (text.charCodeAt(i) === COMMA) i = skipWs(text, i + 1);
	}
	return null;
}

function parseObject(text: string): { json: Record<string, unknown> } | { reason: string } {
	try {
		const json: unknown = JSON.parse(text);
		if (json && typeof json === "object" && !Array.isArray(json)) return { json: json as Record<string, unknown> };
		return { reason: "page is JSON but not an object" };
	} catch (error) {
		return { reason: `page is not JSON: ${(error as Error).message}` };
	}
}

/**
 * A list page: the elements of `key`. With `optional`, a missing member is an
 * empty page (Google list methods omit empty lists); otherwise it is malformed.
 */
export function splitJsonList(text: string, key: string, options: { optional?: boolean } = {}): SplitResult {
	const parsed = parseObject(text);
	if ("reason" in parsed) return { ok: false, reason: parsed.reason };
	const value = parsed.json[key];
	if (value === undefined && options.optional) return { ok: true, records: [] };
	if (!Array.isArray(value)) return { ok: false, reason: `page has no "${key}" array` };
	const records = arrayElementTexts(text, key);
	if (records === null || records.length !== value.length)
		return { ok: false, reason: `page's "${key}" array is ambiguous` };
	return { ok: true, records };
}

/**
 * A single-entity page (DV360 `advertisers/{id}`, TTD `advertiser/{id}`): the
 * body is the record. DV360's partner listing of advertisers is a list page
 * (`listKey`), and `{}` is that list when empty.
 */
export function splitJsonEntity(text: string, listKey: string): SplitResult {
	const parsed = parseObject(text);
	if ("reason" in parsed) return { ok: false, reason: parsed.reason };
	if (listKey in parsed.json) return splitJsonList(text, listKey);
	if (Object.keys(parsed.json).length === 0) return { ok: true, records: [] };
	return { ok: true, records: [text.trim()] };
}
