import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../errors.ts";
import { loadConfig } from "./load-config.ts";

describe("loadConfig", () => {
	test("an empty environment gives the embedded defaults under ./data", () => {
		const config = loadConfig({}, "/srv/pacer");
		expect(config.port).toBe(4000);
		expect(config.dataDir).toBe("/srv/pacer/data");
		expect(config.bus).toEqual({
			kind: "embedded",
			dir: "/srv/pacer/data/bus",
			partitions: 3,
			retentionHours: 168,
		});
		expect(config.objectStore).toEqual({
			kind: "local",
			root: "/srv/pacer/data/objects",
		});
		expect(config.database).toEqual({
			kind: "sqlite",
			path: "/srv/pacer/data/pacer.sqlite",
		});
		expect(config.warehouse).toEqual({
			kind: "chdb",
			path: "/srv/pacer/data/chdb",
			database: "pacer",
		});
		expect(config.shutdownTimeoutMs).toBe(8000);
		expect(config.duckdbMemoryLimit).toBe("512MB");
		expect(config.lakeCacheMb).toBe(2048);
	});

	test("distributed settings pick the distributed adapters", () => {
		const config = loadConfig({
			PORT: "8081",
			KAFKA_BROKERS: "kafka-1:9092, kafka-2:9092",
			KAFKA_TOPIC_PREFIX: "prod.",
			S3_ENDPOINT: "http://minio:9000",
			S3_BUCKET: "pacer-lake",
			S3_PREFIX: "/warehouse/",
			AWS_ACCESS_KEY_ID: "id",
			AWS_SECRET_ACCESS_KEY: "secret",
			DATABASE_URL: "postgres://pacer:pw@db:5432/pacer",
			CLICKHOUSE_URL: "https://ch:8443",
			CLICKHOUSE_DATABASE: "gold",
		});
		expect(config.port).toBe(8081);
		expect(config.bus).toEqual({
			kind: "kafka",
			brokers: ["kafka-1:9092", "kafka-2:9092"],
			clientId: "pacer",
			topicPrefix: "prod.",
			partitions: 3,
		});
		expect(config.objectStore).toMatchObject({
			kind: "s3",
			bucket: "pacer-lake",
			prefix: "warehouse/",
			region: "us-east-1",
		});
		expect(config.database).toEqual({
			kind: "postgres",
			url: "postgres://pacer:pw@db:5432/pacer",
			schema: null,
		});
		expect(config.warehouse).toMatchObject({
			kind: "clickhouse",
			url: "https://ch:8443",
			database: "gold",
		});
	});

	test("every problem is reported at once, naming the variable and what is expected", () => {
		let error: unknown;
		try {
			loadConfig({
				PORT: "eighty",
				KAFKA_BROKERS: "kafka-1",
				S3_ENDPOINT: "ftp://x",
				DATABASE_URL: "mysql://db/pacer",
				CLICKHOUSE_URL: "not a url",
				LOG_LEVEL: "loud",
				AWS_ACCESS_KEY_ID: "only-one",
				PACER_DUCKDB_MEMORY_LIMIT: "lots",
				PACER_LAKE_CACHE_MB: "1",
				PACER_BUS_RETENTION_HOURS: "0",
			});
		} catch (e) {
			error = e;
		}
		expect(error).toBeInstanceOf(ConfigError);
		const problems = (error as ConfigError).problems;
		const named = problems.map((p) => p.split(":")[0]);
		expect(named).toEqual(
			expect.arrayContaining([
				"PORT",
				"KAFKA_BROKERS",
				"S3_ENDPOINT",
				"DATABASE_URL",
				"CLICKHOUSE_URL",
				"LOG_LEVEL",
				"S3_BUCKET",
				"PACER_DUCKDB_MEMORY_LIMIT",
				"PACER_LAKE_CACHE_MB",
				"PACER_BUS_RETENTION_HOURS",
			]),
		);
		expect(problems.find((p) => p.startsWith("PORT"))).toContain("integer from 0 to 65535");
		expect(problems.find((p) => p.startsWith("DATABASE_URL"))).toContain("postgres://");
		expect(problems.some((p) => p.includes("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"))).toBe(true);
		expect((error as Error).message).toContain("Invalid configuration");
	});

	test("PACER_SECRET_KEY must be 32 bytes of base64, and is never echoed", () => {
		const key = Buffer.alloc(32, 7).toString("base64");
		expect(loadConfig({ PACER_SECRET_KEY: key }).secretKeyBase64).toBe(key);
		expect(loadConfig({}).secretKeyBase64).toBeNull();
		expect(() => loadConfig({ PACER_SECRET_KEY: "c2hvcnQ=" })).toThrow(/PACER_SECRET_KEY: must be 32 random bytes/);
		expect(() => loadConfig({ PACER_SECRET_KEY: "c2hvcnQ=" })).not.toThrow(/c2hvcnQ=/);
	});

	test("passwords in URLs are not echoed in errors", () => {
		expect(() => loadConfig({ DATABASE_URL: "mysql://u:hunter2@db/x" })).toThrow(/u:\*\*\*@/);
		expect(() => loadConfig({ DATABASE_URL: "mysql://u:hunter2@db/x" })).not.toThrow(/hunter2/);
	});

	test("PACER_CONFIG must name a readable JSON file", () => {
		const dir = mkdtempSync(join(tmpdir(), "pacer-config-"));
		const good = join(dir, "orgs.json");
		const bad = join(dir, "bad.json");
		writeFileSync(good, JSON.stringify({ organisations: [] }));
		writeFileSync(bad, "{ nope");
		expect(loadConfig({ PACER_CONFIG: good }).orgConfigPath).toBe(good);
		expect(() => loadConfig({ PACER_CONFIG: bad })).toThrow(/PACER_CONFIG: .* is not valid JSON/);
		expect(() => loadConfig({ PACER_CONFIG: join(dir, "missing.json") })).toThrow(/does not exist/);
	});

	test("the result is frozen all the way down", () => {
		const config = loadConfig({});
		expect(Object.isFrozen(config)).toBe(true);
		expect(Object.isFrozen(config.bus)).toBe(true);
		expect(() => {
			(config as { port: number }).port = 1;
		}).toThrow();
	});
});
