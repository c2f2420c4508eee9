/**
 * The Warehouse port (gold layer): ClickHouse through chDB in process or a
 * ClickHouse server over HTTP. Every call carries a query id, supplied or
 * generated, so a slow or failed query can be found in system.query_log.
 */

export interface WarehouseCallOptions {
	queryId?: string;
	/** ClickHouse query parameters, referenced in SQL as {name:Type}. */
	params?: Record<string, unknown>;
	signal?: AbortSignal;
}

export interface WarehouseResult<T> {
	queryId: string;
	rows: T[];
}

export interface Warehouse {
	/** The database every unqualified name resolves to. */
	readonly database: string;
	/** DDL or a statement with no result rows. */
	command(sql: string, options?: WarehouseCallOptions): Promise<{ queryId: string }>;
	/** A SELECT; rows come back as objects keyed by column name (JSONEachRow). */
	query<T = Record<string, unknown>>(sql: string, options?: WarehouseCallOptions): Promise<WarehouseResult<T>>;
	/** Inserts rows (objects keyed by column name) into `table`. */
	insert(
		table: string,
		rows: readonly Record<string, unknown>[],
		options?: WarehouseCallOptions,
	): Promise<{ queryId: string }>;
	close(): Promise<void>;
}
