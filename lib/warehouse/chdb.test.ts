import { createChdbWarehouse } from "./chdb.ts";
import { warehouseContract } from "./warehouse.contract.ts";

warehouseContract("chdb", async ({ dir, database }) => ({
	warehouse: await createChdbWarehouse({ path: dir, database }),
}));
