import { expect, test } from "bun:test";
import { createLogger } from "../../lib/runtime/logger.ts";
import { waitFor } from "../../test/support/namespace.ts";
import type { ConnectionRunner, RunRecord } from "./runner.ts";
import { startScheduler } from "./scheduler.ts";
import type { Connection } from "./source.ts";

const connection = (id: string, schedule: string | null, timezone = "UTC"): Connection => ({
	id,
	orgId: "acme",
	source: "meta",
	accounts: ["1"],
	settings: {},
	credentials: {},
	baseUrls: {},
	schedule,
	lookbackDays: 28,
	timezone,
});

test("croner fires each scheduled connection in its org's time zone; on-demand ones never; a busy one is skipped", async () => {
	const started: { id: string; trigger: string | undefined }[] = [];
	const connections = [
		connection("every-second", "* * * * * *"),
		connection("busy", "* * * * * *", "Asia/Tokyo"),
		connection("on-demand", null),
		connection("nightly", "0 3 * * *", "America/New_York"),
	];
	const lines: string[] = [];
	const runner: ConnectionRunner = {
		connections: () => connections,
		start(id, options) {
			started.push({ id, trigger: options?.trigger });
			const record = { id: `r${started.length}` } as unknown as RunRecord;
			return id === "busy" ? { conflict: record } : { started: record, done: new Promise(() => {}) };
		},
		defaultWindow: () => ({ from: "2026-11-01", to: "2026-11-28" }),
		runs: () => [],
		idle: async () => {},
	};
	const scheduler = startScheduler(runner, createLogger({ level: "info", write: (l) => lines.push(l) }));
	try {
		const next = scheduler.next();
		expect(next["on-demand"]).toBeNull();
		// 03:00 in New York is 08:00 UTC in winter (EST, UTC-5).
		expect(next.nightly).toMatch(/T08:00:00\.000Z$/);
		await waitFor(() => started.some((s) => s.id === "every-second") && started.some((s) => s.id === "busy"), {
			timeoutMs: 5_000,
			what: "a scheduled fire",
		});
	} finally {
		scheduler.stop();
	}
	expect(started.every((s) => s.trigger === "schedule")).toBe(true);
	expect(started.some((s) => s.id === "on-demand" || s.id === "nightly")).toBe(false);
	expect(lines.some((l) => l.includes("scheduled run skipped") && l.includes('"connection_id":"busy"'))).toBe(true);
	// Stopped jobs have no next run: nothing fires after stop().
	expect(Object.values(scheduler.next()).every((n) => n === null)).toBe(true);
});
