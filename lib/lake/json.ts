/**
 * JSON for Iceberg metadata. Java and pyiceberg write snapshot ids above 2^53,
 * which JSON.parse would round; integers that do not fit a double exactly come
 * back as bigint and are written back digit for digit.
 */

const INTEGER = /^-?\d+$/;

/** Parses metadata JSON; unsafe integers become bigint. */
export function parseJson<T>(text: string): T {
	return JSON.parse(text, (_key, value, context?: { source?: string }) => {
		if (typeof value === "number" && !Number.isSafeInteger(value) && context?.source && INTEGER.test(context.source)) {
			return BigInt(context.source);
		}
		return value;
	}) as T;
}

/** Serialises metadata JSON; bigint values are written as bare integers. */
export function stringifyJson(value: unknown, space?: number): string {
	return JSON.stringify(
		value,
		(_key, v) => (typeof v === "bigint" ? (JSON as unknown as JsonWithRaw).rawJSON(v.toString()) : v),
		space,
	);
}

interface JsonWithRaw {
	rawJSON(text: string): unknown;
}

/** Compares two snapshot ids that may be number or bigint. */
export function sameId(a: number | bigint | null | undefined, b: number | bigint | null | undefined): boolean {
	if (a === null || a === undefined || b === null || b === undefined) return false;
	return BigInt(a) === BigInt(b);
}
