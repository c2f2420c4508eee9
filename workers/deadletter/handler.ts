import { decodeDeadLetter } from "../../lib/bus/dlq.ts";
import type { DeadLetterRepository } from "../../lib/ops/dead-letters.ts";
import type { MessageHandler } from "../../lib/runtime/consumer.ts";

/**
 * Records every dead letter in the application database, where operators
 * list them (gateway `/ops/dead-letters`) and count them per topic. A
 * redelivered dead letter is recorded once. A DLQ message that cannot even be
 * decoded is not re-dead-lettered (that would loop): it is recorded by its own
 * coordinates with the decoding error as the reason, so nothing is lost.
 */
export function createDeadLetterHandler(repository: DeadLetterRepository): MessageHandler {
	return async (message, { logger }) => {
		let letter: ReturnType<typeof decodeDeadLetter>;
		try {
			letter = decodeDeadLetter(message.value);
		} catch (error) {
			letter = {
				v: 1,
				original: {
					topic: message.topic,
					partition: message.partition,
					offset: message.offset,
					key: message.key,
					value_base64: Buffer.from(message.value).toString("base64"),
					headers: { ...message.headers },
					timestamp: message.timestamp,
				},
				error: { name: "UndecodableDeadLetter", message: (error as Error).message, retriable: false },
				attempts: 0,
				failed_at: new Date(message.timestamp).toISOString(),
			};
		}
		const inserted = await repository.record(letter);
		if (inserted) {
			logger.warn("dead letter recorded", {
				topic: letter.original.topic,
				partition: letter.original.partition,
				offset: letter.original.offset,
				reason: letter.error.message,
				attempts: letter.attempts,
			});
		}
	};
}
