import { afterAll, beforeAll, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { createDatabase, migrateToLatest } from "../../lib/db/index.ts";
import type { ConnectorTables } from "../../lib/db/migrations/0002-connectors.ts";
import type { Database } from "../../lib/db/port.ts";
import { ConfigError } from "../../lib/errors.ts";
import { createLogger } from "../../lib/runtime/logger.ts";
import { testNamespace } from "../../test/support/namespace.ts";
import { connectionsOf, parsePacerConfig } from "./config.ts";
import { createConnectionStore } from "./connection-store.ts";
import { decodeSecretKey, decryptJson, encryptJson, resolveSecretKey } from "./secrets.ts";

const ns = testNamespace("connector-config");
let database: Database<ConnectorTables>;
beforeAll(async () => {
	database = await createDatabase<ConnectorTables>({ sqlitePath: `${ns.dir}/app.sqlite` });
	await migrateToLatest(database);
});
afterAll(async () => {
	await database.close();
	ns.cleanup();
});

const valid = {
	orgs: [
		{
			id: "acme",
			name: "Acme",
			currency: "EUR",
			timezone: "Europe/Paris",
			apiKeys: ["0123456789abcdef0123"],
			connections: [
				{
					id: "acme-meta",
					source: "meta",
					accounts: ["123"],
					credentials: { accessToken: "EAAB-very-secret-token" },
					schedule: "0 * * * *",
				},
				{
					id: "acme-crm",
					source: "sheets",
					spreadsheetId: "sheet1",
					ranges: { clients: "Clients!A:Z" },
					baseUrls: { api: "http://127.0.0.1:1/sheets" },
				},
			],
		},
	],
};

test("a valid config becomes connections with defaults (lookback, time zone, sheets settings)", () => {
	const [meta, crm] = connectionsOf(parsePacerConfig(valid));
	expect(meta).toMatchObject({
		id: "acme-meta",
		orgId: "acme",
		lookbackDays: 28,
		timezone: "Europe/Paris",
		schedule: "0 * * * *",
	});
	expect(crm).toMatchObject({
		lookbackDays: 0,
		accounts: ["sheet1"],
		settings: { spreadsheetId: "sheet1", tabs: { clients: "Clients!A:Z" } },
		schedule: null,
	});
});

test("config errors name every failing path at once", () => {
	const bad = structuredClone(valid) as { orgs: Record<string, unknown>[] };
	const org = bad.orgs[0] as { timezone: string; currency: string; connections: Record<string, unknown>[] };
	org.timezone = "Mars/Olympus";
	org.currency = "euro";
	(org.connections[0] as Record<string, unknown>).source = "tiktok";
	(org.connections[1] as Record<string, unknown>).id = "acme-meta";
	let error: unknown;
	try {
		parsePacerConfig(bad);
	} catch (e) {
		error = e;
	}
	expect(error).toBeInstanceOf(ConfigError);
	const problems = (error as ConfigError).problems.join("\n");
	expect(problems).toContain("orgs.0.timezone: not an IANA time zone");
	expect(problems).toContain("orgs.0.currency");
	expect(problems).toContain("orgs.0.connections.0.source");
	expect(() => parsePacerConfig({ orgs: [] })).toThrow(ConfigError);
});

test("credentials are encrypted at rest and decrypted back; the row never holds the secret", async () => {
	const key = decodeSecretKey(Buffer.alloc(32, 7).toString("base64"));
	const store = createConnectionStore(database, key);
	const connections = connectionsOf(parsePacerConfig(valid));
	await store.save(connections, new Date("2026-11-28T00:00:00Z"));
	const rows = await database.db.selectFrom("connections").selectAll().execute();
	expect(rows).toHaveLength(2);
	for (const row of rows) {
		expect(JSON.stringify(row)).not.toContain("EAAB-very-secret-token");
		expect(row.credentials_encrypted.startsWith("v1:")).toBe(true);
	}
	expect((await store.get("acme-meta"))?.credentials).toEqual({ accessToken: "EAAB-very-secret-token" });
	const wrongKey = createConnectionStore(database, new Uint8Array(32));
	await expect(wrongKey.get("acme-meta")).rejects.toThrow("cannot decrypt");
});

test("AES-GCM detects tampering; a generated key file is kept with mode 0600", () => {
	const key = resolveSecretKey({ dataDir: `${ns.dir}/data`, logger: createLogger({ write: () => {} }) });
	expect(statSync(`${ns.dir}/data/secret.key`).mode & 0o777).toBe(0o600);
	expect(resolveSecretKey({ dataDir: `${ns.dir}/data`, logger: createLogger({ write: () => {} }) })).toEqual(key);
	const sealed = encryptJson({ a: 1 }, key);
	expect(decryptJson(sealed, key)).toEqual({ a: 1 });
	const raw = Buffer.from(sealed.slice(3), "base64");
	raw[20] = (raw[20] ?? 0) ^ 1;
	expect(() => decryptJson(`v1:${raw.toString("base64")}`, key)).toThrow("cannot decrypt");
	expect(() => decodeSecretKey("c2hvcnQ=")).toThrow(ConfigError);
});
