/**
 * Test fixture for the DV360 source: one HTTP server with the Google token
 * simulator on `/token` and the DV360 simulator on `/dv360`, both on a
 * virtual clock that each test can replace (a fresh clock per run makes
 * re-runs comparable), a registered service account, and helpers that read
 * the delivery CSV pages the source emitted.
 */
import { Hono } from "hono";
import { createDv360Simulator, type Dv360Simulator, dv360PartnerId } from "../../../../simulators/dv360.ts";
import {
	createGoogleTokenSimulator,
	createTestServiceAccount,
	type GoogleTokenSimulator,
} from "../../../../simulators/google-token.ts";
import { createWorld, type World, type WorldOptions } from "../../../../simulators/world.ts";
import { createTestClock, type TestClock } from "../../../../test/support/clock.ts";
import { serveSimulator, testConnection } from "../../../../test/support/connector-harness.ts";
import type { Connection, RawPage } from "../../source.ts";
import { parseCsvRecord } from "./report-csv.ts";

export const START = "2026-11-28T06:00:00Z";

export interface Dv360Fixture {
	world: World;
	sim: Dv360Simulator;
	tokens: GoogleTokenSimulator;
	url: string;
	/** The clock the simulators read; replace it with `resetClock`. */
	clock: TestClock;
	resetClock(): TestClock;
	connection(overrides?: Partial<Connection>): Connection;
	stop(): Promise<void>;
}

export async function startDv360Fixture(worldOptions: WorldOptions = {}): Promise<Dv360Fixture> {
	const world = createWorld(worldOptions);
	let clock = createTestClock(START);
	const now = () => clock.nowMs();
	const tokens = createGoogleTokenSimulator({ now });
	const sim = createDv360Simulator(world, { now, tokens: tokens.tokens });
	const root = new Hono();
	root.route("/", tokens.app);
	root.route("/dv360", sim.app);
	const server = await serveSimulator(root);
	const account = createTestServiceAccount(`${server.url}/token`);
	tokens.register(account.clientEmail, account.publicKey);
	return {
		world,
		sim,
		tokens,
		url: server.url,
		get clock() {
			return clock;
		},
		resetClock() {
			clock = createTestClock(START);
			return clock;
		},
		connection(overrides = {}) {
			return testConnection({
				source: "dv360",
				orgId: "acme",
				settings: { partnerId: dv360PartnerId("acme") },
				credentials: { serviceAccountKey: JSON.stringify(account.keyJson) },
				baseUrls: { reporting: `${server.url}/dv360`, api: `${server.url}/dv360`, token: `${server.url}/token` },
				...overrides,
			});
		},
		stop: () => server.stop(),
	};
}

export interface DeliveryTotals {
	rows: number;
	impressions: number;
	spendMicros: bigint;
	/** The report's own grand-total row (last chunk), if any. */
	totalsRow: string[] | null;
	dates: string[];
}

const micros = (decimal: string): bigint => {
	const [whole = "0", frac = ""] = decimal.split(".");
	return BigInt(whole) * 1_000_000n + BigInt(frac.padEnd(6, "0").slice(0, 6));
};

/** Sums the data rows of the emitted delivery CSV pages (totals row and footer left out, as the bronze layer must). */
export function deliveryTotals(pages: RawPage[]): DeliveryTotals {
	const out: DeliveryTotals = { rows: 0, impressions: 0, spendMicros: 0n, totalsRow: null, dates: [] };
	for (const page of pages.filter((p) => p.stream === "delivery")) {
		const lines = page.body.split("\n");
		const header = parseCsvRecord(lines[0] ?? "");
		const at = (name: string) => header.indexOf(name);
		for (const line of lines.slice(1)) {
			if (line === "") break;
			const cells = parseCsvRecord(line);
			if (cells[0] === "") {
				out.totalsRow = cells;
				continue;
			}
			out.rows++;
			out.impressions += Number(cells[at("Impressions")]);
			out.spendMicros += micros(cells[at("Revenue (Advertiser Currency)")] ?? "0");
			out.dates.push(cells[0] ?? "");
		}
	}
	return out;
}

/** The world's truth for the same window: what the emitted rows must add up to. */
export function expectedTotals(world: World, orgId: string, window: { from: string; to: string }) {
	const rows = world.deliveryFor(orgId, "dv360", window);
	return {
		rows: rows.length,
		impressions: rows.reduce((n, r) => n + r.impressions, 0),
		spendMicros: rows.reduce((n, r) => n + r.spendMicros, 0n),
	};
}

/** Pages of one stream as comparable tuples. */
export const pageKeys = (pages: RawPage[], stream?: string) =>
	pages.filter((p) => !stream || p.stream === stream).map((p) => `${p.stream}|${p.account}|${p.pageKey}`);
