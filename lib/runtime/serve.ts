import type { Hono } from "hono";
import type { Logger } from "./logger.ts";

export interface ServeOptions {
	/** Process name in logs. */
	name: string;
	app: Hono;
	port: number;
	logger: Logger;
	/** Stops consuming and drains in-flight work; resolves when nothing half-done remains. */
	drain(): Promise<void>;
	/** Grace period for drain() after SIGTERM, in milliseconds. */
	shutdownTimeoutMs: number;
	/** Injected for tests; defaults to process.exit. */
	exit?: (code: number) => void;
}

export interface Served {
	readonly port: number;
	/** Runs the same shutdown as SIGTERM. Resolves with the exit code. */
	shutdown(reason: string): Promise<number>;
}

/**
 * Serves a process's Hono app and owns its shutdown: on SIGTERM or SIGINT it
 * stops accepting work, gives drain() `shutdownTimeoutMs` to finish or
 * abandon in-flight batches (nothing half-done is committed: the bus commits
 * a batch only after its handler resolved), closes the server and exits, 0 if
 * the drain completed and 1 if it had to be cut short. Default budget 8 s of
 * the 10 s an orchestrator usually grants before SIGKILL.
 */
export function serve(options: ServeOptions): Served {
	const server = Bun.serve({
		port: options.port,
		hostname: "0.0.0.0",
		fetch: options.app.fetch,
	});
	const exit = options.exit ?? ((code: number) => process.exit(code));
	const port = server.port ?? options.port;
	options.logger.info("listening", { port });
	let shutting: Promise<number> | null = null;

	const shutdown = (reason: string): Promise<number> => {
		if (shutting) return shutting;
		options.logger.info("shutting down", {
			reason,
			budget_ms: options.shutdownTimeoutMs,
		});
		shutting = (async () => {
			let timer: ReturnType<typeof setTimeout> | undefined;
			const timedOut = new Promise<"timeout">((resolve) => {
				timer = setTimeout(() => resolve("timeout"), options.shutdownTimeoutMs);
			});
			let code = 0;
			try {
				const outcome = await Promise.race([options.drain().then(() => "drained" as const), timedOut]);
				if (outcome === "timeout") {
					options.logger.error("drain did not finish in time; in-flight work abandoned uncommitted", {});
					code = 1;
				}
			} catch (error) {
				options.logger.error("drain failed", { error });
				code = 1;
			} finally {
				clearTimeout(timer);
			}
			await server.stop(true);
			options.logger.info("stopped", { code });
			exit(code);
			return code;
		})();
		return shutting;
	};

	process.once("SIGTERM", () => void shutdown("SIGTERM"));
	process.once("SIGINT", () => void shutdown("SIGINT"));
	return { port, shutdown };
}
