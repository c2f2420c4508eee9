import { Hono } from "hono";
import type { AuthProvider, Classification, HttpResponse, Quota, Source } from "./source.ts";

/**
 * A tiny API and its Source, for the framework's own tests and the bench:
 * `GET /items/:account?page=N` pages through `pages` pages of `rowsPerPage`
 * JSON rows; `POST /token` hands out bearer tokens. Faults are scripted per
 * request through `faults.script(...)`: the next matching requests get the
 * given responses instead of the real one.
 */
export interface FakeApi {
	app: Hono;
	faults: {
		/** The next `responses.length` item requests (any account) answer these instead. */
		script(...responses: { status: number; body?: string; headers?: Record<string, string> }[]): void;
		/** Invalidates the current token: the next request gets 401 until a new token is fetched. */
		expireToken(): void;
		/** Every request the API saw, in order. */
		readonly seen: { path: string; auth: string | null }[];
	};
	/** Pages served per account (change to restate). */
	config: { pages: number; rowsPerPage: number; version: number };
}

export function createFakeApi(options: { pages?: number; rowsPerPage?: number } = {}): FakeApi {
	const config = { pages: options.pages ?? 3, rowsPerPage: options.rowsPerPage ?? 2, version: 1 };
	const scripted: { status: number; body?: string; headers?: Record<string, string> }[] = [];
	const seen: { path: string; auth: string | null }[] = [];
	let tokenSerial = 0;
	let valid = "";
	const app = new Hono();
	app.post("/token", (c) => {
		tokenSerial += 1;
		valid = `tok-${tokenSerial}`;
		return c.json({ access_token: valid, expires_in: 3600 });
	});
	app.get("/items/:account", (c) => {
		const auth = c.req.header("authorization") ?? null;
		seen.push({ path: c.req.path, auth });
		const fault = scripted.shift();
		if (fault) return c.body(fault.body ?? "", fault.status as 200, fault.headers ?? {});
		if (auth !== `Bearer ${valid}` || !valid) return c.json({ error: "invalid token" }, 401);
		const page = Number(c.req.query("page") ?? "0");
		const rows = Array.from({ length: config.rowsPerPage }, (_, i) => ({
			account: c.req.param("account"),
			row: page * config.rowsPerPage + i,
			spend: (page * 7 + i) * config.version,
		}));
		return c.json({ rows, next: page + 1 < config.pages ? page + 1 : null });
	});
	return {
		app,
		config,
		faults: {
			script: (...responses) => scripted.push(...responses),
			expireToken: () => {
				valid = "";
			},
			seen,
		},
	};
}

/** The Source over the fake API: one stream "items" per account, paged to the end. */
export function createFakeSource(options: { quotas?: Record<string, Quota> } = {}): Source {
	return {
		name: "ttd",
		quotas: options.quotas ?? {},
		defaultLookbackDays: 7,
		createAuth(connection, deps): AuthProvider {
			let token: string | null = null;
			const refresh = async () => {
				const response = await deps.fetch(`${connection.baseUrls.api}/token`, { method: "POST" });
				token = ((await response.json()) as { access_token: string }).access_token;
			};
			return {
				async headers() {
					if (!token) await refresh();
					return { authorization: `Bearer ${token}` };
				},
				refresh,
			};
		},
		classify(response: HttpResponse): Classification {
			if (response.status === 200) return { kind: "ok" };
			if (response.status === 401) return { kind: "auth", reason: "401 unauthorised" };
			if (response.status === 429) {
				const after = response.headers.get("retry-after");
				return { kind: "throttled", reason: "429", waitMs: after ? Number(after) * 1000 : null };
			}
			if (response.status >= 500) return { kind: "transient", reason: `HTTP ${response.status}` };
			return { kind: "fatal", reason: `HTTP ${response.status}: ${response.text.slice(0, 200)}` };
		},
		async run(context) {
			let rows = 0;
			let pages = 0;
			let rejected = 0;
			for (const account of context.connection.accounts) {
				for (let page: number | null = 0; page !== null; ) {
					const url = `${context.connection.baseUrls.api}/items/${account}?page=${page}`;
					const response = await context.http.request({ method: "GET", url, bucket: `fake:${account}`, account });
					const raw = {
						stream: "items",
						account,
						pageKey: `page:${page}`,
						page,
						contentType: "application/json",
						body: response.text,
						request: { method: "GET", url },
					};
					let parsed: { rows: unknown[]; next: number | null };
					try {
						parsed = JSON.parse(response.text);
						if (!Array.isArray(parsed.rows)) throw new Error("missing rows");
					} catch (error) {
						rejected += 1;
						await context.reject(raw, `malformed page: ${(error as Error).message}`);
						page = null;
						continue;
					}
					await context.emit(raw);
					pages += 1;
					rows += parsed.rows.length;
					page = parsed.next;
				}
			}
			return { pages, rows, rejected };
		},
	};
}
