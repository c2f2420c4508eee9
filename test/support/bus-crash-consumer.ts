/**
 * Child process of the bus crash test (test/support/bus-crash-scenario.ts):
 * consumes BUS_TOPIC in group BUS_GROUP and appends each message's value (its
 * id) to OUTPUT_FILE, fsynced, before the handler resolves, so every line is
 * a message that was processed whether or not its offset got committed.
 * Slow on purpose (BUS_BATCH_SIZE messages per batch, BUS_BATCH_DELAY_MS per
 * batch) so that a SIGKILL lands mid-run. SIGTERM stops cleanly.
 *
 * The bus comes from the environment: BUS_KIND=embedded with BUS_DIR, or
 * BUS_KIND=kafka with KAFKA_BROKERS (comma separated) and BUS_TOPIC_PREFIX.
 * A test script, so it reads process.env itself rather than a config loader.
 */
import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";
import { createEmbeddedBus } from "../../lib/bus/embedded.ts";
import type { Bus } from "../../lib/bus/port.ts";

function required(name: string): string {
	const value = process.env[name];
	if (!value) throw new Error(`bus-crash-consumer: ${name} is not set`);
	return value;
}

async function openBus(): Promise<Bus> {
	const kind = required("BUS_KIND");
	if (kind === "embedded") return createEmbeddedBus({ dir: required("BUS_DIR") });
	if (kind === "kafka") {
		const { createKafkaBus } = await import("../../lib/bus/kafka.ts");
		return createKafkaBus({
			brokers: required("KAFKA_BROKERS").split(","),
			clientId: "bus-crash-consumer",
			topicPrefix: process.env.BUS_TOPIC_PREFIX ?? "",
			// Short group timings let the restarted child take over the killed one's
			// partitions in seconds instead of waiting out a default session timeout.
			...(process.env.KAFKA_SESSION_TIMEOUT_MS
				? {
						sessionTimeoutMs: Number(process.env.KAFKA_SESSION_TIMEOUT_MS),
						heartbeatIntervalMs: Math.max(100, Math.floor(Number(process.env.KAFKA_SESSION_TIMEOUT_MS) / 10)),
					}
				: {}),
		});
	}
	throw new Error(`bus-crash-consumer: unknown BUS_KIND "${kind}"`);
}

const topic = required("BUS_TOPIC");
const groupId = required("BUS_GROUP");
const output = openSync(required("OUTPUT_FILE"), "a");
const maxBatchSize = Number(process.env.BUS_BATCH_SIZE ?? "10");
const batchDelayMs = Number(process.env.BUS_BATCH_DELAY_MS ?? "5");
const decoder = new TextDecoder();

const bus = await openBus();
const subscription = bus.subscribe({ groupId, topics: [topic], maxBatchSize }, async (batch) => {
	const lines = batch.messages.map((m) => `${decoder.decode(m.value)}\n`).join("");
	writeSync(output, lines);
	fsyncSync(output);
	// Deliberately slow, and after the write: a SIGKILL then mostly lands between
	// processing and commit, the case at-least-once delivery is about.
	if (batchDelayMs > 0) await Bun.sleep(batchDelayMs);
});

let stopping = false;
process.on("SIGTERM", () => {
	if (stopping) return;
	stopping = true;
	void (async () => {
		await subscription.stop();
		await bus.close();
		closeSync(output);
		process.exit(0);
	})();
});

await subscription.ready;
