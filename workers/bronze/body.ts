/**
 * The raw page of a `connector.data.raw` envelope: inline, or fetched from the
 * ObjectStore and checked against the size and sha256 the connector recorded.
 */
import { createHash } from "node:crypto";
import type { RawDataEnvelope } from "../../lib/envelope/index.ts";
import { NotFoundError } from "../../lib/errors.ts";
import type { ObjectStore } from "../../lib/objectstore/port.ts";

export type RawBody = { ok: true; text: string } | { ok: false; reason: string; raw: string };

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Reads the page. A missing object or a checksum mismatch is a page failure; store outages throw (retried). */
export async function readRawBody(envelope: RawDataEnvelope, store: ObjectStore): Promise<RawBody> {
	const body = envelope.body;
	if (body.kind === "inline") {
		return { ok: true, text: typeof body.data === "string" ? body.data : JSON.stringify(body.data ?? null) };
	}
	const pointer = JSON.stringify(body);
	let bytes: Uint8Array;
	try {
		bytes = await store.getBytes(body.key);
	} catch (error) {
		if (error instanceof NotFoundError) return { ok: false, reason: `raw object ${body.key} is missing`, raw: pointer };
		throw error;
	}
	const digest = createHash("sha256").update(bytes).digest("hex");
	if (digest !== body.sha256 || bytes.byteLength !== body.size_bytes) {
		return {
			ok: false,
			reason: `raw object ${body.key} does not match its envelope: sha256 ${digest}, ${bytes.byteLength} bytes; expected ${body.sha256}, ${body.size_bytes} bytes`,
			raw: pointer,
		};
	}
	try {
		return { ok: true, text: decoder.decode(bytes) };
	} catch {
		return { ok: false, reason: `raw object ${body.key} is not UTF-8 text`, raw: pointer };
	}
}
