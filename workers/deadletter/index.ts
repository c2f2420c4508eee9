import { dlqTopic, PIPELINE_TOPICS } from "../../lib/bus/topics.ts";
import type { DeadLetterRepository } from "../../lib/ops/dead-letters.ts";
import type { WorkerDefinition } from "../../lib/runtime/worker.ts";
import { deadLetterRoutes } from "./app.ts";
import { createDeadLetterHandler } from "./handler.ts";

/** The dead-letter recorder: every `<topic>.dlq` into the application database, visible to operators. */
export function deadletterWorker(deps: { repository: DeadLetterRepository }): WorkerDefinition {
	return {
		name: "deadletter",
		topics: PIPELINE_TOPICS.map(dlqTopic),
		handler: createDeadLetterHandler(deps.repository),
		routes: deadLetterRoutes(deps.repository),
		deadLetterFailures: false,
	};
}
