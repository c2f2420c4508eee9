/**
 * Iceberg single-value binary serialisation (spec Appendix D) for the types
 * we keep bounds for, and comparison of encoded values for scan pruning.
 * Floats and doubles get no bounds: NaN handling would have to be proven
 * per file, and a missing bound is always correct while a wrong one makes
 * readers that prune (ClickHouse) drop rows.
 */
import { parseDecimal } from "./schema.ts";
import type { PrimitiveType } from "./types.ts";

/** Longest string (UTF-8 bytes) we keep bounds for; longer values may be truncated in Parquet statistics. */
export const MAX_STRING_BOUND_BYTES = 256;

const DAY_MS = 86_400_000;

export function daysFromDate(text: string): number {
	return Math.floor(Date.parse(`${text}T00:00:00Z`) / DAY_MS);
}

export function dateFromDays(days: number): string {
	return new Date(days * DAY_MS).toISOString().slice(0, 10);
}

const TIMESTAMP_TEXT = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(\+00(?::00)?|Z)?$/;

function microsFromText(text: string, withZone: boolean): bigint | null {
	const m = TIMESTAMP_TEXT.exec(text);
	if (!m) return null;
	// A timestamptz rendered in another zone than UTC cannot be trusted here.
	if (withZone && m[6] === undefined) return null;
	const [, date = "", hh, mm, ss, frac = ""] = m;
	const seconds = BigInt(daysFromDate(date)) * 86_400n + BigInt(Number(hh) * 3600 + Number(mm) * 60 + Number(ss));
	return seconds * 1_000_000n + BigInt(frac.padEnd(6, "0") || "0");
}

function unscaled(text: string, scale: number): bigint | null {
	const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
	if (!m) return null;
	const fraction = m[3] ?? "";
	if (fraction.length > scale) return null;
	const value = BigInt(m[2] + fraction.padEnd(scale, "0"));
	return m[1] === "-" ? -value : value;
}

function le(value: bigint, bytes: 4 | 8): Buffer {
	const buffer = Buffer.alloc(bytes);
	if (bytes === 4) buffer.writeInt32LE(Number(value));
	else buffer.writeBigInt64LE(value);
	return buffer;
}

/** Two's-complement big-endian in the minimum number of bytes. */
function decimalBytes(value: bigint): Buffer {
	let length = 1;
	while (value < -(1n << BigInt(8 * length - 1)) || value >= 1n << BigInt(8 * length - 1)) length++;
	const buffer = Buffer.alloc(length);
	let v = BigInt.asUintN(8 * length, value);
	for (let i = length - 1; i >= 0; i--) {
		buffer[i] = Number(v & 0xffn);
		v >>= 8n;
	}
	return buffer;
}

/** Encodes a bound from DuckDB's statistics text, or null when it cannot be trusted. */
export function encodeBound(type: PrimitiveType, text: string): Buffer | null {
	const decimal = parseDecimal(type);
	if (decimal) {
		const value = unscaled(text, decimal.scale);
		return value === null ? null : decimalBytes(value);
	}
	switch (type) {
		case "int":
			return /^-?\d+$/.test(text) ? le(BigInt(text), 4) : null;
		case "long":
			return /^-?\d+$/.test(text) ? le(BigInt(text), 8) : null;
		case "date":
			return /^\d{4}-\d{2}-\d{2}$/.test(text) ? le(BigInt(daysFromDate(text)), 4) : null;
		case "timestamp":
		case "timestamptz": {
			const micros = microsFromText(text, type === "timestamptz");
			return micros === null ? null : le(micros, 8);
		}
		case "boolean":
			return text === "true" || text === "false" ? Buffer.from([text === "true" ? 1 : 0]) : null;
		case "string": {
			const bytes = Buffer.from(text, "utf8");
			return bytes.length <= MAX_STRING_BOUND_BYTES ? bytes : null;
		}
		default:
			return null;
	}
}

/** Encodes a filter literal (JS value) as a bound of `type`, or null if unsupported. */
export function encodeLiteral(type: PrimitiveType, value: unknown): Buffer | null {
	if (value instanceof Date) return encodeBound(type, value.toISOString().replace("T", " ").replace("Z", "+00"));
	if (typeof value === "boolean") return encodeBound(type, String(value));
	if (typeof value !== "string" && typeof value !== "number" && typeof value !== "bigint") return null;
	if (type === "string" && typeof value === "string") return Buffer.from(value, "utf8");
	return encodeBound(type, String(value));
}

function readSigned(buffer: Buffer): bigint {
	if (buffer.length === 4) return BigInt(buffer.readInt32LE());
	if (buffer.length === 8) return buffer.readBigInt64LE();
	return BigInt(buffer.length ? buffer.readIntLE(0, Math.min(buffer.length, 6)) : 0);
}

function readDecimal(buffer: Buffer): bigint {
	let value = 0n;
	for (const byte of buffer) value = (value << 8n) | BigInt(byte);
	return BigInt.asIntN(8 * buffer.length, value);
}

/**
 * Compares two encoded values of `type`. Integer bounds written before a
 * promotion (int→long) are 4 bytes and compare correctly with 8-byte ones.
 */
export function compareBounds(type: PrimitiveType, a: Buffer, b: Buffer): number {
	if (parseDecimal(type)) {
		const d = readDecimal(a) - readDecimal(b);
		return d < 0n ? -1 : d > 0n ? 1 : 0;
	}
	switch (type) {
		case "int":
		case "long":
		case "date":
		case "timestamp":
		case "timestamptz": {
			const x = readSigned(a);
			const y = readSigned(b);
			return x < y ? -1 : x > y ? 1 : 0;
		}
		default:
			return Buffer.compare(a, b);
	}
}
