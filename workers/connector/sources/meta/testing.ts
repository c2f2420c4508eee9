/**
 * Test fixture shared by the Meta source tests: a small world, the simulator
 * mounted under /meta on its own loopback server, the real connector
 * framework (harness) on a virtual clock, and helpers that total the emitted
 * delivery the way the bronze layer will read it.
 */
import { Hono } from "hono";
import { createMetaSimulator, type MetaSimulatorOptions } from "../../../../simulators/meta.ts";
import { createWorld } from "../../../../simulators/world.ts";
import { createTestClock } from "../../../../test/support/clock.ts";
import {
	createConnectorHarness,
	type HarnessRun,
	serveSimulator,
	testConnection,
} from "../../../../test/support/connector-harness.ts";
import type { Connection } from "../../source.ts";
import { createMetaSource, type MetaSourceOptions, parseInsightsRow } from "./index.ts";

export const WINDOW = { from: "2026-02-01", to: "2026-02-28" };
const ORG = { id: "acme", name: "Acme", currency: "USD", timezone: "America/New_York" };

export interface MetaSetupOptions {
	credentials?: Record<string, unknown>;
	settings?: Record<string, unknown>;
	simulator?: MetaSimulatorOptions;
	source?: MetaSourceOptions;
	/** Mint the connection's token from the simulator (USER tokens expire). Default: a fixed unknown token (never expires). */
	token?: { type: "USER" | "SYSTEM_USER"; expiresInMs?: number };
}

/** Everything one test needs; `close()` stops the server and the harness. */
export async function setupMeta(options: MetaSetupOptions = {}) {
	const world = createWorld({
		orgs: [ORG],
		advertisersPerSource: 1,
		campaignsPerAdvertiser: 2,
		lineItemsPerCampaign: 3,
		days: 120,
	});
	const clock = createTestClock();
	const sim = createMetaSimulator(world, { now: clock.nowMs, ...options.simulator });
	const server = await serveSimulator(new Hono().route("/meta", sim.app));
	const harness = await createConnectorHarness({ clock });
	const account = world.org("acme").advertisers.find((a) => a.source === "meta")?.id as string;
	const accessToken = options.token ? sim.tokens.issue(options.token) : "EAAlongLivedTestToken";
	const connection: Connection = testConnection({
		source: "meta",
		orgId: "acme",
		accounts: [`act_${account}`],
		baseUrls: { api: `${server.url}/meta` },
		credentials: { accessToken, ...options.credentials },
		settings: { pageSize: 25, ...options.settings },
		lookbackDays: 28,
	});
	const source = createMetaSource(options.source);
	return {
		world,
		clock,
		sim,
		harness,
		account,
		accessToken,
		connection,
		serverUrl: server.url,
		run: (window = WINDOW) => harness.run(source, connection, window),
		close: async () => {
			await harness.close();
			await server.stop();
		},
	};
}

export type MetaSetup = Awaited<ReturnType<typeof setupMeta>>;

/** Emitted delivery totals per `adset:date`, read from the raw pages with parseInsightsRow. */
export function emittedDelivery(run: HarnessRun): Map<string, string> {
	const out = new Map<string, string>();
	for (const page of run.pages.filter((p) => p.stream === "delivery")) {
		for (const raw of (JSON.parse(page.body) as { data: Record<string, unknown>[] }).data) {
			const row = parseInsightsRow(raw);
			const key = `${row.adsetId}:${row.date}`;
			if (out.has(key)) throw new Error(`row ${key} emitted twice`);
			out.set(key, `${row.impressions}/${row.clicks}/${row.spendMicros}/${row.conversions}/${row.currency}`);
		}
	}
	return out;
}

/** The world's delivery in the same shape. */
export function expectedDelivery(setup: MetaSetup, window = WINDOW): Map<string, string> {
	return new Map(
		setup.world
			.deliveryFor("acme", "meta", window, setup.account)
			.map((r) => [
				`${r.lineItemId}:${r.date}`,
				`${r.impressions}/${r.clicks}/${r.spendMicros}/${r.conversions}/${r.currency}`,
			]),
	);
}
