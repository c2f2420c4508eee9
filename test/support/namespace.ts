import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A fresh namespace for one test run: a short random token usable as topic
 * prefix, S3 prefix, database or schema name, and a private temp directory.
 * Runs never collide, even in parallel on one machine.
 */
export function testNamespace(label: string): { id: string; dir: string; cleanup(): void } {
	const token = `${label.replace(/[^a-z0-9]/gi, "_").toLowerCase()}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
	const dir = mkdtempSync(join(tmpdir(), `pacer-${label}-`));
	return {
		id: token,
		dir,
		cleanup: () => rmSync(dir, { recursive: true, force: true }),
	};
}

/** Polls `check` until it returns a truthy value; throws after `timeoutMs`. Never a blind sleep. */
export async function waitFor<T>(
	check: () => T | Promise<T>,
	{ timeoutMs = 20_000, intervalMs = 20, what = "condition" } = {},
): Promise<NonNullable<T>> {
	const deadline = Date.now() + timeoutMs;
	let last: unknown;
	while (Date.now() < deadline) {
		try {
			const value = await check();
			if (value) return value as NonNullable<T>;
		} catch (error) {
			last = error;
		}
		await Bun.sleep(intervalMs);
	}
	throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}
