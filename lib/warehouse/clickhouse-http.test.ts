import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { gunzipSync } from "node:zlib";
import {
	type ClickhouseHttpEndpoint,
	clickhouseHttpForTests,
	startClickhouseHttpEndpoint,
} from "../../test/support/clickhouse-http-endpoint.ts";
import { AdapterError } from "../errors.ts";
import { createClickhouseHttpWarehouse } from "./clickhouse-http.ts";
import { warehouseContract } from "./warehouse.contract.ts";

// CLICKHOUSE_URL points the contract at a real server; otherwise chDB serves
// ClickHouse's HTTP interface from test/support.
const target = process.env.CLICKHOUSE_URL ? "CLICKHOUSE_URL" : "chDB endpoint";
warehouseContract(`clickhouse-http (${target})`, async ({ database }) => {
	const endpoint = await clickhouseHttpForTests();
	return { warehouse: await createClickhouseHttpWarehouse({ url: endpoint.url, database }), stop: endpoint.stop };
});

describe("clickhouse-http adapter without a server", () => {
	test("a refused connection is a retriable AdapterError without a ClickHouse code", async () => {
		// Nothing listens on loopback port 9 (discard), so the connect is refused at once.
		const error = await createClickhouseHttpWarehouse({ url: "http://127.0.0.1:9", database: "x" }).then(
			() => null,
			(e: unknown) => e,
		);
		expect(error).toBeInstanceOf(AdapterError);
		expect((error as AdapterError).retriable).toBe(true);
		expect((error as AdapterError).context.code).toBeUndefined();
	});
});

// The stand-in itself, spoken to with plain fetch as a ClickHouse server would be.
describe("chDB HTTP endpoint (test support)", () => {
	let endpoint: ClickhouseHttpEndpoint;
	beforeAll(async () => {
		endpoint = await startClickhouseHttpEndpoint();
	});
	afterAll(async () => {
		await endpoint?.stop();
	});

	test("GET /ping answers Ok.", async () => {
		const response = await fetch(`${endpoint.url}/ping`);
		expect(response.status).toBe(200);
		expect(await response.text()).toBe("Ok.\n");
	});

	test("a query answers with its rows and the X-ClickHouse headers", async () => {
		const url = `${endpoint.url}/?query_id=q-1&param_n=41`;
		const response = await fetch(url, { method: "POST", body: "SELECT {n:UInt8} + 1 AS v FORMAT JSONEachRow" });
		expect(response.status).toBe(200);
		expect(await response.text()).toBe('{"v":42}\n');
		expect(response.headers.get("x-clickhouse-query-id")).toBe("q-1");
		expect(response.headers.get("x-clickhouse-format")).toBe("JSONEachRow");
		expect(JSON.parse(response.headers.get("x-clickhouse-summary") ?? "{}")).toMatchObject({ read_rows: "1" });
	});

	test("an error is HTTP 500 with ClickHouse's message and code header", async () => {
		const response = await fetch(`${endpoint.url}/?query_id=q-2`, { method: "POST", body: "SELECT * FROM nowhere" });
		expect(response.status).toBe(500);
		expect(response.headers.get("x-clickhouse-exception-code")).toBe("60");
		expect(response.headers.get("x-clickhouse-query-id")).toBe("q-2");
		expect(await response.text()).toMatch(/^Code: 60\. DB::Exception: .*\(UNKNOWN_TABLE\)/);
	});

	test("gzips the response when asked with enable_http_compression=1", async () => {
		const response = await fetch(`${endpoint.url}/?enable_http_compression=1&query=SELECT%20'hi'`, {
			headers: { "Accept-Encoding": "gzip" },
			decompress: false,
		});
		expect(response.headers.get("content-encoding")).toBe("gzip");
		expect(gunzipSync(new Uint8Array(await response.arrayBuffer())).toString()).toBe("hi\n");
	});
});
