import {
	closeSync,
	fstatSync,
	fsyncSync,
	ftruncateSync,
	openSync,
	readdirSync,
	readSync,
	unlinkSync,
	writeSync,
} from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { AdapterError } from "../errors.ts";
import { syncPath } from "./embedded-offsets.ts";

/**
 * One topic-partition of the embedded bus: append-only segment files of
 * records, each `u32 payload length | u32 crc32(payload) | payload` (little
 * endian), payload `u8 version | f64 timestamp | i32 key length (-1 = null) |
 * key | u32 headers length | headers JSON | u32 value length | value`.
 * The first segment is `<partition>.log` (base offset 0), later ones
 * `<partition>-<base offset>.log`, rolled when the active one passes
 * `segmentBytes`. A record's offset is its segment's base plus its index in
 * the file; the offset -> byte position index lives in memory and is rebuilt
 * by scanning on open. Retention removes whole segments, never the active
 * one, so the log may start above 0 (as a Kafka log does).
 */

export interface StoredRecord {
	key: string | null;
	value: Uint8Array;
	headers: Record<string, string>;
	timestamp: number;
}

const HEADER_BYTES = 8;
const FORMAT_VERSION = 1;
/** Larger than any record we write (Kafka's default limit is 1 MiB); a bigger length is a torn header. */
const MAX_RECORD_BYTES = 256 * 1024 * 1024;
const SCAN_CHUNK_BYTES = 1024 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeRecord(record: StoredRecord): Buffer {
	const key = record.key === null ? null : encoder.encode(record.key);
	const headers = encoder.encode(JSON.stringify(record.headers));
	const payloadBytes = 1 + 8 + 4 + (key?.length ?? 0) + 4 + headers.length + 4 + record.value.length;
	const out = Buffer.allocUnsafe(HEADER_BYTES + payloadBytes);
	let at = HEADER_BYTES;
	at = out.writeUInt8(FORMAT_VERSION, at);
	at = out.writeDoubleLE(record.timestamp, at);
	at = out.writeInt32LE(key === null ? -1 : key.length, at);
	if (key) {
		out.set(key, at);
		at += key.length;
	}
	at = out.writeUInt32LE(headers.length, at);
	out.set(headers, at);
	at += headers.length;
	at = out.writeUInt32LE(record.value.length, at);
	out.set(record.value, at);
	out.writeUInt32LE(payloadBytes, 0);
	out.writeUInt32LE(crc32(out.subarray(HEADER_BYTES)), 4);
	return out;
}

function decodePayload(payload: Buffer): StoredRecord {
	let at = 1; // the version byte; only version 1 exists
	const timestamp = payload.readDoubleLE(at);
	at += 8;
	const keyLength = payload.readInt32LE(at);
	at += 4;
	const key = keyLength < 0 ? null : decoder.decode(payload.subarray(at, at + keyLength));
	at += Math.max(keyLength, 0);
	const headersLength = payload.readUInt32LE(at);
	at += 4;
	const headers = JSON.parse(decoder.decode(payload.subarray(at, at + headersLength))) as Record<string, string>;
	at += headersLength;
	const valueLength = payload.readUInt32LE(at);
	at += 4;
	return { key, value: new Uint8Array(payload.subarray(at, at + valueLength)), headers, timestamp };
}

/** One segment file: its base offset, the byte position of each record, the newest record's timestamp. */
class Segment {
	readonly positions: number[] = [];
	end = 0;
	newest = 0;
	fd: number | undefined;

	constructor(
		readonly base: number,
		readonly path: string,
	) {}

	get next(): number {
		return this.base + this.positions.length;
	}
}

/** Bytes after which the active segment is closed and a new one started. */
export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

export class PartitionLog {
	private readonly segments: Segment[] = [];

	private constructor(
		private readonly dir: string,
		private readonly partition: number,
		private readonly fsync: boolean,
		private readonly segmentBytes: number,
	) {}

	/** Opens (creating) the partition's segments, rebuilds the index, truncates a torn or corrupt tail. */
	static open(
		dir: string,
		partition: number,
		fsync: boolean,
		segmentBytes = DEFAULT_SEGMENT_BYTES,
	): { log: PartitionLog; truncatedBytes: number } {
		const log = new PartitionLog(dir, partition, fsync, segmentBytes);
		const bases = readdirSync(dir)
			.map((name) =>
				name === `${partition}.log` ? 0 : Number(new RegExp(`^${partition}-(\\d+)\\.log$`).exec(name)?.[1]),
			)
			.filter((base) => Number.isInteger(base))
			.sort((a, b) => a - b);
		let truncatedBytes = 0;
		for (const base of bases.length > 0 ? bases : [0]) {
			const previous = log.segments.at(-1);
			if (previous && previous.next !== base) {
				throw new AdapterError(
					`embedded bus: ${log.segmentPath(base)} starts at offset ${base} but the segment before it ends at ${previous.next}`,
				);
			}
			const segment = new Segment(base, log.segmentPath(base));
			segment.fd = openSync(segment.path, "a+");
			log.segments.push(segment);
			truncatedBytes += log.scan(segment);
		}
		return { log, truncatedBytes };
	}

	/** The active segment's file, the one a crash can leave torn. */
	get path(): string {
		return this.active.path;
	}

	/** The offset the next appended record gets. */
	get highWatermark(): number {
		return this.active.next;
	}

	/** The oldest offset still held (0 until retention removed a segment). */
	get logStart(): number {
		return this.segments[0]?.base ?? 0;
	}

