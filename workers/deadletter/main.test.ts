import { afterAll, describe, expect, test } from "bun:test";
import { testNamespace } from "../../test/support/namespace.ts";
import { startService } from "../../test/support/process.ts";

const ns = testNamespace("deadletter-main");
afterAll(() => ns.cleanup());
const entry = `${import.meta.dir}/main.ts`;

describe("bun run worker:deadletter", () => {
	test("serves /health, /ready and /metrics, and exits 0 within 10 s of SIGTERM", async () => {
		const service = await startService(entry, { PACER_DATA_DIR: ns.dir });
		const base = `http://127.0.0.1:${service.port}`;
		expect((await fetch(`${base}/health`)).status).toBe(200);
		const ready = await fetch(`${base}/ready`);
		expect(ready.status).toBe(200);
		expect(await ready.json()).toEqual({ status: "ready", checks: { "consumer:deadletter": true, database: true } });
		const metrics = await (await fetch(`${base}/metrics`)).text();
		expect(metrics).toContain(
			'pacer_consumer_lag_messages{group="pacer-deadletter",partition="0",topic="connector.data.raw.dlq"} 0',
		);
		const { code, ms } = await service.terminate();
		expect(code).toBe(0);
		expect(ms).toBeLessThan(10_000);
		expect(service.logs.map((l) => l.msg)).toEqual(expect.arrayContaining(["shutting down", "stopped"]));
		expect(service.logs.every((l) => typeof l.ts === "string" && l.service === "deadletter")).toBe(true);
	});

	test("a bad configuration stops start-up with every problem named", async () => {
		const proc = Bun.spawn([process.execPath, entry], {
			env: { PATH: process.env.PATH ?? "", PORT: "http", DATABASE_URL: "mysql://x/y", PACER_DATA_DIR: ns.dir },
			stdout: "pipe",
			stderr: "pipe",
		});
		expect(await proc.exited).toBe(2);
		const stderr = await new Response(proc.stderr).text();
		expect(stderr).toContain("Invalid configuration");
		expect(stderr).toContain('PORT: "http" is not an integer from 0 to 65535');
		expect(stderr).toContain("DATABASE_URL");
	});
});
