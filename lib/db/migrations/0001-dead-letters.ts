import type { Kysely, Migration } from "kysely";
import type { Dialect } from "../port.ts";
import { nowDefault, timestampType } from "./columns.ts";

/** `dead_letters`: one row per quarantined or dead-lettered message, for operators. */
export function deadLetters(dialect: Dialect): Migration {
	return {
		async up(db: Kysely<unknown>) {
			await db.schema
				.createTable("dead_letters")
				.addColumn("id", "text", (c) => c.primaryKey())
				.addColumn("topic", "text", (c) => c.notNull())
				.addColumn("partition", "integer", (c) => c.notNull())
				.addColumn("offset", "text", (c) => c.notNull())
				.addColumn("key", "text")
				.addColumn("error", "text", (c) => c.notNull())
				.addColumn("attempts", "integer", (c) => c.notNull())
				.addColumn("payload", "text", (c) => c.notNull())
				.addColumn("failed_at", timestampType(dialect), (c) => c.notNull())
				.addColumn("recorded_at", timestampType(dialect), (c) => c.notNull().defaultTo(nowDefault(dialect)))
				.execute();
			// Operators look at one topic's most recent failures.
			await db.schema
				.createIndex("dead_letters_topic_failed_at_idx")
				.on("dead_letters")
				.columns(["topic", "failed_at"])
				.execute();
		},
		async down(db: Kysely<unknown>) {
			await db.schema.dropTable("dead_letters").execute();
		},
	};
}
