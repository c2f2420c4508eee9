import { buildDeadLetter, type DeadLetter, decodeDeadLetter } from "../../lib/bus/dlq.ts";
import { ValidationError } from "../../lib/errors.ts";
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
		let letter: DeadLetter;
		try {
			letter = decodeDeadLetter(message.value);
		} catch (error) {
			// Recorded by its own coordinates: the DLQ message itself is the "original".
			letter = buildDeadLetter(
				message,
				new ValidationError(`undecodable dead letter: ${(error as Error).message}`),
				0,
				message.timestamp,
			);
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
