import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";

/**
 * librdkafka's mock cluster (Debian librdkafka-dev) as a Kafka-protocol
 * broker for tests: scripts/kafka-mock/kafka-mock.c, built on first use into
 * scripts/bin/ (gitignored). The process exits when its stdin closes, so a
 * test runner that dies takes its mock with it.
 */

const root = join(import.meta.dir, "..", "..");
const source = join(root, "scripts", "kafka-mock", "kafka-mock.c");
const buildScript = join(root, "scripts", "kafka-mock", "build.sh");
const binary = join(root, "scripts", "bin", "kafka-mock");

export interface KafkaMock {
	/** Bootstrap servers, "127.0.0.1:port". */
	brokers: string[];
	/**
	 * Creates a topic through the mock's own API; the mock lacks Kafka's
	 * CreateTopics. An existing topic is left as it is. Fits
	 * createKafkaBus's `createTopicOutOfBand`.
	 */
	createTopic(name: string, partitions: number): Promise<void>;
	/** Closes stdin and waits for a clean exit (SIGKILL after 10 s). */
	stop(): Promise<void>;
}

/** Why the mock cannot run here, or null when it can (built, or cc and librdkafka headers present). */
export function kafkaMockUnavailableReason(): string | null {
	if (isBuilt()) return null;
	if (!Bun.which("cc")) return "no C compiler (cc) to build the Kafka mock";
	if (!librdkafkaHeadersPresent()) return "librdkafka headers missing (apt-get install librdkafka-dev)";
	return null;
}

/** Builds the mock if needed, starts it with `brokerCount` brokers (default 3) and waits for its bootstrap line. */
export async function startKafkaMock({ brokerCount = 3 } = {}): Promise<KafkaMock> {
	ensureBuilt();
	const child = Bun.spawn([binary, String(brokerCount)], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
	let stderr = "";
	void new Response(child.stderr).text().then((text) => {
		stderr = text;
	});
	const lines = readLines(child.stdout);
	let timer: ReturnType<typeof setTimeout> | undefined;
	const first = await Promise.race([
		lines.next(),
		new Promise<IteratorReturnResult<undefined>>((resolve) => {
			timer = setTimeout(() => resolve({ done: true, value: undefined }), 10_000);
		}),
	]);
	clearTimeout(timer);
	if (first.done || !first.value) {
		child.kill("SIGKILL");
		await child.exited;
		throw new Error(`kafka mock did not start (exit ${child.exitCode}): ${stderr}`);
	}
	const brokers = first.value.split(",").filter(Boolean);

	// Commands are answered one line each, in order.
	let queue = Promise.resolve();
	const command = (line: string): Promise<string> => {
		const answer = queue.then(async () => {
			child.stdin.write(`${line}\n`);
			await child.stdin.flush();
			const next = await lines.next();
			if (next.done) throw new Error(`kafka mock exited: ${stderr}`);
			return next.value;
		});
		queue = answer.then(
			() => {},
			() => {},
		);
		return answer;
	};

	let stopped: Promise<void> | undefined;
	return {
		brokers,
		async createTopic(name, partitions) {
			const answer = await command(`topic ${name} ${partitions}`);
			if (answer !== "ok" && answer !== "exists") throw new Error(`kafka mock: topic ${name}: ${answer}`);
		},
		stop() {
			stopped ??= (async () => {
				await child.stdin.end();
				const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
				await child.exited;
				clearTimeout(timer);
			})();
			return stopped;
		},
	};
}

function isBuilt(): boolean {
	if (!existsSync(binary)) return false;
	const built = statSync(binary).mtimeMs;
	return built >= statSync(source).mtimeMs && built >= statSync(buildScript).mtimeMs;
}

function ensureBuilt(): void {
	if (isBuilt()) return;
	const result = spawnSync("sh", [buildScript], { encoding: "utf8" });
	if (result.status !== 0) {
		throw new Error(`building the kafka mock failed (${buildScript}):\n${result.stderr}${result.stdout}`);
	}
}

function librdkafkaHeadersPresent(): boolean {
	const pkg = spawnSync("pkg-config", ["--variable=includedir", "rdkafka"], { encoding: "utf8" });
	const dirs = [pkg.status === 0 ? pkg.stdout.trim() : "", "/usr/include", "/usr/local/include"];
	return dirs.some((dir) => dir !== "" && existsSync(join(dir, "librdkafka", "rdkafka_mock.h")));
}

async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
	const decoder = new TextDecoder();
	let buffered = "";
	for await (const chunk of stream) {
		buffered += decoder.decode(chunk, { stream: true });
		let newline = buffered.indexOf("\n");
		while (newline >= 0) {
			yield buffered.slice(0, newline);
			buffered = buffered.slice(newline + 1);
			newline = buffered.indexOf("\n");
		}
	}
}
