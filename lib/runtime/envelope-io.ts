import type { Bus, BusMessage, ProducedRecord } from "../bus/port.ts";
import { type EnvelopeOf, type EnvelopeTopic, parseEnvelope } from "../envelope/index.ts";
import type { BatchHandler, MessageContext, MessageHandler } from "./consumer.ts";

/**
 * Produces envelopes keyed by org (so one org's messages stay in order on one
 * partition) with the trace and message ids copied into headers, where
 * consumers and operators can read them without decoding the value.
 */
export async function publishEnvelopes<T extends EnvelopeTopic>(
	bus: Bus,
	topic: T,
	envelopes: readonly EnvelopeOf<T>[],
): Promise<ProducedRecord[]> {
	return bus.produce(
		topic,
		envelopes.map((envelope) => ({
			key: envelope.org_id,
			value: JSON.stringify(envelope),
			headers: {
				trace_id: envelope.trace_id,
				message_id: envelope.id,
				envelope_v: String(envelope.v),
			},
		})),
	);
}

/**
 * Wraps a handler of typed envelopes into a MessageHandler: a message that
 * is not a valid envelope for its topic raises a non-retriable EnvelopeError,
 * which the consumer loop sends to `<topic>.dlq` with the reason and counts.
 */
export function envelopeHandler<T extends EnvelopeTopic>(
	topic: T,
	handle: (envelope: EnvelopeOf<T>, message: BusMessage, context: MessageContext) => Promise<void>,
): MessageHandler {
	return async (message, context) => {
		const envelope = parseEnvelope(topic, message.value, message.key);
		await handle(envelope, message, context);
	};
}

/**
 * Wraps a handler of many typed envelopes into a BatchHandler: messages that
 * are not valid envelopes are left for the per-message handler (which
 * dead-letters them with the reason), as is every message whose envelope the
 * handler returns.
 */
export function envelopeBatchHandler<T extends EnvelopeTopic>(
	topic: T,
	handle: (envelopes: EnvelopeOf<T>[], context: MessageContext) => Promise<readonly EnvelopeOf<T>[]>,
): BatchHandler {
	return async (messages, context) => {
		const left: BusMessage[] = [];
		const parsed = new Map<EnvelopeOf<T>, BusMessage>();
		for (const message of messages) {
			try {
				parsed.set(parseEnvelope(topic, message.value, message.key), message);
			} catch {
				left.push(message);
			}
		}
		for (const envelope of await handle([...parsed.keys()], context)) {
			const message = parsed.get(envelope);
			if (message) left.push(message);
		}
		return left;
	};
}
