import type { Kysely } from "kysely";
import type { DeadLetter } from "../bus/dlq.ts";
import type { AppTables } from "../db/port.ts";

export interface DeadLetterRow {
	id: string;
	topic: string;
	partition: number;
	offset: string;
	key: string | null;
	reason: string;
	errorName: string;
	attempts: number;
	failedAt: string;
	recordedAt: string;
}

export interface DeadLetterRepository {
	/** Records one dead letter; recording it again changes nothing. Returns false when it was already there. */
	record(letter: DeadLetter, recordedAt?: Date): Promise<boolean>;
	list(filter?: { topic?: string; limit?: number }): Promise<DeadLetterRow[]>;
	/** Dead letters per original topic. */
	countByTopic(): Promise<Record<string, number>>;
}

export function createDeadLetterRepository(db: Kysely<AppTables>): DeadLetterRepository {
	return {
		async record(letter, recordedAt = new Date()) {
			const { original } = letter;
			const result = await db
				.insertInto("dead_letters")
				.values({
					id: `${original.topic}:${original.partition}:${original.offset}`,
					topic: original.topic,
					partition: original.partition,
					offset: original.offset,
					key: original.key,
					error: JSON.stringify(letter.error),
					attempts: letter.attempts,
					payload: JSON.stringify(letter),
					failed_at: letter.failed_at,
					recorded_at: recordedAt.toISOString(),
				})
				.onConflict((oc) => oc.column("id").doNothing())
				.executeTakeFirst();
			return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
		},
		async list(filter = {}) {
			let query = db.selectFrom("dead_letters").selectAll().orderBy("failed_at", "desc").orderBy("id");
			if (filter.topic) query = query.where("topic", "=", filter.topic);
			const rows = await query.limit(Math.min(Math.max(filter.limit ?? 100, 1), 1000)).execute();
			return rows.map((row) => {
				const error = JSON.parse(row.error) as DeadLetter["error"];
				return {
					id: row.id,
					topic: row.topic,
					partition: Number(row.partition),
					offset: row.offset,
					key: row.key,
					reason: error.message,
					errorName: error.name,
					attempts: Number(row.attempts),
					failedAt: row.failed_at,
					recordedAt: row.recorded_at,
				};
			});
		},
		async countByTopic() {
			const rows = await db
				.selectFrom("dead_letters")
				.select(["topic", (eb) => eb.fn.countAll<number | string | bigint>().as("n")])
				.groupBy("topic")
				.execute();
			return Object.fromEntries(rows.map((r) => [r.topic, Number(r.n)]));
		},
	};
}
