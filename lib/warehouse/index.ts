// Importing this index does not load chDB: chdb.ts imports it on first use.
export { type ChdbWarehouseOptions, createChdbWarehouse } from "./chdb.ts";
export { type ClickhouseHttpWarehouseOptions, createClickhouseHttpWarehouse } from "./clickhouse-http.ts";
export type { Warehouse, WarehouseCallOptions, WarehouseResult } from "./port.ts";
