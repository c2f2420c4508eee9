export { connectorRoutes } from "./app.ts";
export { type BackpressureOptions, type BackpressureState, createBackpressure } from "./backpressure.ts";
export { type BootedConnector, bootConnector } from "./boot.ts";
export { type BreakerEvent, type BreakerRegistry, type BreakerState, createBreakerRegistry } from "./breaker.ts";
export { BREAKER_RULE_ID } from "./breaker-alerts.ts";
export {
	connectionsOf,
	loadPacerConfigFile,
	type OrgConfig,
	type PacerConfig,
	pacerConfigSchema,
	parsePacerConfig,
} from "./config.ts";
export { type ConnectionStore, createConnectionStore } from "./connection-store.ts";
export type { ConnectorDeadLetterValue } from "./dead-letters.ts";
export { createDemoConfig } from "./demo-config.ts";
export { DEFAULT_MAX_INLINE_BYTES, rawObjectKey, requestId } from "./emit.ts";
export { PageRejectedError, RequestFailedError, type RequestFailureKind } from "./errors.ts";
export { createRateLimiter, type RateLimiter } from "./rate-limiter.ts";
export { redactUrl } from "./redact.ts";
export { type ConnectionRunner, createConnectionRunner, type RunRecord } from "./runner.ts";
export {
	type ConnectorRuntime,
	type ConnectorRuntimeOptions,
	createConnectorRuntime,
	type RunResult,
} from "./runtime.ts";
export { startScheduler } from "./scheduler.ts";
export { decryptJson, encryptJson, resolveSecretKey } from "./secrets.ts";
export { type ConnectorWorker, type ConnectorWorkerDeps, connectorWorker } from "./service.ts";
export type * from "./source.ts";
export { createSourceHttp, type SourceHttpOptions } from "./source-http.ts";
export { loadSources } from "./source-registry.ts";
export { type ConnectionStatus, createStatusStore, type StatusStore } from "./status.ts";
export { addDays, chunkWindow, lookbackWindow, todayIn } from "./windows.ts";
