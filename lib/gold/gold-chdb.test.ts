import { join } from "node:path";
import { createChdbWarehouse } from "../warehouse/chdb.ts";
import { goldSuite } from "./gold.suite.ts";

goldSuite("chdb", async ({ dir, database }) => ({
	warehouse: await createChdbWarehouse({ path: join(dir, "chdb"), database }),
}));
