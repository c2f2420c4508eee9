/**
 * TEST SUPPORT, NOT A PRODUCT COMPONENT. It stands in for a ClickHouse server
 * in tests, because no current ClickHouse server is packaged for this machine
 * (Debian ships 18.16): chDB behind the part of ClickHouse's HTTP interface
 * that @clickhouse/client uses, so the HTTP warehouse adapter is tested
 * against a real engine through real HTTP.
 *
 * Speaks: GET /ping; GET or POST / with the SQL in `query` and/or the body
 * (joined by a newline, as ClickHouse does), `query_id`, `database`,
 * `param_<name>` (ClickHouse's escaped text form), `default_format` and any
 * other parameter as a setting; INSERT ... FORMAT <fmt> with the data in the
 * body; gzip request bodies; gzip responses when enable_http_compression=1.
 * Answers X-ClickHouse-Query-Id, -Format and -Summary; errors are HTTP 500,
 * `Code: N. DB::Exception: ...` and X-ClickHouse-Exception-Code. Not spoken:
 * sessions, multipart parameters, authentication (any user is accepted).
 * Settings persist in its single chDB session once set.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { type ChdbInsertOptions, openChdbEngine } from "../../lib/warehouse/chdb.ts";
import { clickhouseCodeOf } from "../../lib/warehouse/clickhouse-common.ts";

export interface ClickhouseHttpEndpoint {
	url: string;
	stop(): Promise<void>;
}

// URL parameters that are part of the HTTP protocol rather than settings.
const PROTOCOL_PARAMS = new Set([
	"query",
	"query_id",
	"database",
	"default_format",
	"user",
	"password",
	"role",
	"session_id",
	"session_timeout",
	"session_check",
	"compress",
	"decompress",
	"enable_http_compression",
	"wait_end_of_query",
	"buffer_size",
]);
const INSERT_WITH_DATA = /^\s*INSERT\s+INTO\s+([A-Za-z0-9_.]+)\s*(?:\(([^)]*)\))?\s*FORMAT\s+(\w+)\s*$/i;
const RAW_INSERT_FORMATS = new Set(["JSONEachRow", "JSONCompactEachRow", "CSV", "CSVWithNames", "TSV", "TSVWithNames"]);
const TRAILING_FORMAT = /\bFORMAT\s+([A-Za-z]\w*)\s*;?\s*$/i;
const PLACEHOLDER = /\{\s*([A-Za-z_]\w*)\s*:\s*([^{}]+?)\s*\}/g;

class HttpError extends Error {
	constructor(
		readonly code: number,
		readonly type: string,
		message: string,
	) {
		super(message);
	}
}

// chDB's binder writes a tuple for an object of a class named TupleParam, as
// it does for @clickhouse/client's own.
class TupleParam {
	constructor(readonly values: unknown[]) {}
}

const ESCAPES: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", "0": "\0", a: "\x07", v: "\v" };

/** Undoes ClickHouse's escaped text form (`\\` `\'` `\t` ...) of a scalar parameter. */
function unescapeText(raw: string): string {
	return raw.replace(/\\(.)/gs, (_, c: string) => ESCAPES[c] ?? c);
}

/** Parses an Array/Tuple/Map parameter literal (`['a\'b',NULL]`) into the JS values chDB's binder takes. */
function parseComposite(text: string): unknown {
	let i = 0;
	const fail = (): never => {
		throw new HttpError(26, "CANNOT_PARSE_QUOTED_STRING", `Cannot parse parameter value ${JSON.stringify(text)}`);
	};
	const eat = (c: string): boolean => {
		if (text[i] !== c) return false;
		i++;
		return true;
	};
	const items = <T>(close: string, item: () => T): T[] => {
		const out: T[] = [];
		if (eat(close)) return out;
		do out.push(item());
		while (eat(","));
		if (!eat(close)) fail();
		return out;
	};
	const quoted = (): string => {
		let out = "";
		for (;;) {
			const c = text[i++] ?? fail();
			if (c === "'") return out;
			if (c !== "\\") out += c;
			else {
				const escaped = text[i++] ?? fail();
				out += ESCAPES[escaped] ?? escaped;
			}
		}
	};
	const value = (): unknown => {
		if (eat("[")) return items("]", value);
		if (eat("(")) return new TupleParam(items(")", value));
		if (eat("{")) return new Map(items("}", () => [value(), eat(":") ? value() : fail()] as const));
		if (eat("'")) return quoted();
		const token = /^[^,\])}:]+/.exec(text.slice(i))?.[0] ?? fail();
		i += token.length;
		if (/^null$/i.test(token)) return null;
		if (/^(true|false)$/i.test(token)) return token.toLowerCase() === "true";
		if (/^[-+]?\d+$/.test(token)) return BigInt(token);
		const n = Number(token);
		return Number.isFinite(n) ? n : fail();
	};
	const parsed = value();
	if (i !== text.length) fail();
	return parsed;
}

