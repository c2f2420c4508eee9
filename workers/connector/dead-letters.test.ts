import { afterAll, beforeAll, expect, test } from "bun:test";
import { decodeDeadLetter, originalValue } from "../../lib/bus/dlq.ts";
import { dlqTopic } from "../../lib/bus/topics.ts";
import { createTestClock } from "../../test/support/clock.ts";
import {
	type ConnectorHarness,
	createConnectorHarness,
	serveSimulator,
	testConnection,
} from "../../test/support/connector-harness.ts";
import { waitFor } from "../../test/support/namespace.ts";
import type { ConnectorDeadLetterValue } from "./dead-letters.ts";
import { createFakeApi, createFakeSource, type FakeApi } from "./fake-source.ts";

const SECRET = "s3cr3t-password-do-not-log";
const window = { from: "2026-11-01", to: "2026-11-02" };
let api: FakeApi;
let server: { url: string; stop(): Promise<void> };
let harness: ConnectorHarness;
const lines: string[] = [];

beforeAll(async () => {
	api = createFakeApi({ pages: 1 });
	server = await serveSimulator(api.app);
	harness = await createConnectorHarness({ clock: createTestClock(), onLog: (line) => lines.push(line) });
});
afterAll(async () => {
	await harness.close();
	await server.stop();
});

test("dead letters use lib/bus/dlq's format on connector.data.raw.dlq, with the raw body, reason and attempts; secrets never logged", async () => {
	const connection = testConnection({
		source: "ttd",
		baseUrls: { api: server.url },
		accounts: ["a1"],
		credentials: { password: SECRET },
	});
	api.faults.script({ status: 403, body: `{"error":"forbidden for ${SECRET}"}` });
	await harness.run(createFakeSource(), connection, window);

	const letters: ReturnType<typeof decodeDeadLetter>[] = [];
	const sub = harness.bus.subscribe(
		{ groupId: "test-dlq", topics: [dlqTopic("connector.data.raw")] },
		async (batch) => {
			for (const m of batch.messages) letters.push(decodeDeadLetter(m.value));
		},
	);
	await waitFor(() => letters.length === 1, { what: "the dead letter" });
	await sub.stop();
	const letter = letters[0];
	if (!letter) throw new Error("no letter");
	expect(letter.original).toMatchObject({ topic: "connector.data.raw", partition: -1, key: "org-test" });
	expect(letter.attempts).toBe(1);
	expect(letter.error).toMatchObject({ name: "RequestFailedError", retriable: false });
	const value = JSON.parse(new TextDecoder().decode(originalValue(letter))) as ConnectorDeadLetterValue;
	expect(value).toMatchObject({
		connection_id: connection.id,
		window,
		status: 403,
		kind: "fatal",
		request: { method: "GET" },
	});
	expect(letter.original.offset).toBe(value.request_id);
	expect(value.body).toBe('{"error":"forbidden for [REDACTED]"}');
	expect(lines.length).toBeGreaterThan(0);
	expect(lines.join("\n")).not.toContain(SECRET);
	expect(JSON.stringify(letter)).not.toContain(SECRET);
});
