import { createDeadLetterRepository } from "../../lib/ops/dead-letters.ts";
import { runWorkerProcess } from "../../lib/runtime/run-worker.ts";
import { deadletterWorker } from "./index.ts";

await runWorkerProcess("deadletter", (adapters) =>
	deadletterWorker({ repository: createDeadLetterRepository(adapters.database.db) }),
);
