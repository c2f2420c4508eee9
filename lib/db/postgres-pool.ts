// The only module that imports pg; create.ts loads it on demand, so embedded
// runs never load the driver.
import { Kysely, PostgresDialect } from "kysely";
import { type CustomTypesConfig, Pool, types } from "pg";
import { AdapterError, ValidationError } from "../errors.ts";

export interface PostgresOptions {
	url: string;
	/** Schema for every connection (search_path); created if missing. Null: the server's default. */
	schema: string | null;
	/** Connections in the pool; default 10. */
	poolSize: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

// pg type ids (pg_type.oid) whose default parsers disagree with the port's value formats.
const TIMESTAMPTZ = 1184;
const TIMESTAMP = 1114;
const DATE = 1082;

/**
 * Opens a pool on `url` and checks that it connects (creating the schema on
 * the way). Connection failures are retriable AdapterErrors, so a worker that
 * starts before its database can wait for it.
 */
export async function openPostgres<Tables>(options: PostgresOptions): Promise<Kysely<Tables>> {
	const { schema } = options;
	if (schema !== null && !SCHEMA_NAME.test(schema)) {
		throw new ValidationError(`Invalid PostgreSQL schema name "${schema}": expected a lowercase SQL identifier`, {
			context: { schema },
		});
	}
	const settings = ["-c TimeZone=UTC", ...(schema ? [`-c search_path=${schema}`] : [])];
	const pool = new Pool({
		connectionString: options.url,
		max: options.poolSize,
		// Per connection, so every pooled connection sees the schema first and UTC times.
		options: settings.join(" "),
		types: portTypes,
	});
	// An idle client whose server goes away emits 'error' on the pool; unhandled,
	// that would end the process, while the next query reports the failure anyway.
	pool.on("error", () => {});
	try {
		if (schema) await createSchema(pool, schema);
		else await pool.query("select 1");
	} catch (error) {
		await pool.end().catch(() => {});
		if (error instanceof AdapterError) throw error;
		throw new AdapterError(`Cannot open PostgreSQL database: ${describe(error)}`, {
			retriable: isConnectionError(error),
			context: { url: redact(options.url), schema },
			cause: error,
		});
	}
	return new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
}

async function createSchema(pool: Pool, schema: string): Promise<void> {
	try {
		await pool.query(`create schema if not exists "${schema}"`);
	} catch (error) {
		// Two processes creating one schema at once: "if not exists" still races
		// on the catalog's unique index; the loser's schema exists all the same.
		const code = (error as { code?: string }).code;
		if (code !== "23505" && code !== "42P06") throw error;
	}
}

/** Timestamps as ISO strings (UTC, milliseconds) and dates as YYYY-MM-DD, the port's formats. */
const portTypes: CustomTypesConfig = {
	getTypeParser: ((oid: number, format?: "text" | "binary") => {
		if (format !== "binary") {
			if (oid === TIMESTAMPTZ) return isoFromPostgres;
			if (oid === TIMESTAMP) return (text: string) => isoFromPostgres(`${text}+00`);
			if (oid === DATE) return (text: string) => text;
		}
		return types.getTypeParser(oid, format);
	}) as CustomTypesConfig["getTypeParser"],
};

const PG_TIMESTAMP = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?([+-]\d\d)(?::(\d\d))?$/;

/** PostgreSQL's text timestamp ("2024-05-01 12:34:56.789+00") as toISOString() writes it. */
export function isoFromPostgres(text: string): string {
	const match = PG_TIMESTAMP.exec(text);
	// infinity, BC and five-digit years have no ISO string; pass them on as written.
	if (!match) return text;
	const [, day, time, fraction = "", hours = "+00", minutes = "00"] = match;
	const millis = fraction.padEnd(3, "0").slice(0, 3);
	// Sessions run in UTC (see openPostgres), so this is the usual case.
	if (hours === "+00" && minutes === "00") return `${day}T${time}.${millis}Z`;
	return new Date(`${day}T${time}.${millis}${hours}:${minutes}`).toISOString();
}

// Transient: the server is unreachable, starting up or shutting down (SQLSTATE
// class 08 and 57P0x), or the network failed; anything else needs a person.
function isConnectionError(error: unknown): boolean {
	const code = (error as { code?: unknown }).code;
	if (typeof code !== "string") return false;
	return code.startsWith("08") || code.startsWith("57P0") || /^E[A-Z]+$/.test(code);
}

function describe(error: unknown): string {
	return error instanceof Error ? error.message || error.name : String(error);
}

function redact(url: string): string {
	try {
		const parsed = new URL(url);
		if (parsed.password) parsed.password = "***";
		return parsed.toString();
	} catch {
		return "<unparsable url>";
	}
}
