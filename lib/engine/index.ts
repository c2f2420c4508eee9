export { createDuckdbEngine, type DuckdbEngineOptions } from "./duckdb.ts";
export type { SqlValue, TransformEngine } from "./port.ts";
