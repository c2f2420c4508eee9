/**
 * Table schemas: Iceberg primitive types, their DuckDB spelling, row
 * validation, and the allowed type promotions (spec §Schema Evolution).
 */
import { ValidationError } from "../errors.ts";
import type { IcebergSchema, PrimitiveType, SchemaField } from "./types.ts";

/** A column as callers declare it; ids are assigned by the lake. */
export interface ColumnSpec {
	name: string;
	type: PrimitiveType;
	/** Rows must carry a non-null value; default false. */
	required?: boolean;
	doc?: string;
}

const NAME = /^[a-z_][a-z0-9_]*$/;
const DECIMAL = /^decimal\((\d+),\s*(\d+)\)$/;
const SIMPLE = new Set(["boolean", "int", "long", "float", "double", "date", "timestamp", "timestamptz", "string"]);

export function parseDecimal(type: string): { precision: number; scale: number } | null {
	const match = DECIMAL.exec(type);
	return match ? { precision: Number(match[1]), scale: Number(match[2]) } : null;
}

export function assertColumnSpec(column: ColumnSpec): void {
	if (!NAME.test(column.name)) {
		throw new ValidationError(`Column name "${column.name}" must match ${NAME}`, { context: { column: column.name } });
	}
	const decimal = parseDecimal(column.type);
	const valid = SIMPLE.has(column.type) || (decimal && decimal.precision <= 38 && decimal.scale <= decimal.precision);
	if (!valid) {
		throw new ValidationError(`Column "${column.name}" has unsupported type ${column.type}`, {
			context: { column: column.name, type: column.type },
		});
	}
}

/** The DuckDB type a column is written as. */
export function duckdbType(type: PrimitiveType): string {
	const decimal = parseDecimal(type);
	if (decimal) return `DECIMAL(${decimal.precision},${decimal.scale})`;
	const map: Record<string, string> = {
		boolean: "BOOLEAN",
		int: "INTEGER",
		long: "BIGINT",
		float: "FLOAT",
		double: "DOUBLE",
		date: "DATE",
		timestamp: "TIMESTAMP",
		timestamptz: "TIMESTAMPTZ",
		string: "VARCHAR",
	};
	const out = map[type];
	if (!out) throw new ValidationError(`No DuckDB type for ${type}`);
	return out;
}

/** Whether a column of type `from` may be changed to `to` without rewriting data. */
export function canPromote(from: PrimitiveType, to: PrimitiveType): boolean {
	if (from === to) return true;
	if (from === "int" && to === "long") return true;
	if (from === "float" && to === "double") return true;
	const a = parseDecimal(from);
	const b = parseDecimal(to);
	return a !== null && b !== null && a.scale === b.scale && b.precision >= a.precision;
}

/** Whether DuckDB values of `source` (DESCRIBE's type) fit `target` without loss. */
export function duckdbFits(source: string, target: PrimitiveType): boolean {
	const s = source.toUpperCase();
	if (s === '"NULL"' || s === "NULL") return true;
	const decimal = parseDecimal(target);
	if (decimal) {
		const m = /^DECIMAL\((\d+),(\d+)\)$/.exec(s.replace(/\s/g, ""));
		if (m) return Number(m[2]) === decimal.scale && Number(m[1]) <= decimal.precision;
		const intDigits = decimal.precision - decimal.scale;
		return (
			(s === "INTEGER" && intDigits >= 10) ||
			(s === "BIGINT" && intDigits >= 19) ||
			(s === "SMALLINT" && intDigits >= 5)
		);
	}
	const ok: Record<string, string[]> = {
		boolean: ["BOOLEAN"],
		int: ["INTEGER", "SMALLINT", "TINYINT", "USMALLINT", "UTINYINT"],
		long: ["BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UINTEGER", "USMALLINT", "UTINYINT"],
		float: ["FLOAT"],
		double: ["DOUBLE", "FLOAT"],
		date: ["DATE"],
		timestamp: ["TIMESTAMP"],
		timestamptz: ["TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"],
		string: ["VARCHAR"],
	};
	return ok[target]?.includes(s) ?? false;
}

