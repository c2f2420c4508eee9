import { type Config, loadConfig } from "../config/index.ts";
import { ConfigError } from "../errors.ts";

/**
 * loadConfig for a process entry point: a bad configuration prints every
 * problem, naming each variable, and exits with status 2 before anything
 * starts.
 */
export function loadConfigOrExit(name: string, env: Record<string, string | undefined> = process.env): Config {
	try {
		return loadConfig(env);
	} catch (error) {
		if (!(error instanceof ConfigError)) throw error;
		process.stderr.write(`${name}: ${error.message}\n`);
		process.exit(2);
	}
}
