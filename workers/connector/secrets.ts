import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, ValidationError } from "../../lib/errors.ts";
import type { Logger } from "../../lib/runtime/logger.ts";

const PREFIX = "v1:";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Decodes a 32-byte AES-256 key from base64; ConfigError otherwise. */
export function decodeSecretKey(base64: string): Uint8Array {
	const key = Buffer.from(base64.trim(), "base64");
	if (key.length !== 32)
		throw new ConfigError([`PACER_SECRET_KEY: must be 32 bytes of base64, got ${key.length} bytes`]);
	return new Uint8Array(key);
}

/**
 * The credentials key: `PACER_SECRET_KEY` when given; otherwise (embedded
 * defaults) the one kept in `<dataDir>/secret.key`, generated on first use
 * with mode 0600. Losing that file makes stored credentials unreadable; they
 * are re-stored from PACER_CONFIG on the next start.
 */
export function resolveSecretKey(options: {
	secretKeyBase64?: string | null;
	dataDir: string;
	logger: Logger;
}): Uint8Array {
	if (options.secretKeyBase64) return decodeSecretKey(options.secretKeyBase64);
	const path = join(options.dataDir, "secret.key");
	if (existsSync(path)) return decodeSecretKey(readFileSync(path, "utf8"));
	mkdirSync(options.dataDir, { recursive: true });
	writeFileSync(path, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600 });
	chmodSync(path, 0o600);
	options.logger.warn("PACER_SECRET_KEY not set: generated a credentials key for embedded use", { path, mode: "0600" });
	return decodeSecretKey(readFileSync(path, "utf8"));
}

/** AES-256-GCM: "v1:" + base64(iv ‖ ciphertext ‖ tag) of the JSON of `value`. */
export function encryptJson(value: unknown, key: Uint8Array): string {
	const iv = randomBytes(IV_BYTES);
	const cipher = createCipheriv("aes-256-gcm", key, iv);
	const body = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
	return PREFIX + Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64");
}

/** Reverses encryptJson; ValidationError (never the plaintext) when the key is wrong or the data altered. */
export function decryptJson<T = unknown>(sealed: string, key: Uint8Array): T {
	if (!sealed.startsWith(PREFIX)) throw new ValidationError("encrypted credentials: unknown format");
	const raw = Buffer.from(sealed.slice(PREFIX.length), "base64");
	if (raw.length < IV_BYTES + TAG_BYTES) throw new ValidationError("encrypted credentials: truncated");
	try {
		const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, IV_BYTES));
		decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
		const plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
		return JSON.parse(plain.toString("utf8")) as T;
	} catch {
		throw new ValidationError("encrypted credentials: cannot decrypt (wrong PACER_SECRET_KEY or altered data)");
	}
}