function columnError(field: SchemaField, row: number, reason: string, value?: unknown): ValidationError {
	return new ValidationError(`Column "${field.name}" (${field.type}) at row ${row}: ${reason}`, {
		context: { column: field.name, type: field.type, row, value },
	});
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DECIMAL_TEXT = /^-?\d+(\.\d+)?$/;

/** Checks one value against its field; returns the JSON-ready form or throws naming the column. */
function checkValue(field: SchemaField, value: unknown, row: number): unknown {
	if (value === null || value === undefined) {
		if (field.required) throw columnError(field, row, "null in a required column");
		return null;
	}
	const bad = (what: string) =>
		columnError(field, row, `expected ${what}, got ${typeof value} ${String(value).slice(0, 40)}`, value);
	const decimal = parseDecimal(field.type);
	if (decimal) {
		const text = typeof value === "number" || typeof value === "bigint" ? String(value) : value;
		if (typeof text !== "string" || !DECIMAL_TEXT.test(text)) throw bad("a decimal");
		const [whole = "", fraction = ""] = text.replace("-", "").split(".");
		if (fraction.length > decimal.scale || whole.replace(/^0+/, "").length > decimal.precision - decimal.scale) {
			throw columnError(field, row, `${text} does not fit ${field.type}`, value);
		}
		return text;
	}
	switch (field.type) {
		case "boolean":
			if (typeof value !== "boolean") throw bad("a boolean");
			return value;
		case "int":
			if (typeof value !== "number" || !Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31)
				throw bad("a 32-bit integer");
			return value;
		case "long":
			if (typeof value === "bigint" && value >= -(2n ** 63n) && value < 2n ** 63n) return value;
			if (typeof value !== "number" || !Number.isSafeInteger(value)) throw bad("an integer");
			return value;
		case "float":
		case "double":
			if (typeof value !== "number") throw bad("a number");
			return value;
		case "string":
			if (typeof value !== "string") throw bad("a string");
			return value;
		case "date":
			if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString().slice(0, 10);
			if (typeof value !== "string" || !DATE.test(value) || Number.isNaN(Date.parse(value)))
				throw bad("a YYYY-MM-DD date");
			return value;
		default: {
			// timestamp, timestamptz
			if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString();
			if (typeof value !== "string" || Number.isNaN(Date.parse(value))) throw bad("a Date or ISO-8601 timestamp");
			return value;
		}
	}
}

/**
 * Validates rows against the schema and returns them in JSON-ready form.
 * Throws a ValidationError naming the column (context.column) for a value of
 * the wrong type, a null in a required column, or a column not in the schema.
 */
export function validateRows(
	schema: IcebergSchema,
	rows: readonly Record<string, unknown>[],
): Record<string, unknown>[] {
	const known = new Set(schema.fields.map((f) => f.name));
	return rows.map((row, index) => {
		for (const name of Object.keys(row)) {
			if (!known.has(name)) {
				throw new ValidationError(`Column "${name}" at row ${index} is not in the table schema`, {
					context: { column: name, row: index },
				});
			}
		}
		const out: Record<string, unknown> = {};
		for (const field of schema.fields) out[field.name] = checkValue(field, row[field.name], index);
		return out;
	});
}

export function currentSchema(metadata: { schemas: IcebergSchema[]; "current-schema-id": number }): IcebergSchema {
	return schemaById(metadata, metadata["current-schema-id"]);
}

export function schemaById(metadata: { schemas: IcebergSchema[] }, id: number): IcebergSchema {
	const schema = metadata.schemas.find((s) => s["schema-id"] === id);
	if (!schema) throw new ValidationError(`Schema ${id} not found in table metadata`);
	return schema;
}

/** `schema.name-mapping.default`: lets readers map files written without ids by name. */
export function nameMapping(schema: IcebergSchema): string {
	return JSON.stringify(schema.fields.map((f) => ({ "field-id": f.id, names: [f.name] })));
}
