/**
 * The transform engine port (bronze and silver): DuckDB through its native
 * binding. SQL is DuckDB dialect; parameters are positional ($1, $2, ...).
 */
export type SqlValue = string | number | bigint | boolean | null;

export interface TransformEngine {
	/** Runs one or more statements that return nothing the caller needs. */
	run(sql: string, params?: SqlValue[]): Promise<void>;
	/** Runs a query and returns its rows as objects keyed by column name. */
	all<T = Record<string, unknown>>(sql: string, params?: SqlValue[]): Promise<T[]>;
	close(): Promise<void>;
}
