/**
 * Schema evolution without rewriting data: add an optional column, widen a
 * type (int→long, float→double, decimal precision). Each change is a new
 * schema with a new id; data files keep their field ids and are read with the
 * new schema (read.ts maps by id).
 */
import { ValidationError } from "../errors.ts";
import type { Loaded, Prepared } from "./commit.ts";
import { nextVersion } from "./metadata.ts";
import type { ColumnSpec } from "./schema.ts";
import { assertColumnSpec, canPromote, currentSchema, nameMapping } from "./schema.ts";
import type { IcebergSchema, PrimitiveType, SchemaField } from "./types.ts";

export type SchemaChange = { addColumn: ColumnSpec } | { widenColumn: { name: string; type: PrimitiveType } };

/** The next metadata with `change` applied, or null when the base already has it (a retried or repeated change). */
export function applySchemaChange(base: Loaded, change: SchemaChange, nowMs: number): Prepared | null {
	const schema = currentSchema(base.metadata);
	let fields: SchemaField[];
	let lastColumnId = base.metadata["last-column-id"];
	if ("addColumn" in change) {
		const column = change.addColumn;
		assertColumnSpec(column);
		const existing = schema.fields.find((f) => f.name === column.name);
		if (existing) {
			if (existing.type === column.type) return null;
			throw new ValidationError(`Column "${column.name}" already exists as ${existing.type}`, {
				context: { column: column.name },
			});
		}
		// A required column would make every existing file invalid.
		if (column.required) {
			throw new ValidationError(`Added column "${column.name}" must be optional`, { context: { column: column.name } });
		}
		lastColumnId += 1;
		const field: SchemaField = { id: lastColumnId, name: column.name, required: false, type: column.type };
		if (column.doc) field.doc = column.doc;
		fields = [...schema.fields, field];
	} else {
		const { name, type } = change.widenColumn;
		const existing = schema.fields.find((f) => f.name === name);
		if (!existing) throw new ValidationError(`No column "${name}" to widen`, { context: { column: name } });
		if (existing.type === type) return null;
		if (!canPromote(existing.type, type)) {
			throw new ValidationError(`Column "${name}" cannot change from ${existing.type} to ${type}`, {
				context: { column: name, from: existing.type, to: type },
			});
		}
		fields = schema.fields.map((f) => (f.name === name ? { ...f, type } : f));
	}
	const next = nextVersion(base.metadata, base.location, nowMs);
	const schemaId = Math.max(...next.schemas.map((s) => s["schema-id"])) + 1;
	const newSchema: IcebergSchema = { type: "struct", "schema-id": schemaId, fields };
	next.schemas.push(newSchema);
	next["current-schema-id"] = schemaId;
	next["last-column-id"] = lastColumnId;
	next.properties["schema.name-mapping.default"] = nameMapping(newSchema);
	return { metadata: next, attemptKeys: [] };
}
