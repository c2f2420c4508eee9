import { CONNECTOR_DATA_RAW } from "../../lib/bus/topics.ts";
import { envelopeBatchHandler, envelopeHandler } from "../../lib/runtime/envelope-io.ts";
import type { WorkerDefinition } from "../../lib/runtime/worker.ts";
import { type BronzeHandlerDeps, createBronzeHandler } from "./handler.ts";

export {
	type BronzeHandler,
	type BronzeHandlerDeps,
	type BronzeStep,
	createBronzeHandler,
	PageQuarantinedError,
} from "./handler.ts";
export { type BronzeLedger, createBronzeLedger, type LedgerRow } from "./ledger.ts";
export { splitPage } from "./split/index.ts";
export { openBronzeTables } from "./tables.ts";
export { connectionTimezones } from "./timezones.ts";
export { type BronzeTransform, loadBronzeTransform } from "./transform.ts";

/** Bytes of raw pages one bus batch of the bronze worker holds at most. */
export const BRONZE_BATCH_BYTES = 64 * 1024 * 1024;

/** The bronze worker: `connector.data.raw` pages into bronze.raw_records and bronze.quarantine. */
export function bronzeWorker(deps: BronzeHandlerDeps): WorkerDefinition {
	const handle = createBronzeHandler(deps);
	return {
		name: "bronze",
		topics: [CONNECTOR_DATA_RAW],
		handler: envelopeHandler(CONNECTOR_DATA_RAW, (envelope) => handle.handleOne(envelope)),
		batchHandler: envelopeBatchHandler(CONNECTOR_DATA_RAW, (envelopes) => handle.handleMany(envelopes)),
		// A batch's records share one transform and one lake commit per table, and a commit writes a file per
		// report day it touches: bigger batches mean fewer, bigger files for bronze and for silver to read.
		maxBatchBytes: BRONZE_BATCH_BYTES,
	};
}
