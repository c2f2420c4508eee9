import { afterAll, expect, test } from "bun:test";
import { testNamespace } from "../test/support/namespace.ts";
import { startService } from "../test/support/process.ts";

const ns = testNamespace("start");
afterAll(() => ns.cleanup());

test("npm start runs the embedded platform: /health answers, every adapter and worker is ready, SIGTERM stops it", async () => {
	const service = await startService(`${import.meta.dir}/start.ts`, { PACER_DATA_DIR: ns.dir });
	const base = `http://127.0.0.1:${service.port}`;
	expect(await (await fetch(`${base}/health`)).json()).toMatchObject({ status: "ok", service: "gateway" });
	const ready = await fetch(`${base}/ready`);
	expect(await ready.json()).toEqual({
		status: "ready",
		checks: {
			database: true,
			warehouse: true,
			"consumer:deadletter": true,
			"consumer:bronze": true,
			"consumer:silver": true,
			"consumer:gold": true,
		},
	});
	expect((await fetch(`${base}/workers/deadletter/dead-letters`)).status).toBe(200);
	// No PACER_CONFIG: the demo configuration runs against the built-in simulators, and says so.
	expect(service.logs.some((l) => String(l.msg).includes("demo configuration"))).toBe(true);
	const { connections } = (await (await fetch(`${base}/workers/connector/connections`)).json()) as {
		connections: { source: string }[];
	};
	expect(new Set(connections.map((c) => c.source))).toEqual(new Set(["dv360", "ttd", "meta", "sheets"]));
	const { code } = await service.terminate();
	expect(code).toBe(0);
});