	/** Appends records in order; returns the first one's offset. */
	append(records: StoredRecord[]): number {
		if (this.active.end >= this.segmentBytes && this.active.positions.length > 0) this.roll();
		const segment = this.active;
		const fd = this.requireFd(segment);
		const base = segment.next;
		const encoded = records.map(encodeRecord);
		const bytes = Buffer.concat(encoded);
		try {
			let written = 0;
			while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
			if (this.fsync) fsyncSync(fd);
		} catch (cause) {
			// Leave no half record behind for readers of this process; the next open would cut it anyway.
			try {
				ftruncateSync(fd, segment.end);
			} catch {}
			throw new AdapterError(`embedded bus: append to ${segment.path} failed`, { retriable: true, cause });
		}
		let at = segment.end;
		for (const [i, record] of encoded.entries()) {
			segment.positions.push(at);
			at += record.length;
			segment.newest = Math.max(segment.newest, records[i]?.timestamp ?? 0);
		}
		segment.end = at;
		return base;
	}

	/**
	 * Records from offset `from` (at least logStart): at most `maxCount`, at
	 * most about `maxBytes` but always at least one; a batch ends at the end of
	 * its segment.
	 */
	read(from: number, maxCount: number, maxBytes: number): StoredRecord[] {
		const segment = this.segments.findLast((s) => s.base <= from);
		if (!segment || from >= segment.next || maxCount < 1) return [];
		const fd = this.requireFd(segment);
		const first = from - segment.base;
		const positions = segment.positions;
		const start = positions[first] as number;
		let to = first + 1;
		const last = Math.min(first + maxCount, positions.length);
		while (to < last && (positions[to + 1] ?? segment.end) - start <= maxBytes) to++;
		const stop = positions[to] ?? segment.end;
		const bytes = Buffer.allocUnsafe(stop - start);
		let got = 0;
		while (got < bytes.length) {
			const n = readSync(fd, bytes, got, bytes.length - got, start + got);
			if (n === 0) throw new AdapterError(`embedded bus: ${segment.path} is shorter than its index`);
			got += n;
		}
		const out: StoredRecord[] = [];
		for (let index = first; index < to; index++) {
			const at = (positions[index] ?? 0) - start;
			const length = bytes.readUInt32LE(at);
			out.push(decodePayload(bytes.subarray(at + HEADER_BYTES, at + HEADER_BYTES + length)));
		}
		return out;
	}

	/**
	 * Removes the segments, oldest first and never the active one, whose
	 * records are all older than `olderThan` (epoch ms) and below offset
	 * `consumedBelow`. Returns the bytes freed.
	 */
	removeSegments(olderThan: number, consumedBelow: number): number {
		let freed = 0;
		while (this.segments.length > 1) {
			const oldest = this.segments[0] as Segment;
			if (oldest.newest >= olderThan || oldest.next > consumedBelow) break;
			if (oldest.fd !== undefined) closeSync(oldest.fd);
			oldest.fd = undefined;
			unlinkSync(oldest.path);
			this.segments.shift();
			freed += oldest.end;
		}
		if (freed > 0 && this.fsync) syncPath(this.dir);
		return freed;
	}

	close(): void {
		for (const segment of this.segments) {
			if (segment.fd !== undefined) closeSync(segment.fd);
			segment.fd = undefined;
		}
	}

	private get active(): Segment {
		return this.segments.at(-1) as Segment;
	}

	private segmentPath(base: number): string {
		return join(this.dir, base === 0 ? `${this.partition}.log` : `${this.partition}-${base}.log`);
	}

	private roll(): void {
		const base = this.active.next;
		const segment = new Segment(base, this.segmentPath(base));
		segment.fd = openSync(segment.path, "a+");
		if (this.fsync) syncPath(this.dir);
		this.segments.push(segment);
	}

	private requireFd(segment: Segment): number {
		if (segment.fd === undefined) throw new AdapterError(`embedded bus: ${segment.path} is closed`);
		return segment.fd;
	}

	/**
	 * Indexes every whole record with a matching checksum and cuts the file at
	 * the first one that is not: after a crash only the tail can be torn, and
	 * Kafka's log recovery truncates at the first invalid batch the same way.
	 */
	private scan(segment: Segment): number {
		const fd = this.requireFd(segment);
		const size = fstatSync(fd).size;
		let buffer = Buffer.allocUnsafe(SCAN_CHUNK_BYTES);
		let bufferStart = 0;
		let bufferLength = 0;
		const load = (at: number, length: number): boolean => {
			if (at + length > size) return false;
			if (at >= bufferStart && at + length <= bufferStart + bufferLength) return true;
			if (length > buffer.length) buffer = Buffer.allocUnsafe(length);
			bufferStart = at;
			bufferLength = 0;
			const want = Math.min(buffer.length, size - at);
			while (bufferLength < want) {
				const n = readSync(fd, buffer, bufferLength, want - bufferLength, at + bufferLength);
				if (n === 0) break;
				bufferLength += n;
			}
			return bufferLength >= length;
		};
		let at = 0;
		while (at < size && load(at, HEADER_BYTES)) {
			const length = buffer.readUInt32LE(at - bufferStart);
			const checksum = buffer.readUInt32LE(at - bufferStart + 4);
			if (length < 1 || length > MAX_RECORD_BYTES || !load(at, HEADER_BYTES + length)) break;
			const payloadAt = at - bufferStart + HEADER_BYTES;
			const payload = buffer.subarray(payloadAt, payloadAt + length);
			if (crc32(payload) !== checksum || payload[0] !== FORMAT_VERSION) break;
			segment.positions.push(at);
			segment.newest = Math.max(segment.newest, payload.readDoubleLE(1));
			at += HEADER_BYTES + length;
		}
		segment.end = at;
		if (at < size) {
			ftruncateSync(fd, at);
			if (this.fsync) fsyncSync(fd);
		}
		return size - at;
	}
}
