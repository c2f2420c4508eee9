import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigError } from "../errors.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";

/** Everything a Pacer process is configured with. Built once by loadConfig(). */
export interface Config {
	/** HTTP port of the process (gateway, or a lone worker's health face). PORT, default 4000. */
	readonly port: number;
	/** Embedded data: bus log, lake, SQLite, chDB. PACER_DATA_DIR, default ./data. */
	readonly dataDir: string;
	/** JSON file of organisations and connections. PACER_CONFIG, default none. */
	readonly orgConfigPath: string | null;
	readonly logLevel: LogLevel;
	/**
	 * Key that encrypts connection credentials at rest (AES-256-GCM), base64 of
	 * 32 bytes. PACER_SECRET_KEY; unset = embedded runs generate one under the data dir.
	 */
	readonly secretKeyBase64: string | null;
	/** Grace period after SIGTERM before in-flight work is abandoned. PACER_SHUTDOWN_TIMEOUT_MS, default 8000. */
	readonly shutdownTimeoutMs: number;
	/**
	 * Memory ceiling of each pipeline worker's DuckDB (bronze, silver, gold), in DuckDB's notation; beyond it DuckDB
	 * spills to the worker's scratch directory. PACER_DUCKDB_MEMORY_LIMIT, default 512MB.
	 */
	readonly duckdbMemoryLimit: string;
	/**
	 * MiB that each pipeline worker's local copies of S3 data files (read by its DuckDB) may take; the least
	 * recently used go beyond it. PACER_LAKE_CACHE_MB, default 2048.
	 */
	readonly lakeCacheMb: number;
	readonly bus:
		| {
				readonly kind: "embedded";
				readonly dir: string;
				readonly partitions: number;
				/** Hours records are kept once every active reader has read them. PACER_BUS_RETENTION_HOURS, default 168. */
				readonly retentionHours: number;
		  }
		| {
				readonly kind: "kafka";
				readonly brokers: readonly string[];
				readonly clientId: string;
				readonly topicPrefix: string;
				readonly partitions: number;
		  };
	readonly objectStore:
		| { readonly kind: "local"; readonly root: string }
		| {
				readonly kind: "s3";
				readonly endpoint: string | null;
				readonly bucket: string;
				readonly prefix: string;
				readonly region: string;
				readonly credentials: {
					readonly accessKeyId: string;
					readonly secretAccessKey: string;
					readonly sessionToken?: string;
				} | null;
		  };
	readonly database:
		| { readonly kind: "sqlite"; readonly path: string }
		| {
				readonly kind: "postgres";
				readonly url: string;
				readonly schema: string | null;
		  };
	readonly warehouse:
		| {
				readonly kind: "chdb";
				readonly path: string;
				readonly database: string;
		  }
		| {
				readonly kind: "clickhouse";
				readonly url: string;
				readonly database: string;
				readonly username: string;
				readonly password: string;
		  };
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads and validates the whole configuration from `env` (normally
 * process.env, passed in by main.ts: nothing else reads the environment).
 * Every problem is collected, then thrown together as one ConfigError, so a
 * bad deployment is fixed in one round; the result is deeply frozen.
 */
export function loadConfig(env: Env, cwd: string = process.cwd()): Config {
	const problems: string[] = [];
	const r = createReader(env, problems);

	const port = r.integer("PORT", 4000, 0, 65535);
	const dataDir = resolve(cwd, r.string("PACER_DATA_DIR") ?? "./data");
	const orgConfigPath = r.string("PACER_CONFIG");
	if (orgConfigPath !== null) checkJsonFile("PACER_CONFIG", resolve(cwd, orgConfigPath), problems);
	const logLevel = r.oneOf("LOG_LEVEL", ["debug", "info", "warn", "error"] as const, "info");
	const secretKeyBase64 = r.string("PACER_SECRET_KEY");
	if (secretKeyBase64 !== null && Buffer.from(secretKeyBase64, "base64").length !== 32) {
		problems.push("PACER_SECRET_KEY: must be 32 random bytes in base64 (e.g. `openssl rand -base64 32`)");
	}
	const shutdownTimeoutMs = r.integer("PACER_SHUTDOWN_TIMEOUT_MS", 8000, 100, 9000);
	const partitions = r.integer("PACER_BUS_PARTITIONS", 3, 1, 1000);
	const retentionHours = r.integer("PACER_BUS_RETENTION_HOURS", 168, 1, 87_600);
	const duckdbMemoryLimit =
		r.matching("PACER_DUCKDB_MEMORY_LIMIT", /^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$/i, "a size like 512MB or 2GB") ??
		"512MB";
	const lakeCacheMb = r.integer("PACER_LAKE_CACHE_MB", 2048, 16, 1_048_576);

	const brokers = r.list("KAFKA_BROKERS");
	for (const broker of brokers ?? []) {
		if (!/^[A-Za-z0-9.-]+:\d{1,5}$/.test(broker) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(broker)) {
			problems.push(
				`KAFKA_BROKERS: "${broker}" is not host:port (expected a comma-separated list like "kafka-1:9092,kafka-2:9092")`,
			);
		}
	}
	const bus: Config["bus"] = brokers
		? {
				kind: "kafka",
				brokers,
				clientId: r.string("KAFKA_CLIENT_ID") ?? "pacer",
				topicPrefix: r.matching("KAFKA_TOPIC_PREFIX", /^[A-Za-z0-9._-]*$/, "letters, digits, '.', '_' or '-'") ?? "",
				partitions,
			}
		: { kind: "embedded", dir: resolve(dataDir, "bus"), partitions, retentionHours };

	const s3Endpoint = r.url("S3_ENDPOINT", ["http:", "https:"]);
	const s3Bucket = r.matching(
		"S3_BUCKET",
		/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
		"an S3 bucket name (3-63 lowercase letters, digits, '.', '-')",
	);
	const accessKeyId = r.string("AWS_ACCESS_KEY_ID");
	const secretAccessKey = r.string("AWS_SECRET_ACCESS_KEY");
	if ((accessKeyId === null) !== (secretAccessKey === null)) {
		problems.push("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: set both or neither");
	}
	if (s3Bucket === null && (s3Endpoint !== null || env.S3_PREFIX)) {
		problems.push("S3_BUCKET: required when S3_ENDPOINT or S3_PREFIX is set");
	}
	const sessionToken = r.string("AWS_SESSION_TOKEN");
	const objectStore: Config["objectStore"] = s3Bucket
		? {
				kind: "s3",
				endpoint: s3Endpoint,
				bucket: s3Bucket,
				prefix: normalisePrefix(r.string("S3_PREFIX") ?? ""),
				region: r.string("AWS_REGION") ?? r.string("AWS_DEFAULT_REGION") ?? "us-east-1",
				credentials:
					accessKeyId && secretAccessKey
						? {
								accessKeyId,
								secretAccessKey,
								...(sessionToken ? { sessionToken } : {}),
							}
						: null,
			}
		: { kind: "local", root: resolve(dataDir, "objects") };

	const databaseUrl = r.url("DATABASE_URL", ["postgres:", "postgresql:"]);
	const database: Config["database"] = databaseUrl
		? {
				kind: "postgres",
				url: databaseUrl,
				schema: r.matching("DATABASE_SCHEMA", /^[a-z_][a-z0-9_]{0,62}$/, "a lowercase SQL identifier"),
			}
		: { kind: "sqlite", path: resolve(dataDir, "pacer.sqlite") };

	const clickhouseUrl = r.url("CLICKHOUSE_URL", ["http:", "https:"]);
	const clickhouseDatabase =
		r.matching("CLICKHOUSE_DATABASE", /^[A-Za-z_][A-Za-z0-9_]{0,62}$/, "a ClickHouse identifier") ?? "pacer";
	const warehouse: Config["warehouse"] = clickhouseUrl
		? {
				kind: "clickhouse",
				url: clickhouseUrl,
				database: clickhouseDatabase,
				username: r.string("CLICKHOUSE_USER") ?? "default",
				password: r.string("CLICKHOUSE_PASSWORD") ?? "",
			}
		: {
				kind: "chdb",
				path: resolve(dataDir, "chdb"),
				database: clickhouseDatabase,
			};

	if (problems.length > 0) throw new ConfigError(problems);
	return deepFreeze({
		port,
		dataDir,
		orgConfigPath: orgConfigPath === null ? null : resolve(cwd, orgConfigPath),
		logLevel,
		secretKeyBase64,
		shutdownTimeoutMs,
		duckdbMemoryLimit,
		lakeCacheMb,
		bus,
		objectStore,
		database,
		warehouse,
	});
}

function createReader(env: Env, problems: string[]) {
	const string = (name: string): string | null => {
		const value = env[name]?.trim();
		return value ? value : null;
	};
	return {
		string,
		integer(name: string, fallback: number, min: number, max: number): number {
			const raw = string(name);
			if (raw === null) return fallback;
			const value = Number(raw);
			if (!/^\d+$/.test(raw) || value < min || value > max) {
				problems.push(`${name}: "${raw}" is not an integer from ${min} to ${max}`);
				return fallback;
			}
			return value;
		},
		oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
			const raw = string(name);
			if (raw === null) return fallback;
			if (!(allowed as readonly string[]).includes(raw)) {
				problems.push(`${name}: "${raw}" is not one of ${allowed.join(", ")}`);
				return fallback;
			}
			return raw as T;
		},
		list(name: string): string[] | null {
			const raw = string(name);
			if (raw === null) return null;
			const items = raw
				.split(",")
				.map((s) => s.trim())
				.filter(Boolean);
			if (items.length === 0) problems.push(`${name}: empty list`);
			return items;
		},
		url(name: string, protocols: string[]): string | null {
			const raw = string(name);
			if (raw === null) return null;
			try {
				const url = new URL(raw);
				if (!protocols.includes(url.protocol)) {
					problems.push(`${name}: "${redact(raw)}" must be a ${protocols.map((p) => `${p}//`).join(" or ")} URL`);
				}
			} catch {
				problems.push(`${name}: "${redact(raw)}" is not a URL`);
			}
			return raw;
		},
		matching(name: string, pattern: RegExp, expected: string): string | null {
			const raw = string(name);
			if (raw !== null && !pattern.test(raw)) problems.push(`${name}: "${raw}" is not ${expected}`);
			return raw;
		},
	};
}

function checkJsonFile(name: string, path: string, problems: string[]): void {
	if (!existsSync(path)) {
		problems.push(`${name}: file ${path} does not exist`);
		return;
	}
	try {
		JSON.parse(readFileSync(path, "utf8"));
	} catch (error) {
		problems.push(`${name}: file ${path} is not valid JSON (${(error as Error).message})`);
	}
}

/** Passwords in URLs never reach logs or error messages. */
export function redact(url: string): string {
	return url.replace(/\/\/([^:/@]+):([^@]*)@/, "//$1:***@");
}

function normalisePrefix(prefix: string): string {
	const trimmed = prefix.replace(/^\/+|\/+$/g, "");
	return trimmed ? `${trimmed}/` : "";
}

function deepFreeze<T>(value: T): T {
	if (value && typeof value === "object") {
		for (const child of Object.values(value)) deepFreeze(child);
		Object.freeze(value);
	}
	return value;
}
