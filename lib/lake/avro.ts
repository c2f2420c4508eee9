/**
 * Avro object container files through avsc, in memory. The schema is passed
 * as a plain object so avsc writes it verbatim into the header (field ids,
 * `logicalType: map` survive). Longs are numbers when exact and bigint
 * otherwise: other engines write 64-bit snapshot ids.
 */
import { inflateRawSync } from "node:zlib";
import avro from "avsc";

const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

function narrow(value: bigint): number | bigint {
	return value >= SAFE_MIN && value <= SAFE_MAX ? Number(value) : value;
}

// The long type works on the raw zig-zag varint bytes (avsc's "noUnpack"
// mode): up to 7 bytes (|value| < 2^48) decode as plain numbers, which keeps
// manifest decoding fast; longer ones go through bigint.
function fromVarint(bytes: Buffer): number | bigint {
	if (bytes.length <= 7) {
		let n = 0;
		let scale = 1;
		for (const byte of bytes) {
			n += (byte & 0x7f) * scale;
			scale *= 128;
		}
		return n % 2 ? -(n + 1) / 2 : n / 2;
	}
	let n = 0n;
	let shift = 0n;
	for (const byte of bytes) {
		n |= BigInt(byte & 0x7f) << shift;
		shift += 7n;
	}
	return narrow((n >> 1n) ^ -(n & 1n));
}

function toVarint(value: number | bigint): Buffer {
	const v = BigInt(value);
	let z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
	const out: number[] = [];
	do {
		const low = Number(z & 0x7fn);
		z >>= 7n;
		out.push(z > 0n ? low | 0x80 : low);
	} while (z > 0n);
	return Buffer.from(out);
}

const mixedLong = avro.types.LongType.__with(
	{
		fromBuffer: fromVarint,
		toBuffer: toVarint,
		fromJSON: (value: number | bigint) => value,
		toJSON: (value: number | bigint) => (typeof value === "bigint" ? Number(value) : value),
		isValid: (value: unknown) =>
			(typeof value === "number" && Number.isSafeInteger(value)) || typeof value === "bigint",
		compare: (a: number | bigint, b: number | bigint) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0),
	},
	true,
);

function typeFor(schema: object, exactLongs: boolean): avro.Type {
	return exactLongs
		? avro.Type.forSchema(schema as avro.Schema, { registry: { long: mixedLong } })
		: avro.Type.forSchema(schema as avro.Schema);
}

// avsc's own long type is several times faster than the custom one, and
// throws rather than round when a value passes 2^53: try it first.
function isPrecisionError(error: unknown): boolean {
	return (
		error instanceof Error &&
		/precision loss|invalid "long"|invalid "abstract:long"|invalid \[?"?long/i.test(error.message)
	);
}

/** Encodes records into an Avro container file with deflate and the given header keys. */
export async function encodeAvro(
	schema: object,
	records: readonly unknown[],
	metadata: Record<string, string>,
): Promise<Buffer> {
	try {
		return await encodeWith(schema, records, metadata, false);
	} catch (error) {
		if (!(error instanceof TypeError) && !isPrecisionError(error)) throw error;
		return encodeWith(schema, records, metadata, true);
	}
}

async function encodeWith(
	schema: object,
	records: readonly unknown[],
	metadata: Record<string, string>,
	exactLongs: boolean,
): Promise<Buffer> {
	// avsc supports `metadata` (header keys) but its typings omit it.
	const options = {
		codec: "deflate",
		// An empty manifest list (a table emptied by deletes) still needs its header.
		writeHeader: "always",
		metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, Buffer.from(v)])),
	} as ConstructorParameters<typeof avro.streams.BlockEncoder>[1];
	const encoder = new avro.streams.BlockEncoder(schema as avro.Schema, options);
	// BlockEncoder builds its own Type without options; swap in ours so that
	// bigint longs encode, while the header keeps the schema object verbatim.
	(encoder as unknown as { _type: avro.Type })._type = typeFor(schema, exactLongs);
	const chunks: Buffer[] = [];
	const done = new Promise<void>((resolve, reject) => {
		encoder.on("data", (chunk: Buffer) => chunks.push(chunk));
		encoder.on("end", resolve);
		encoder.on("error", reject);
		encoder.on("typeError", (error: unknown) => reject(error));
	});
	for (const record of records) encoder.write(record);
	encoder.end();
	await done;
	return Buffer.concat(chunks);
}

const HEADER = avro.Type.forSchema({
	type: "record",
	name: "org.apache.avro.file.Header",
	fields: [
		{ name: "magic", type: { type: "fixed", name: "Magic", size: 4 } },
		{ name: "meta", type: { type: "map", values: "bytes" } },
		{ name: "sync", type: { type: "fixed", name: "Sync", size: 16 } },
	],
});
const BLOCK_LONG = avro.Type.forSchema("long");
const MAGIC = Buffer.from("Obj\x01", "latin1");

/**
 * Decodes an Avro container file; returns its records and header metadata.
 * Blocks are read directly rather than through avsc's BlockDecoder stream,
 * which costs more than the decoding itself when planning scans over
 * thousands of manifest entries.
 */
export async function decodeAvro<T>(bytes: Uint8Array): Promise<{ records: T[]; metadata: Record<string, string> }> {
	const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	if (buffer.length < 4 || !buffer.subarray(0, 4).equals(MAGIC)) throw new Error("Not an Avro object container file");
	const { value, offset } = HEADER.decode(buffer, 0) as {
		value: { meta: Record<string, Buffer>; sync: Buffer };
		offset: number;
	};
	const metadata = Object.fromEntries(Object.entries(value.meta).map(([k, v]) => [k, v.toString()]));
	const codec = metadata["avro.codec"] ?? "null";
	if (codec !== "null" && codec !== "deflate") throw new Error(`Unsupported Avro codec ${codec}`);
	const schema = JSON.parse(metadata["avro.schema"] ?? "null");
	try {
		return { records: readBlocks<T>(buffer, offset, value.sync, codec, typeFor(schema, false)), metadata };
	} catch (error) {
		if (!isPrecisionError(error)) throw error;
		return { records: readBlocks<T>(buffer, offset, value.sync, codec, typeFor(schema, true)), metadata };
	}
}

function readBlocks<T>(buffer: Buffer, offset: number, sync: Buffer, codec: string, type: avro.Type): T[] {
	const records: T[] = [];
	let pos = offset;
	while (pos < buffer.length) {
		const count = BLOCK_LONG.decode(buffer, pos) as { value: number; offset: number };
		const size = BLOCK_LONG.decode(buffer, count.offset) as { value: number; offset: number };
		const raw = buffer.subarray(size.offset, size.offset + size.value);
		const block = codec === "deflate" ? inflateRawSync(raw) : raw;
		pos = size.offset + size.value + 16;
		if (!buffer.subarray(pos - 16, pos).equals(sync)) throw new Error("Avro block sync marker mismatch");
		let at = 0;
		for (let i = 0; i < count.value; i++) {
			const decoded = type.decode(block, at) as { value: T; offset: number };
			if (decoded.offset < 0) throw new Error("Truncated Avro block");
			records.push(decoded.value);
			at = decoded.offset;
		}
	}
	return records;
}
