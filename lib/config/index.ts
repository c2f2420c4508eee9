export {
	type Config,
	type LogLevel,
	loadConfig,
	redact,
} from "./load-config.ts";
