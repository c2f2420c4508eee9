import type { Bus } from "../../lib/bus/port.ts";
import { createEnvelope } from "../../lib/envelope/index.ts";
import type { GoldLedger } from "../../lib/gold/ledger.ts";
import type { GoldLoader } from "../../lib/gold/loader.ts";
import type { SilverReader } from "../../lib/gold/silver-reader.ts";
import { envelopeHandler, publishEnvelopes } from "../../lib/runtime/envelope-io.ts";
import type { WorkerDefinition } from "../../lib/runtime/worker.ts";
import type { SqlProject } from "../../lib/sql/index.ts";
import { createGoldHandler } from "./handler.ts";

export { createGoldHandler, type GoldHandlerDeps, type GoldOutcome } from "./handler.ts";

/** The gold worker: silver.data.processed → ClickHouse gold → gold.data.ready. */
export function goldWorker(deps: {
	bus: Bus;
	loader: GoldLoader;
	reader: SilverReader;
	ledger: GoldLedger;
	project: SqlProject;
	close?: () => Promise<void>;
}): WorkerDefinition {
	const handle = createGoldHandler({
		...deps,
		publish: async (ready) => {
			await publishEnvelopes(deps.bus, "gold.data.ready", [createEnvelope("gold.data.ready", ready)]);
		},
	});
	return {
		name: "gold",
		topics: ["silver.data.processed"],
		handler: envelopeHandler("silver.data.processed", async (envelope, _message, { logger }) => {
			const outcome = await handle(envelope);
			logger.info("silver snapshot handled", {
				table: envelope.table,
				snapshot_id: envelope.snapshot_id,
				org_id: envelope.org_id,
				...outcome,
			});
		}),
		close: deps.close,
	};
}
