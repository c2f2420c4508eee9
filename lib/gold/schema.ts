/**
 * Silver tables as ClickHouse sees them: column types for the staging tables
 * a load fills, and for given/expect cases. Iceberg types map one to one.
 */
import type { ColumnSpec, TableDefinition } from "../lake/index.ts";
import { SILVER_TABLES } from "../pipeline/silver-tables.ts";

const BASE: Record<string, string> = {
	boolean: "Bool",
	int: "Int32",
	long: "Int64",
	float: "Float32",
	double: "Float64",
	date: "Date",
	timestamp: "DateTime64(6)",
	timestamptz: "DateTime64(6, 'UTC')",
	string: "String",
};

/** The ClickHouse type of a lake column (Nullable unless required). */
export function clickhouseType(column: ColumnSpec): string {
	const decimal = /^decimal\((\d+),\s*(\d+)\)$/.exec(column.type);
	const base = decimal ? `Decimal(${decimal[1]}, ${decimal[2]})` : BASE[column.type];
	if (!base) throw new Error(`no ClickHouse type for lake type ${column.type}`);
	return column.required ? base : `Nullable(${base})`;
}

/** Column name → ClickHouse type of a silver table. */
export function clickhouseColumns(definition: TableDefinition): Record<string, string> {
	return Object.fromEntries(definition.columns.map((c) => [c.name, clickhouseType(c)]));
}

/** The silver table definition by name (`delivery_daily` or `silver.delivery_daily`). */
export function silverTable(name: string): TableDefinition | undefined {
	const relation = name.replace(/^silver\./, "");
	return SILVER_TABLES.find((t) => t.name === relation);
}
