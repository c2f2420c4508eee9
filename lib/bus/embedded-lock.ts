import { linkSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { AdapterError } from "../errors.ts";
import { isProcessAlive } from "../runtime/process-alive.ts";

/** Directories locked by this process, so a second Bus in the same process is refused too. */
const heldHere = new Set<string>();

function readHolder(path: string): number | undefined {
	try {
		const pid = Number.parseInt(readFileSync(path, "utf8"), 10);
		return Number.isInteger(pid) && pid > 0 ? pid : undefined;
	} catch {
		return undefined;
	}
}

/**
 * Takes the exclusive lock on an embedded bus directory: a `LOCK` file holding
 * the owner's pid. A lock whose process is gone (a crash, SIGKILL) is taken
 * over. Node has no flock(), so two processes taking over the same stale lock
 * in the same instant could both succeed; starting two owners at once after a
 * crash is the one case this does not catch.
 */
export function acquireDirLock(dir: string): { release(): void } {
	const key = resolve(dir);
	const path = join(key, "LOCK");
	if (heldHere.has(key)) {
		throw new AdapterError(`embedded bus directory ${key} is already open in this process (pid ${process.pid})`, {
			context: { dir: key },
		});
	}
	// Written whole to a private file, then hard-linked into place: link() fails if LOCK exists,
	// and a reader never sees a LOCK without its pid.
	const candidate = join(key, `LOCK.${process.pid}.${Math.random().toString(36).slice(2)}`);
	writeFileSync(candidate, `${process.pid}\n`);
	try {
		for (let attempt = 0; attempt < 5; attempt++) {
			try {
				linkSync(candidate, path);
				heldHere.add(key);
				return { release: () => release(key, path) };
			} catch (error) {
				if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
			}
			const holder = readHolder(path);
			// Our own pid without our in-process mark is a predecessor that crashed (pid 1 in containers).
			if (holder !== undefined && holder !== process.pid && isProcessAlive(holder)) {
				throw new AdapterError(
					`embedded bus directory ${key} is locked by running process ${holder}; only one process may own an embedded log (stop it, or use the Kafka bus to share topics between processes)`,
					{ context: { dir: key, pid: holder } },
				);
			}
			rmSync(path, { force: true });
		}
		throw new AdapterError(`embedded bus directory ${key}: could not take the lock`, { context: { dir: key } });
	} finally {
		rmSync(candidate, { force: true });
	}
}

function release(key: string, path: string): void {
	if (!heldHere.delete(key)) return;
	if (readHolder(path) === process.pid) rmSync(path, { force: true });
}
