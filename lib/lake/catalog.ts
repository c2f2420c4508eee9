/**
 * The SQL catalog: the tables pyiceberg's SqlCatalog and Java's JdbcCatalog
 * use (`iceberg_tables`, `iceberg_namespace_properties`), on kysely over
 * SQLite or PostgreSQL. A table's row is the source of truth for its current
 * metadata file; a commit is a compare-and-swap on `metadata_location`.
 */
import type { Kysely, Migration } from "kysely";
import type { Database } from "../db/index.ts";
import { migrate } from "../db/index.ts";
import { AdapterError, NotFoundError, PacerError } from "../errors.ts";

export interface IcebergTablesTable {
	catalog_name: string;
	table_namespace: string;
	table_name: string;
	metadata_location: string | null;
	previous_metadata_location: string | null;
	iceberg_type: string | null;
}

export interface IcebergNamespacePropertiesTable {
	catalog_name: string;
	namespace: string;
	property_key: string;
	property_value: string;
}

export interface CatalogTables {
	iceberg_tables: IcebergTablesTable;
	iceberg_namespace_properties: IcebergNamespacePropertiesTable;
}

/** Ledger of the catalog's own migrations, apart from the application's. */
export const CATALOG_MIGRATION_LEDGER = "pacer_lake_migration";

export const catalogMigrations: Record<string, Migration> = {
	"0001_iceberg_catalog": {
		async up(db: Kysely<unknown>) {
			// Column sizes as JdbcUtil.java declares them, so a JdbcCatalog or pyiceberg opens this database as is.
			await db.schema
				.createTable("iceberg_tables")
				.ifNotExists()
				.addColumn("catalog_name", "varchar(255)", (c) => c.notNull())
				.addColumn("table_namespace", "varchar(255)", (c) => c.notNull())
				.addColumn("table_name", "varchar(255)", (c) => c.notNull())
				.addColumn("metadata_location", "varchar(1000)")
				.addColumn("previous_metadata_location", "varchar(1000)")
				.addColumn("iceberg_type", "varchar(5)")
				.addPrimaryKeyConstraint("iceberg_tables_pk", ["catalog_name", "table_namespace", "table_name"])
				.execute();
			await db.schema
				.createTable("iceberg_namespace_properties")
				.ifNotExists()
				.addColumn("catalog_name", "varchar(255)", (c) => c.notNull())
				.addColumn("namespace", "varchar(255)", (c) => c.notNull())
				.addColumn("property_key", "varchar(255)", (c) => c.notNull())
				.addColumn("property_value", "varchar(1000)", (c) => c.notNull())
				.addPrimaryKeyConstraint("iceberg_namespace_properties_pk", ["catalog_name", "namespace", "property_key"])
				.execute();
		},
	},
};

/** Applies the catalog migrations (ledger `pacer_lake_migration`). */
export async function migrateCatalog<T>(database: Database<T>): Promise<void> {
	await migrate(database, catalogMigrations, { ledger: CATALOG_MIGRATION_LEDGER });
}

export interface TableIdent {
	namespace: string;
	name: string;
}

/** A commit lost the compare-and-swap: another writer moved the table first. Retriable. */
export class CommitConflictError extends PacerError {
	constructor(message: string, context: Record<string, unknown>) {
		super(message, { retriable: true, context });
	}
}

export interface Catalog {
	readonly name: string;
	/** Current metadata location; NotFoundError when the table is not registered. */
	load(table: TableIdent): Promise<string>;
	exists(table: TableIdent): Promise<boolean>;
	/** Registers a new table; false when it already exists. */
	create(table: TableIdent, metadataLocation: string): Promise<boolean>;
	/** Moves the table from `expected` to `next`; false when it no longer points at `expected`. */
	swap(table: TableIdent, expected: string, next: string): Promise<boolean>;
	list(namespace: string): Promise<string[]>;
}

export function createSqlCatalog(database: Database<CatalogTables>, catalogName = "pacer"): Catalog {
	const db = database.db;
	const where = (table: TableIdent) =>
		db
			.selectFrom("iceberg_tables")
			.select(["metadata_location"])
			.where("catalog_name", "=", catalogName)
			.where("table_namespace", "=", table.namespace)
			.where("table_name", "=", table.name);
	const guard = async <T>(operation: string, table: TableIdent, work: () => Promise<T>): Promise<T> => {
		try {
			return await work();
		} catch (error) {
			if (error instanceof PacerError) throw error;
			throw new AdapterError(`Catalog ${operation} of ${table.namespace}.${table.name} failed: ${String(error)}`, {
				cause: error,
				retriable: true,
				context: { catalog: catalogName, ...table, operation },
			});
		}
	};
	return {
		name: catalogName,
		load: (table) =>
			guard("load", table, async () => {
				const row = await where(table).executeTakeFirst();
				if (!row?.metadata_location) {
					throw new NotFoundError(`No lake table ${table.namespace}.${table.name}`, { context: { ...table } });
				}
				return row.metadata_location;
			}),
		exists: (table) => guard("exists", table, async () => (await where(table).executeTakeFirst()) !== undefined),
		create: (table, metadataLocation) =>
			guard("create", table, async () => {
				await db
					.insertInto("iceberg_namespace_properties")
					.values({
						catalog_name: catalogName,
						namespace: table.namespace,
						property_key: "exists",
						property_value: "true",
					})
					.onConflict((c) => c.doNothing())
					.execute();
				const result = await db
					.insertInto("iceberg_tables")
					.values({
						catalog_name: catalogName,
						table_namespace: table.namespace,
						table_name: table.name,
						metadata_location: metadataLocation,
						previous_metadata_location: null,
						iceberg_type: "TABLE",
					})
					.onConflict((c) => c.doNothing())
					.executeTakeFirst();
				return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
			}),
		swap: (table, expected, next) =>
			guard("swap", table, async () => {
				const result = await db
					.updateTable("iceberg_tables")
					.set({ metadata_location: next, previous_metadata_location: expected })
					.where("catalog_name", "=", catalogName)
					.where("table_namespace", "=", table.namespace)
					.where("table_name", "=", table.name)
					.where("metadata_location", "=", expected)
					.executeTakeFirst();
				return Number(result.numUpdatedRows) === 1;
			}),
		list: (namespace) =>
			guard("list", { namespace, name: "*" }, async () =>
				(
					await db
						.selectFrom("iceberg_tables")
						.select("table_name")
						.where("catalog_name", "=", catalogName)
						.where("table_namespace", "=", namespace)
						.orderBy("table_name")
						.execute()
				).map((r) => r.table_name),
			),
	};
}
