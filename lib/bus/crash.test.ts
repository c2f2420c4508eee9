import { afterAll, describe, expect, test } from "bun:test";
import { crashResumeScenario } from "../../test/support/bus-crash-scenario.ts";
import { testNamespace } from "../../test/support/namespace.ts";
import { createEmbeddedBus } from "./embedded.ts";

describe("embedded bus: SIGKILL crash", () => {
	const ns = testNamespace("embedded-crash");
	afterAll(() => ns.cleanup());

	test("a killed consumer restarts after its last commit and loses nothing", async () => {
		const batchSize = 10;
		const result = await crashResumeScenario(
			{
				open: () => createEmbeddedBus({ dir: ns.dir }),
				childEnv: { BUS_KIND: "embedded", BUS_DIR: ns.dir },
			},
			// The embedded bus commits right after the handler: a kill repeats at most the batch in flight.
			{ batchSize, maxDuplicates: batchSize },
		);
		expect(result.firstRunLines).toBeGreaterThan(0);
		console.info(`crash scenario (embedded): ${JSON.stringify(result)}`);
	}, 120_000);
});