/** `param_<name>` texts to values for chDB's binder, by the type each has in the SQL. */
function bindParams(sql: string, raw: Map<string, string>): Record<string, unknown> | undefined {
	if (raw.size === 0) return undefined;
	const types = new Map<string, string>();
	for (const [, name, type] of sql.matchAll(PLACEHOLDER)) types.set(name as string, type as string);
	const params: Record<string, unknown> = {};
	for (const [name, text] of raw) {
		const base = (types.get(name) ?? "String").replace(/^(?:(?:Nullable|LowCardinality)\s*\(\s*)+/, "");
		if (text === "\\N") params[name] = null;
		else if (/^(Array|Tuple|Map)\s*\(/.test(base)) params[name] = parseComposite(text);
		else params[name] = unescapeText(text);
	}
	return params;
}

/** Starts the stand-in on 127.0.0.1 (a free port) over a chDB session in `dataDir` (default: a temp dir it removes). */
export async function startClickhouseHttpEndpoint(options: { dataDir?: string } = {}): Promise<ClickhouseHttpEndpoint> {
	const ownDir = options.dataDir === undefined ? mkdtempSync(join(tmpdir(), "pacer-ch-endpoint-")) : undefined;
	const engine = await openChdbEngine({ path: options.dataDir ?? (ownDir as string) });

	async function handle(request: Request, queryId: string, headers: Headers): Promise<string> {
		const url = new URL(request.url);
		const search = url.searchParams;
		const database = search.get("database") ?? "default";
		const params = new Map<string, string>();
		const settings: Record<string, string> = {};
		for (const [key, value] of search) {
			if (key.startsWith("param_")) params.set(key.slice("param_".length), value);
			else if (!PROTOCOL_PARAMS.has(key)) settings[key] = value;
		}
		let body = new Uint8Array(await request.arrayBuffer());
		const encoding = request.headers.get("content-encoding");
		if (encoding === "gzip") body = new Uint8Array(gunzipSync(body));
		else if (encoding) throw new HttpError(48, "NOT_IMPLEMENTED", `Content-Encoding ${encoding} is not supported here`);
		const queryParam = search.get("query") ?? "";

		const insert = body.length > 0 ? INSERT_WITH_DATA.exec(queryParam) : null;
		if (insert) {
			const [, table = "", columns, format = ""] = insert;
			if (!RAW_INSERT_FORMATS.has(format)) throw new HttpError(48, "NOT_IMPLEMENTED", `INSERT format ${format}`);
			const summary = await engine.insertRaw(table.includes(".") ? table : `${database}.${table}`, body, {
				queryId,
				format: format as ChdbInsertOptions["format"],
				columns: columns?.split(",").map((c) => c.trim()),
				settings,
			});
			headers.set(
				"X-ClickHouse-Summary",
				summaryJson({ written_rows: summary.rowsWritten, written_bytes: summary.bytesWritten }),
			);
			return "";
		}
		const sql = [queryParam, new TextDecoder().decode(body)].filter((part) => part.length > 0).join("\n");
		if (sql.trim() === "") throw new HttpError(62, "SYNTAX_ERROR", "Empty query");
		const format = TRAILING_FORMAT.exec(sql)?.[1] ?? search.get("default_format") ?? "TabSeparated";
		const result = await engine.execute(sql, { queryId, format, database, params: bindParams(sql, params), settings });
		headers.set("X-ClickHouse-Format", format);
		headers.set(
			"Content-Type",
			format.startsWith("JSON") ? "application/json; charset=UTF-8" : "text/plain; charset=UTF-8",
		);
		headers.set("X-ClickHouse-Summary", summaryJson({ read_rows: result.rowsRead, read_bytes: result.bytesRead }));
		return result.text;
	}

	const server = Bun.serve({
		hostname: "127.0.0.1",
		port: 0,
		async fetch(request) {
			const url = new URL(request.url);
			if (url.pathname === "/ping") return new Response("Ok.\n");
			const queryId = url.searchParams.get("query_id") || randomUUID();
			const headers = new Headers({ "X-ClickHouse-Query-Id": queryId, "X-ClickHouse-Timezone": "UTC" });
			try {
				const text = await handle(request, queryId, headers);
				const gzip =
					url.searchParams.get("enable_http_compression") === "1" &&
					(request.headers.get("accept-encoding") ?? "").includes("gzip");
				if (!gzip) return new Response(text, { headers });
				headers.set("Content-Encoding", "gzip");
				return new Response(gzipSync(text), { headers });
			} catch (error) {
				const code = error instanceof HttpError ? error.code : (clickhouseCodeOf(error) ?? 1001);
				const message = error instanceof Error ? error.message : String(error);
				const text = /Code: \d+/.test(message)
					? message
					: `Code: ${code}. DB::Exception: ${message}. (${error instanceof HttpError ? error.type : "STD_EXCEPTION"})`;
				headers.set("X-ClickHouse-Exception-Code", String(code));
				headers.set("Content-Type", "text/plain; charset=UTF-8");
				return new Response(`${text}\n`, { status: 500, headers });
			}
		},
	});

	return {
		url: `http://127.0.0.1:${server.port}`,
		async stop() {
			await server.stop(true);
			await engine.close();
			if (ownDir) rmSync(ownDir, { recursive: true, force: true });
		},
	};
}

function summaryJson(
	counts: Partial<Record<"read_rows" | "read_bytes" | "written_rows" | "written_bytes", number>>,
): string {
	const fields = ["read_rows", "read_bytes", "written_rows", "written_bytes"] as const;
	const summary: Record<string, string> = {
		total_rows_to_read: "0",
		result_rows: "0",
		result_bytes: "0",
		elapsed_ns: "0",
	};
	for (const field of fields) summary[field] = String(counts[field] ?? 0);
	return JSON.stringify(summary);
}

/** The ClickHouse HTTP URL tests should use: CLICKHOUSE_URL when set (a real server), else a fresh stand-in. */
export async function clickhouseHttpForTests(): Promise<ClickhouseHttpEndpoint> {
	const external = process.env.CLICKHOUSE_URL;
	if (external) return { url: external, stop: async () => {} };
	return startClickhouseHttpEndpoint();
}
