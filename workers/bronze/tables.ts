import { ValidationError } from "../../lib/errors.ts";
import type { Lake, LakeTable, TableDefinition } from "../../lib/lake/index.ts";
import { BRONZE_QUARANTINE, BRONZE_RAW_RECORDS } from "../../lib/pipeline/bronze-tables.ts";

async function openOrCreate(lake: Lake, definition: TableDefinition): Promise<LakeTable> {
	if ((await lake.listTables(definition.layer)).includes(definition.name)) {
		return lake.loadTable(definition.layer, definition.name);
	}
	try {
		return await lake.createTable(definition);
	} catch (error) {
		// Another bronze process created it first: use theirs.
		if (error instanceof ValidationError) return lake.loadTable(definition.layer, definition.name);
		throw error;
	}
}

/** Opens bronze.raw_records and bronze.quarantine, creating them on first start. */
export async function openBronzeTables(lake: Lake): Promise<{ raw: LakeTable; quarantine: LakeTable }> {
	return { raw: await openOrCreate(lake, BRONZE_RAW_RECORDS), quarantine: await openOrCreate(lake, BRONZE_QUARANTINE) };
}
