import { createHash } from "node:crypto";
import type { Bus } from "../../lib/bus/port.ts";
import { CONNECTOR_DATA_RAW } from "../../lib/bus/topics.ts";
import { createEnvelope, type RawDataEnvelope } from "../../lib/envelope/index.ts";
import type { ObjectStore } from "../../lib/objectstore/port.ts";
import { publishEnvelopes } from "../../lib/runtime/envelope-io.ts";
import type { Connection, DateWindow, RawPage } from "./source.ts";

/** Default largest envelope kept inline, bytes (Kafka's default message limit is 1 MiB). */
export const DEFAULT_MAX_INLINE_BYTES = 900 * 1024;

export function sha256Hex(text: string | Uint8Array): string {
	return createHash("sha256").update(text).digest("hex");
}

/**
 * The page's deterministic id: the same response of the same logical page in
 * the same window hashes to the same id on every run, so downstream stages
 * recognise a re-fetch; a changed body (a restated day) gets a new id.
 */
export function requestId(
	connectionId: string,
	page: Pick<RawPage, "stream" | "account" | "pageKey">,
	window: DateWindow,
	bodySha256: string,
): string {
	return sha256Hex(
		JSON.stringify([connectionId, page.stream, page.account, window.from, window.to, page.pageKey, bodySha256]),
	);
}

/** Object key of a page too large to travel inline. */
export function rawObjectKey(orgId: string, connectionId: string, stream: string, id: string): string {
	return `raw/${safeSegment(orgId)}/${safeSegment(connectionId)}/${safeSegment(stream)}/${id}`;
}

export interface PageEmitterOptions {
	bus: Bus;
	objectStore: ObjectStore;
	connection: Connection;
	window: DateWindow;
	/** One trace per run: every page of the run carries it. */
	traceId: string;
	now(): Date;
	/** Envelopes larger than this go to object storage as a pointer, bytes. Default 900 KiB. */
	maxInlineBytes?: number;
}

/** Publishes raw pages on `connector.data.raw`, inline or as an object-store pointer; returns the envelope. */
export function createPageEmitter(options: PageEmitterOptions): (page: RawPage) => Promise<RawDataEnvelope> {
	const { bus, objectStore, connection, window } = options;
	const maxInline = options.maxInlineBytes ?? DEFAULT_MAX_INLINE_BYTES;
	return async (page) => {
		const bodySha = sha256Hex(page.body);
		const id = requestId(connection.id, page, window, bodySha);
		const fields = {
			org_id: connection.orgId,
			source: connection.source,
			trace_id: options.traceId,
			request_id: id,
			connection_id: connection.id,
			stream: page.stream,
			window: { from: window.from, to: window.to },
			page: page.page,
		};
		// The envelope escapes the body as a JSON string; measure what goes on the wire.
		const inlineBytes = Buffer.byteLength(JSON.stringify(page.body)) + 1024;
		let body: RawDataEnvelope["body"];
		if (inlineBytes <= maxInline) {
			body = { kind: "inline", content_type: page.contentType, data: page.body };
		} else {
			const key = rawObjectKey(connection.orgId, connection.id, page.stream, id);
			const info = await objectStore.put(key, page.body, { contentType: page.contentType });
			body = { kind: "object", content_type: page.contentType, key, size_bytes: info.size, sha256: bodySha };
		}
		const envelope = createEnvelope(CONNECTOR_DATA_RAW, { ...fields, body }, options.now);
		await publishEnvelopes(bus, CONNECTOR_DATA_RAW, [envelope]);
		return envelope;
	};
}

function safeSegment(value: string): string {
	return value.replace(/[^A-Za-z0-9._=-]/g, "_").replace(/^\.+$/, "_") || "_";
}
