import { clickhouseHttpForTests } from "../../test/support/clickhouse-http-endpoint.ts";
import { createClickhouseHttpWarehouse } from "../warehouse/clickhouse-http.ts";
import { goldSuite } from "./gold.suite.ts";

// CLICKHOUSE_URL points the suite at a real server; otherwise chDB serves
// ClickHouse's HTTP interface from test/support.
goldSuite(process.env.CLICKHOUSE_URL ? "clickhouse-http (CLICKHOUSE_URL)" : "clickhouse-http", async ({ database }) => {
	const endpoint = await clickhouseHttpForTests();
	return { warehouse: await createClickhouseHttpWarehouse({ url: endpoint.url, database }), stop: endpoint.stop };
});
