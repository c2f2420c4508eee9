/**
 * JSON pages: the records are the elements of one top-level array member
 * (`data`, `Result`, `campaigns`, ...), each kept as the exact text it had in
 * the response. Re-serialising with JSON.parse/stringify would round integers
 * past 2^53 and rewrite decimals; slicing the text keeps them as received.
 */
import type { SplitResult } from "./types.ts";

const WS = new Set([" ", "\t", "\n", "\r"]);

function skipWs(text: string, i: number): number {
	while (i < text.length && WS.has(text[i] as string)) i++;
	return i;
}

/** Index just past the string starting at `i` (text[i] is '"'). */
function skipString(text: string, i: number): number {
	for (let j = i + 1; j < text.length; j++) {
		const ch = text[j];
		if (ch === "\\") j++;
		else if (ch === '"') return j + 1;
	}
	return text.length;
}

/** Index just past the JSON value starting at `i`; the text is known to be valid JSON. */
function skipValue(text: string, i: number): number {
	const first = text[i];
	if (first === '"') return skipString(text, i);
	if (first === "{" || first === "[") {
		let depth = 0;
		for (let j = i; j < text.length; j++) {
			const ch = text[j];
			if (ch === '"') j = skipString(text, j) - 1;
			else if (ch === "{" || ch === "[") depth++;
			else if (ch === "}" || ch === "]") {
				depth--;
				if (depth === 0) return j + 1;
			}
		}
		return text.length;
	}
	let j = i;
	while (j < text.length && !WS.has(text[j] as string) && text[j] !== "," && text[j] !== "}" && text[j] !== "]") j++;
	return j;
}

/**
 * The raw text of each element of the top-level object's array member `key`,
 * or null when the object has no such member. Call on text JSON.parse accepted.
 */
export function arrayElementTexts(text: string, key: string): string[] | null {
	let i = skipWs(text, 0);
	if (text[i] !== "{") return null;
	i = skipWs(text, i + 1);
	while (i < text.length && text[i] !== "}") {
		const nameEnd = skipString(text, i);
		const name = JSON.parse(text.slice(i, nameEnd)) as string;
		i = skipWs(text, skipWs(text, nameEnd) + 1);
		if (name === key && text[i] === "[") {
			const out: string[] = [];
			i = skipWs(text, i + 1);
			while (i < text.length && text[i] !== "]") {
				const end = skipValue(text, i);
				out.push(text.slice(i, end));
				i = skipWs(text, end);
				if (text[i] === ",") i = skipWs(text, i + 1);
			}
			return out;
		}
		i = skipWs(text, skipValue(text, i));
		if (text[i] === ",") i = skipWs(text, i + 1);
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
