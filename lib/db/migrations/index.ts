import type { Migration } from "kysely";
import type { Dialect } from "../port.ts";
import { deadLetters } from "./0001-dead-letters.ts";
import { connectors } from "./0002-connectors.ts";
import { bronze } from "./0003-bronze.ts";

/**
 * The application's migrations, applied in name order and recorded in the
 * `pacer_migration` ledger. Never edit or rename one once merged: add the
 * next number (kysely's Migrator refuses missing and out-of-order names).
 */
export function appMigrations(dialect: Dialect): Record<string, Migration> {
	return {
		"0001_dead_letters": deadLetters(dialect),
		"0002_connectors": connectors(dialect),
		"0003_bronze": bronze(dialect),
	};
}
