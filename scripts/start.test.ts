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
		checks: { database: true, warehouse: true, "consumer:deadletter": true },
	});
	expect((await fetch(`${base}/workers/deadletter/dead-letters`)).status).toBe(200);
	const { code } = await service.terminate();
	expect(code).toBe(0);
});
