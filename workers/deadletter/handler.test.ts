import { afterAll, beforeAll, expect, test } from "bun:test";
import { buildDeadLetter } from "../../lib/bus/dlq.ts";
import type { BusMessage } from "../../lib/bus/port.ts";
import { createDatabase, migrateToLatest } from "../../lib/db/index.ts";
import type { Database } from "../../lib/db/port.ts";
import { EnvelopeError } from "../../lib/envelope/index.ts";
import { createDeadLetterRepository } from "../../lib/ops/dead-letters.ts";
import { createLogger } from "../../lib/runtime/logger.ts";
import { createDeadLetterHandler } from "./handler.ts";

let database: Database;
beforeAll(async () => {
	database = await createDatabase({ sqlitePath: ":memory:" });
	await migrateToLatest(database);
});
afterAll(() => database.close());

const message = (topic: string, offset: string, value: string): BusMessage => ({
	topic,
	partition: 1,
	offset,
	key: "org-1",
	value: new TextEncoder().encode(value),
	headers: {},
	timestamp: Date.parse("2026-11-28T00:00:00Z"),
});

test("a dead letter is recorded once with its reason, however often it is delivered; an undecodable one is kept too", async () => {
	const repository = createDeadLetterRepository(database.db);
	const handle = createDeadLetterHandler(repository);
	const context = { signal: new AbortController().signal, logger: createLogger({ level: "error" }) };
	const original = message("connector.data.raw", "41", "{bad");
	const letter = buildDeadLetter(original, new EnvelopeError("not a JSON envelope: bad"), 1, Date.now());
	const dlq = message("connector.data.raw.dlq", "7", JSON.stringify(letter));
	await handle(dlq, context);
	await handle(dlq, context);
	await handle(message("bronze.data.cleaned.dlq", "9", "garbage"), context);

	const rows = await repository.list();
	expect(rows).toHaveLength(2);
	const recorded = rows.find((r) => r.topic === "connector.data.raw");
	expect(recorded).toMatchObject({
		id: "connector.data.raw:1:41",
		reason: "not a JSON envelope: bad",
		errorName: "EnvelopeError",
		attempts: 1,
	});
	const undecodable = rows.find((r) => r.topic === "bronze.data.cleaned.dlq");
	expect(undecodable?.reason).toStartWith("undecodable dead letter: dead letter is not UTF-8 JSON");
	expect(await repository.countByTopic()).toEqual({ "connector.data.raw": 1, "bronze.data.cleaned.dlq": 1 });
});
