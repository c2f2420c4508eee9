import { afterAll, expect, test } from "bun:test";
import { testNamespace } from "../test/support/namespace.ts";

const ns = testNamespace("backfill");
afterAll(() => ns.cleanup());

async function backfill(...args: string[]) {
	const proc = Bun.spawn([process.execPath, `${import.meta.dir}/backfill.ts`, ...args], {
		env: { PATH: process.env.PATH ?? "", PACER_DATA_DIR: ns.dir },
		stdout: "pipe",
		stderr: "pipe",
	});
	const [code, stdout, stderr] = await Promise.all([
		proc.exited,
		new Response(proc.stdout).text(),
		new Response(proc.stderr).text(),
	]);
	return { code, output: stdout + stderr };
}

test("backfill pulls a connection's window in chunks and reports pages and rows; bad arguments fail", async () => {
	const ok = await backfill(
		"--connection",
		"acme-ttd",
		"--from",
		"2026-11-01",
		"--to",
		"2026-11-20",
		"--chunk-days",
		"7",
	);
	expect(ok.code).toBe(0);
	const summary =
		/backfill acme-ttd 2026-11-01\.\.2026-11-20: (\d+) pages, (\d+) rows, 0 dead letters, 0 failed chunks/.exec(
			ok.output,
		);
	expect(summary).not.toBeNull();
	expect(Number(summary?.[2])).toBeGreaterThan(0);

	const unknown = await backfill("--connection", "nope", "--from", "2026-11-01", "--to", "2026-11-02");
	expect(unknown.code).toBe(1);
	expect(unknown.output).toContain("unknown connection nope");
	const reversed = await backfill("--connection", "acme-ttd", "--from", "2026-11-02", "--to", "2026-11-01");
	expect(reversed.code).toBe(2);
	expect(reversed.output).toContain("usage: bun run backfill");
});
