import { expect } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import type { Bus } from "../../lib/bus/port.ts";
import { testNamespace } from "./namespace.ts";

/**
 * The SIGKILL crash scenario for any Bus adapter: a consumer process is
 * killed mid-run and restarted; every message must be processed at least
 * once, and the restart must resume from the first run's commits, not from
 * zero. lib/bus/crash.test.ts runs it for the embedded bus; kafka.test.ts
 * runs it against Kafka.
 */

export interface CrashHarness {
	/**
	 * A Bus for the test process over the same log or cluster as the child.
	 * The scenario closes it before starting a child (an embedded log has one
	 * owner) and opens another once the children are gone.
	 */
	open(): Promise<Bus>;
	/** Makes the child open the same bus: BUS_KIND=embedded and BUS_DIR, or BUS_KIND=kafka, KAFKA_BROKERS, BUS_TOPIC_PREFIX. */
	childEnv: Record<string, string>;
}

export interface CrashScenarioOptions {
	/** Messages produced. Default 2000. */
	messages?: number;
	/** Partitions of the topic. Default 3. */
	partitions?: number;
	/** The child's maxBatchSize. Default 10. */
	batchSize?: number;
	/** The child's pause per batch. Default 5 ms. */
	batchDelayMs?: number;
	/** Fail if more messages than this were processed twice (embedded: one batch). Default: only "fewer than the first run". */
	maxDuplicates?: number;
	/** Bound of each wait. Default 90000 ms. */
	timeoutMs?: number;
}

export interface CrashScenarioResult {
	messages: number;
	firstRunLines: number;
	secondRunLines: number;
	duplicates: number;
}

const consumerScript = join(import.meta.dir, "bus-crash-consumer.ts");
const repoRoot = join(import.meta.dir, "..", "..");
const ID = /^id-\d{6}$/;

function idsIn(path: string): string[] {
	if (!existsSync(path)) return [];
	// A line cut by the kill would not match and is ignored; fsync per batch makes that rare.
	return readFileSync(path, "utf8")
		.split("\n")
		.filter((line) => ID.test(line));
}

interface Child {
	process: Subprocess<"ignore", "ignore", "pipe">;
	stderr: Promise<string>;
}

function startChild(env: Record<string, string>): Child {
	const child = Bun.spawn([process.execPath, consumerScript], {
		cwd: repoRoot,
		env: { ...process.env, ...env },
		stdin: "ignore",
		stdout: "ignore",
		stderr: "pipe",
	});
	return { process: child, stderr: new Response(child.stderr).text() };
}

/** Polls until `check` holds; fails at once, with the child's stderr, if the child exits first. */
async function waitWhileRunning(child: Child, check: () => boolean, what: string, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!check()) {
		if (child.process.exitCode !== null || child.process.signalCode !== null) {
			throw new Error(
				`crash consumer exited (${child.process.exitCode ?? child.process.signalCode}) before ${what}:\n${await child.stderr}`,
			);
		}
		if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
		await Bun.sleep(10);
	}
}

export async function crashResumeScenario(
	harness: CrashHarness,
	options: CrashScenarioOptions = {},
): Promise<CrashScenarioResult> {
	const total = options.messages ?? 2000;
	const timeoutMs = options.timeoutMs ?? 90_000;
	const ns = testNamespace("bus-crash");
	const topic = `${ns.id}.crash`;
	const groupId = `${ns.id}.crash-consumer`;
	const output = join(ns.dir, "processed.txt");
	const ids = Array.from({ length: total }, (_, i) => `id-${String(i).padStart(6, "0")}`);
	const env = {
		...harness.childEnv,
		BUS_TOPIC: topic,
		BUS_GROUP: groupId,
		OUTPUT_FILE: output,
		BUS_BATCH_SIZE: String(options.batchSize ?? 10),
		BUS_BATCH_DELAY_MS: String(options.batchDelayMs ?? 5),
	};
	const children: Child[] = [];
	try {
		const producer = await harness.open();
		try {
			await producer.ensureTopics([{ name: topic, partitions: options.partitions ?? 3 }]);
			for (let i = 0; i < total; i += 500) {
				await producer.produce(
					topic,
					ids.slice(i, i + 500).map((id, j) => ({ key: `org-${(i + j) % 50}`, value: id })),
				);
			}
		} finally {
			await producer.close();
		}

		const first = startChild(env);
		children.push(first);
		const killAt = Math.max(50, Math.floor(total / 10));
		await waitWhileRunning(first, () => idsIn(output).length >= killAt, `${killAt} processed lines`, timeoutMs);
		first.process.kill("SIGKILL");
		await first.process.exited;
		const firstRunLines = idsIn(output).length;
		expect(new Set(idsIn(output)).size).toBeLessThan(total); // the kill landed mid-run

		const second = startChild(env);
		children.push(second);
		await waitWhileRunning(second, () => new Set(idsIn(output)).size === total, "every id processed", timeoutMs);
		second.process.kill("SIGTERM");
		expect(await second.process.exited).toBe(0);

		const lines = idsIn(output);
		expect([...new Set(lines)].sort()).toEqual(ids);
		const duplicates = lines.length - total;
		// Had the restart begun at offset 0, it would repeat every line of the first run.
		expect(duplicates).toBeLessThan(firstRunLines);
		if (options.maxDuplicates !== undefined) expect(duplicates).toBeLessThanOrEqual(options.maxDuplicates);

		const checker = await harness.open();
		try {
			const lag = await checker.lag(groupId, topic);
			expect(lag.reduce((sum, p) => sum + p.lag, 0)).toBe(0);
		} finally {
			await checker.close();
		}
		return { messages: total, firstRunLines, secondRunLines: lines.length - firstRunLines, duplicates };
	} finally {
		for (const child of children) {
			if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill("SIGKILL");
		}
		await Promise.all(children.map((child) => child.process.exited));
		ns.cleanup();
	}
}
