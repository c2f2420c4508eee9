import { afterAll, beforeAll, expect, test } from "bun:test";
import { createTestClock, type TestClock } from "../../test/support/clock.ts";
import {
	type ConnectorHarness,
	createConnectorHarness,
	serveSimulator,
	testConnection,
} from "../../test/support/connector-harness.ts";
import { requestId } from "./emit.ts";
import { createFakeApi, createFakeSource, type FakeApi } from "./fake-source.ts";

const window = { from: "2026-11-01", to: "2026-11-07" };
let api: FakeApi;
let server: { url: string; stop(): Promise<void> };
let clock: TestClock;
let harness: ConnectorHarness;

beforeAll(async () => {
	api = createFakeApi({ pages: 2, rowsPerPage: 400 });
	server = await serveSimulator(api.app);
	clock = createTestClock();
	harness = await createConnectorHarness({ clock, maxInlineBytes: 8 * 1024 });
});
afterAll(async () => {
	await harness.close();
	await server.stop();
});

test("request_id hashes connection, stream, account, window, page key and body", () => {
	const page = { stream: "items", account: "a1", pageKey: "page:0" };
	const id = requestId("c1", page, window, "ab");
	expect(id).toMatch(/^[0-9a-f]{64}$/);
	expect(requestId("c1", page, window, "ab")).toBe(id);
	for (const other of [
		requestId("c2", page, window, "ab"),
		requestId("c1", { ...page, stream: "x" }, window, "ab"),
		requestId("c1", { ...page, account: "a2" }, window, "ab"),
		requestId("c1", { ...page, pageKey: "page:1" }, window, "ab"),
		requestId("c1", page, { ...window, to: "2026-11-08" }, "ab"),
		requestId("c1", page, window, "ac"),
	]) {
		expect(other).not.toBe(id);
	}
});

test("a page over the inline limit goes to the object store; the envelope carries the pointer", async () => {
	const connection = testConnection({
		source: "ttd",
		orgId: "org-big",
		baseUrls: { api: server.url },
		accounts: ["a1"],
	});
	const run = await harness.run(createFakeSource(), connection, window);
	expect(run.envelopes).toHaveLength(2);
	const envelope = run.envelopes[0];
	const body = envelope?.body;
	if (body?.kind !== "object") throw new Error(`expected an object pointer, got ${body?.kind}`);
	expect(body.key).toBe(`raw/org-big/${connection.id}/items/${envelope?.request_id}`);
	expect(body.size_bytes).toBe(Buffer.byteLength(run.pages[0]?.body ?? ""));
	expect(body.sha256).toBe(new Bun.CryptoHasher("sha256").update(run.pages[0]?.body ?? "").digest("hex"));
	expect(body.content_type).toBe("application/json");
});

test("the pointed-to object holds the page untouched", async () => {
	const connection = testConnection({
		source: "ttd",
		orgId: "org-big",
		id: "conn-obj",
		baseUrls: { api: server.url },
		accounts: ["a1"],
	});
	const run = await harness.run(createFakeSource(), connection, window);
	const body = run.envelopes[1]?.body;
	if (body?.kind !== "object") throw new Error("expected an object pointer");
	expect(new TextDecoder().decode(await harness.objectStore.getBytes(body.key))).toBe(run.pages[1]?.body ?? "");
});
