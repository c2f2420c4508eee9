import type { Subprocess } from "bun";
import { waitFor } from "./namespace.ts";

export interface ServiceProcess {
	readonly proc: Subprocess<"ignore", "pipe", "pipe">;
	readonly port: number;
	/** Every JSON log line written so far. */
	readonly logs: Record<string, unknown>[];
	readonly stderr: () => string;
	/** SIGTERM, then the exit code and how long the exit took. */
	terminate(): Promise<{ code: number | null; ms: number }>;
}

/**
 * Starts one of Pacer's entry points as a real process with PORT=0 and waits
 * for its "listening" log line, which names the port the OS gave it.
 */
export async function startService(entry: string, env: Record<string, string>): Promise<ServiceProcess> {
	const proc = Bun.spawn([process.execPath, entry], {
		env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", PORT: "0", ...env },
		stdin: "ignore",
		stdout: "pipe",
		stderr: "pipe",
	});
	const logs: Record<string, unknown>[] = [];
	let err = "";
	void (async () => {
		let buffered = "";
		for await (const chunk of proc.stdout.pipeThrough(new TextDecoderStream())) {
			buffered += chunk;
			const lines = buffered.split("\n");
			buffered = lines.pop() ?? "";
			for (const line of lines) {
				try {
					logs.push(JSON.parse(line));
				} catch {
					logs.push({ raw: line });
				}
			}
		}
	})();
	void (async () => {
		for await (const chunk of proc.stderr.pipeThrough(new TextDecoderStream())) err += chunk;
	})();
	const listening = await waitFor(
		() => {
			if (proc.exitCode !== null) throw new Error(`${entry} exited ${proc.exitCode}: ${err}`);
			return logs.find((l) => l.msg === "listening");
		},
		{ timeoutMs: 30_000, what: `${entry} to listen` },
	);
	return {
		proc,
		port: Number(listening.port),
		logs,
		stderr: () => err,
		async terminate() {
			const started = performance.now();
			proc.kill("SIGTERM");
			const code = await proc.exited;
			return { code, ms: performance.now() - started };
		},
	};
}
