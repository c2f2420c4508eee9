/**
 * Other Iceberg readers pointed at our tables, for agreement tests:
 * ClickHouse's reader through chDB, and icebird with its fetches routed to the
 * ObjectStore under test.
 */
import type { ObjectStore } from "../../lib/objectstore/index.ts";

export interface ClickhouseIceberg {
	/** Runs a query; rows as JSONEachRow objects. */
	query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
	close(): Promise<void>;
}

/**
 * A chDB session for reading Iceberg tables. chDB (clickhouse-local) only
 * opens files under its user_files_path, which is the process's working
 * directory at query time and cannot be moved with connectionArgs (neither
 * `--user_files_path` nor a config file took effect in chdb 3.4.0 /
 * ClickHouse 26.7), so queries run with the working directory set to
 * `filesRoot` and restored after.
 */
export async function openClickhouseIceberg(sessionDir: string, filesRoot: string): Promise<ClickhouseIceberg> {
	const chdb = await import("chdb");
	await chdb.drainPending();
	const session = new chdb.Session(sessionDir);
	let tail: Promise<unknown> = Promise.resolve();
	return {
		query<T>(sql: string) {
			const run = tail.then(async () => {
				const previous = process.cwd();
				process.chdir(filesRoot);
				try {
					const result = await session.queryAsync(sql, { format: "JSONEachRow" });
					return result
						.text()
						.split("\n")
						.filter((line) => line.trim() !== "")
						.map((line) => JSON.parse(line) as T);
				} finally {
					process.chdir(previous);
				}
			});
			tail = run.catch(() => undefined);
			return run;
		},
		async close() {
			await tail;
			session.close();
			await chdb.drainPending();
		},
	};
}

/**
 * A fetch that serves `file:///…`, `s3://…` and icebird's
 * `https://<bucket>.s3.amazonaws.com/…` URLs from `store`, whose root is
 * `warehouseUri`. Whole objects only (status 200): hyparquet falls back to
 * slicing the full body when a server ignores Range.
 */
export function storeFetch(store: ObjectStore, warehouseUri: string): typeof fetch {
	const root = warehouseUri.replace(/\/+$/, "");
	const toKey = (url: string): string | null => {
		let uri = url;
		const aws = /^https:\/\/([^.]+)\.s3\.amazonaws\.com\/(.*)$/.exec(url);
		if (aws) uri = `s3://${aws[1]}/${decodeURI(aws[2] ?? "")}`;
		if (uri.startsWith("file://")) uri = decodeURI(uri);
		return uri.startsWith(`${root}/`) ? uri.slice(root.length + 1) : null;
	};
	const routed = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
		const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
		const key = toKey(url);
		if (key === null) return new Response("outside the store", { status: 404 });
		const info = await store.head(key);
		if (!info) return new Response("not found", { status: 404 });
		if ((init?.method ?? "GET").toUpperCase() === "HEAD") {
			return new Response(null, { status: 200, headers: { "content-length": String(info.size) } });
		}
		return new Response((await store.getBytes(key)) as Uint8Array<ArrayBuffer>, {
			status: 200,
			headers: { "content-length": String(info.size) },
		});
	};
	return routed as typeof fetch;
}

/** Runs `work` with the global fetch replaced by `routed`. */
export async function withFetch<T>(routed: typeof fetch, work: () => Promise<T>): Promise<T> {
	const original = globalThis.fetch;
	globalThis.fetch = routed;
	try {
		return await work();
	} finally {
		globalThis.fetch = original;
	}
}
