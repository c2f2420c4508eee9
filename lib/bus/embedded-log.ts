import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from "node:fs";
import { crc32 } from "node:zlib";
import { AdapterError } from "../errors.ts";

/**
 * One topic-partition of the embedded bus: an append-only file of records,
 * each `u32 payload length | u32 crc32(payload) | payload` (little endian),
 * payload `u8 version | f64 timestamp | i32 key length (-1 = null) | key |
 * u32 headers length | headers JSON | u32 value length | value`.
 * A record's offset is its index in the file; the offset -> byte position
 * index lives in memory and is rebuilt by scanning on open.
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

export class PartitionLog {
	/** Byte position of each record; the index is the offset. */
	private readonly positions: number[] = [];
	private end = 0;
	private fd: number | undefined;

	private constructor(
		readonly path: string,
		private readonly fsync: boolean,
	) {}

	/** Opens (creating) the file, rebuilds the index, truncates a torn or corrupt tail. */
	static open(path: string, fsync: boolean): { log: PartitionLog; truncatedBytes: number } {
		const log = new PartitionLog(path, fsync);
		log.fd = openSync(path, "a+");
		const truncatedBytes = log.scan();
		return { log, truncatedBytes };
	}

	/** The offset the next appended record gets. */
	get highWatermark(): number {
		return this.positions.length;
	}

	/** Appends records in order; returns the first one's offset. */
	append(records: StoredRecord[]): number {
		const fd = this.requireFd();
		const base = this.positions.length;
		const encoded = records.map(encodeRecord);
		const bytes = Buffer.concat(encoded);
		try {
			let written = 0;
			while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
			if (this.fsync) fsyncSync(fd);
		} catch (cause) {
			// Leave no half record behind for readers of this process; the next open would cut it anyway.
			try {
				ftruncateSync(fd, this.end);
			} catch {}
			throw new AdapterError(`embedded bus: append to ${this.path} failed`, { retriable: true, cause });
		}
		let at = this.end;
		for (const record of encoded) {
			this.positions.push(at);
			at += record.length;
		}
		this.end = at;
		return base;
	}

	/** Records from offset `from`: at most `maxCount`, at most about `maxBytes` but always at least one. */
	read(from: number, maxCount: number, maxBytes: number): StoredRecord[] {
		const fd = this.requireFd();
		const start = this.positions[from];
		if (start === undefined || maxCount < 1) return [];
		let to = from + 1;
		const last = Math.min(from + maxCount, this.positions.length);
		while (to < last && (this.positions[to + 1] ?? this.end) - start <= maxBytes) to++;
		const stop = this.positions[to] ?? this.end;
		const bytes = Buffer.allocUnsafe(stop - start);
		let got = 0;
		while (got < bytes.length) {
			const n = readSync(fd, bytes, got, bytes.length - got, start + got);
			if (n === 0) throw new AdapterError(`embedded bus: ${this.path} is shorter than its index`);
			got += n;
		}
		const records: StoredRecord[] = [];
		for (let offset = from; offset < to; offset++) {
			const at = (this.positions[offset] ?? 0) - start;
			const length = bytes.readUInt32LE(at);
			records.push(decodePayload(bytes.subarray(at + HEADER_BYTES, at + HEADER_BYTES + length)));
		}
		return records;
	}

	close(): void {
		if (this.fd !== undefined) closeSync(this.fd);
		this.fd = undefined;
	}

	private requireFd(): number {
		if (this.fd === undefined) throw new AdapterError(`embedded bus: ${this.path} is closed`);
		return this.fd;
	}

	/**
	 * Indexes every whole record with a matching checksum and cuts the file at
	 * the first one that is not: after a crash only the tail can be torn, and
	 * Kafka's log recovery truncates at the first invalid batch the same way.
	 */
	private scan(): number {
		const fd = this.requireFd();
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
			this.positions.push(at);
			at += HEADER_BYTES + length;
		}
		this.end = at;
		if (at < size) {
			ftruncateSync(fd, at);
			if (this.fsync) fsyncSync(fd);
		}
		return size - at;
	}
}
