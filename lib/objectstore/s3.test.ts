import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { testNamespace } from "../../test/support/namespace.ts";
import { type S3TestStore, s3rverMissingReason, startS3rver } from "../../test/support/s3rver.ts";
import { describeWithService } from "../../test/support/services.ts";
import { AdapterError, ValidationError } from "../errors.ts";
import { objectstoreContract } from "./objectstore.contract.ts";
import type { ObjectStore } from "./port.ts";
import { createS3ObjectStore, type S3ObjectStoreOptions } from "./s3.ts";

const MIB = 1024 * 1024;

async function keysOf(store: ObjectStore, prefix: string): Promise<string[]> {
	const keys: string[] = [];
	for await (const info of store.list(prefix)) keys.push(info.key);
	return keys;
}

async function failureOf(promise: Promise<unknown>): Promise<AdapterError> {
	const error = await promise.then(
		() => new Error("expected a failure"),
		(e: unknown) => e,
	);
	expect(error).toBeInstanceOf(AdapterError);
	return error as AdapterError;
}

/** A stand-in server that answers every request with one S3 error, counting the attempts. */
function errorServer(status: number, code: string) {
	let hits = 0;
	const server = Bun.serve({
		hostname: "127.0.0.1",
		port: 0,
		fetch() {
			hits++;
			const xml = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>stand-in</Message></Error>`;
			return new Response(xml, { status, headers: { "content-type": "application/xml" } });
		},
	});
	return { endpoint: `http://127.0.0.1:${server.port}`, hits: () => hits, stop: () => server.stop(true) };
}

describeWithService("S3 object store against s3rver", s3rverMissingReason(), () => {
	const namespace = testNamespace("objectstore_s3");
	let server: S3TestStore;
	let stores = 0;

	function makeStore(extra: Partial<S3ObjectStoreOptions> = {}): ObjectStore {
		return createS3ObjectStore({
			endpoint: server.endpoint,
			bucket: server.bucket,
			credentials: server.credentials,
			prefix: `${namespace.id}/store-${++stores}`,
			partSizeBytes: 5 * MIB, // S3's minimum, so the contract's 12 MiB body goes up in 3 parts
			listPageSize: 10, // so the contract's 25-key listings span several pages
			...extra,
		});
	}

	beforeAll(async () => {
		server = await startS3rver();
	}, 30_000); // node and s3rver start in ~0.5 s alone
	afterAll(async () => {
		await server?.stop();
		namespace.cleanup();
	});

	objectstoreContract("s3 (s3rver)", async () => {
		const store = makeStore();
		return {
			store,
			// Matters when S3_ENDPOINT points at a real store; s3rver's directory goes anyway.
			cleanup: async () => {
				for (const key of await keysOf(store, "")) await store.delete(key);
				await store.close();
			},
		};
	});

	describe("s3 adapter specifics", () => {
		test("keys live under the store's prefix and come back without it", async () => {
			const parent = makeStore({ prefix: `${namespace.id}/nest` });
			const child = makeStore({ prefix: `${namespace.id}/nest/child/` });
			await child.put("k.txt", "x");
			expect(await keysOf(child, "")).toEqual(["k.txt"]);
			expect(await keysOf(parent, "")).toEqual(["child/k.txt"]);
			expect((await parent.head("child/k.txt"))?.size).toBe(1);
			await parent.delete("child/k.txt");
			expect(await child.head("k.txt")).toBeNull();
			await Promise.all([parent.close(), child.close()]);
		});

		test("a missing bucket is a non-retriable AdapterError naming bucket, key and operation", async () => {
			const store = makeStore({ bucket: `no-such-bucket-${Date.now()}` });
			const error = await failureOf(store.getBytes("a/b"));
			expect(error.retriable).toBe(false);
			expect(error.context).toMatchObject({ key: "a/b", operation: "getBytes", code: "NoSuchBucket" });
			expect(String(error.context.bucket)).toStartWith("no-such-bucket-");
			await store.close();
		});

		test("an unreachable endpoint is a retriable AdapterError", async () => {
			const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
			const port = listener.port;
			listener.stop(true); // nothing listens there now
			const store = makeStore({
				endpoint: `http://127.0.0.1:${port}`,
				credentials: { accessKeyId: "x", secretAccessKey: "y" },
			});
			const error = await failureOf(store.put("a", "x"));
			expect(error.retriable).toBe(true);
			expect(error.context).toMatchObject({ operation: "put", code: "ECONNREFUSED" });
			await store.close();
		});

		test("5xx and throttling are retriable after the SDK's own 3 attempts; 403 is not", async () => {
			for (const [status, code, retriable, attempts] of [
				[500, "InternalError", true, 3],
				[503, "SlowDown", true, 3],
				[403, "AccessDenied", false, 1],
			] as const) {
				const stub = errorServer(status, code);
				const store = makeStore({ endpoint: stub.endpoint, credentials: { accessKeyId: "x", secretAccessKey: "y" } });
				try {
					const error = await failureOf(store.getBytes("k"));
					expect([code, error.retriable, stub.hits()]).toEqual([code, retriable, attempts]);
					expect(error.context).toMatchObject({ code, status, key: "k" });
				} finally {
					await store.close();
					stub.stop();
				}
			}
		}, 30_000); // the SDK's backoff between attempts takes ~1-2 s

		test("options are checked when the store is made", () => {
			expect(() => makeStore({ partSizeBytes: MIB })).toThrow(ValidationError);
			expect(() => makeStore({ listPageSize: 0 })).toThrow(ValidationError);
			expect(() => makeStore({ prefix: "../up" })).toThrow(ValidationError);
			expect(() => makeStore({ bucket: "" })).toThrow(ValidationError);
		});
	});
});
