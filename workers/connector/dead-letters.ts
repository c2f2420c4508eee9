import { deadLetter } from "../../lib/bus/dlq.ts";
import type { Bus, BusMessage } from "../../lib/bus/port.ts";
import { CONNECTOR_DATA_RAW } from "../../lib/bus/topics.ts";
import { requestId, sha256Hex } from "./emit.ts";
import { PageRejectedError, RequestFailedError } from "./errors.ts";
import { maskSecrets } from "./redact.ts";
import type { Connection, DateWindow, RawPage } from "./source.ts";

/** What a connector dead letter's original value holds (JSON). */
export interface ConnectorDeadLetterValue {
	request: { method: string; url: string; bucket?: string };
	/** HTTP status of the last response, or null. */
	status: number | null;
	/** The raw body of the last response (secrets masked), or null. */
	body: string | null;
	window: DateWindow;
	connection_id: string;
	org_id: string;
	source: string;
	stream: string | null;
	account: string | null;
	request_id: string;
	reason: string;
	kind: string;
}

export interface DeadLetterWriter {
	/** A request the policy gave up on. */
	request(failure: RequestFailedError): Promise<ConnectorDeadLetterValue>;
	/** A page the source rejected. */
	page(page: RawPage, reason: string): Promise<ConnectorDeadLetterValue>;
}

/**
 * Writes connector failures to `connector.data.raw.dlq` in lib/bus/dlq.ts's
 * format, so the deadletter worker records them like any other. There is no
 * consumed message to quote, so a synthetic one stands in: topic
 * connector.data.raw, key org, partition -1, offset = the request id.
 */
export function createDeadLetterWriter(deps: {
	bus: Bus;
	connection: Connection;
	window: DateWindow;
	now(): Date;
	/** Values to mask in bodies and reasons (the connection's secrets). */
	secrets: readonly string[];
}): DeadLetterWriter {
	const { bus, connection, window, secrets } = deps;
	const write = async (value: ConnectorDeadLetterValue, error: Error, attempts: number) => {
		const message: BusMessage = {
			topic: CONNECTOR_DATA_RAW,
			partition: -1,
			offset: value.request_id,
			key: connection.orgId,
			value: new TextEncoder().encode(JSON.stringify(value)),
			headers: { connection_id: connection.id, source: connection.source },
			timestamp: deps.now().getTime(),
		};
		await deadLetter(bus, message, error, attempts, { now: () => deps.now().getTime() });
		return value;
	};
	const base = {
		window: { ...window },
		connection_id: connection.id,
		org_id: connection.orgId,
		source: connection.source,
	};
	return {
		request(failure) {
			const body = failure.body === null ? null : maskSecrets(failure.body, secrets);
			const id = sha256Hex(
				JSON.stringify([connection.id, window.from, window.to, failure.request.method, failure.request.url]),
			);
			const reason = maskSecrets(failure.reason, secrets);
			const error = new RequestFailedError({ ...failure, reason, body, request: failure.request });
			return write(
				{
					...base,
					request: failure.request,
					status: failure.status,
					body,
					stream: null,
					account: null,
					request_id: id,
					reason,
					kind: failure.kind,
				},
				error,
				failure.attempts,
			);
		},
		page(page, reason) {
			const id = requestId(connection.id, page, window, sha256Hex(page.body));
			const masked = maskSecrets(reason, secrets);
			const value: ConnectorDeadLetterValue = {
				...base,
				request: page.request,
				status: null,
				body: page.body,
				stream: page.stream,
				account: page.account,
				request_id: id,
				reason: masked,
				kind: "rejected",
			};
			return write(value, new PageRejectedError(masked, { stream: page.stream, page_key: page.pageKey }), 1);
		},
	};
}
