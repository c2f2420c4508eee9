import { Hono } from "hono";
import type { SourceName } from "../workers/connector/source.ts";
import { createDv360Simulator, type Dv360Simulator, type Dv360SimulatorOptions, dv360PartnerId } from "./dv360.ts";
import { createGoogleTokenSimulator, createTestServiceAccount, type GoogleTokenSimulator } from "./google-token.ts";
import { createMetaSimulator, type MetaSimulator, type MetaSimulatorOptions } from "./meta.ts";
import {
	CRM_TABS,
	createSheetsSimulator,
	type SheetsSimulator,
	type SheetsSimulatorOptions,
	sheetsSpreadsheetId,
} from "./sheets.ts";
import { createTtdSimulator, type TtdSimulator, type TtdSimulatorOptions } from "./ttd.ts";
import type { World } from "./world.ts";

export interface StartSimulatorsOptions {
	world: World;
	/** Clock of every simulator, ms since the epoch. Default Date.now. */
	now?: () => number;
	/** Port on 127.0.0.1. Default 0 (a free port). */
	port?: number;
	dv360?: Omit<Dv360SimulatorOptions, "now" | "tokens">;
	ttd?: Omit<TtdSimulatorOptions, "now">;
	meta?: Omit<MetaSimulatorOptions, "now">;
	sheets?: Omit<SheetsSimulatorOptions, "now" | "tokens">;
	/** Check Google bearer tokens in the DV360 and Sheets simulators. Default true (false in benches). */
	checkGoogleTokens?: boolean;
}

export interface RunningSimulators {
	/** http://127.0.0.1:<port> */
	url: string;
	/** Every host a source talks to, by role, for a connection's baseUrls. */
	baseUrls(source: SourceName): Record<string, string>;
	/** Credentials the simulators accept, for a connection of `source`. */
	credentials(source: SourceName): Record<string, unknown>;
	/** Settings a demo connection of `source` for `orgId` needs (DV360 partner, Sheets tabs). */
	settings(source: SourceName, orgId: string): Record<string, unknown>;
	/** The accounts the world gives `orgId` on `source` (advertisers / ad accounts / the spreadsheet). */
	accounts(source: SourceName, orgId: string): string[];
	faults: {
		dv360: Dv360Simulator["faults"];
		ttd: TtdSimulator["faults"];
		meta: MetaSimulator["faults"];
		sheets: SheetsSimulator["faults"];
		google: GoogleTokenSimulator["faults"];
	};
	simulators: {
		dv360: Dv360Simulator;
		ttd: TtdSimulator;
		meta: MetaSimulator;
		sheets: SheetsSimulator;
		google: GoogleTokenSimulator;
	};
	stop(): Promise<void>;
}

const PREFIX: Record<SourceName | "google", string> = {
	dv360: "/dv360",
	ttd: "/ttd",
	meta: "/meta",
	sheets: "/sheets",
	google: "/google",
};

/**
 * Every simulator on one Bun server under a path prefix each (/dv360, /ttd,
 * /meta, /sheets, and /google for the OAuth token endpoint), sharing one
 * world and one clock, with a service account registered for the Google APIs.
 */
export async function startSimulators(options: StartSimulatorsOptions): Promise<RunningSimulators> {
	const { world } = options;
	const now = options.now ?? Date.now;
	const google = createGoogleTokenSimulator({ now });
	const tokens = options.checkGoogleTokens === false ? undefined : google.tokens;
	const sims = {
		google,
		dv360: createDv360Simulator(world, { ...options.dv360, now, ...(tokens ? { tokens } : {}) }),
		ttd: createTtdSimulator(world, { ...options.ttd, now }),
		meta: createMetaSimulator(world, { ...options.meta, now }),
		sheets: createSheetsSimulator(world, { ...options.sheets, now, ...(tokens ? { tokens } : {}) }),
	};
	const root = new Hono();
	for (const [name, sim] of Object.entries(sims)) root.route(PREFIX[name as keyof typeof PREFIX], sim.app);
	const server = Bun.serve({ hostname: "127.0.0.1", port: options.port ?? 0, fetch: root.fetch });
	const url = `http://127.0.0.1:${server.port}`;
	const tokenUrl = `${url}${PREFIX.google}/token`;
	const serviceAccount = createTestServiceAccount(tokenUrl, "pacer-demo@pacer-simulated.iam.gserviceaccount.com");
	google.register(serviceAccount.clientEmail, serviceAccount.publicKey);
	const metaToken = sims.meta.tokens.issue({ type: "SYSTEM_USER" });

	const advertisers = (source: SourceName, orgId: string) =>
		world
			.org(orgId)
			.advertisers.filter((a) => a.source === source)
			.map((a) => a.id);

	return {
		url,
		simulators: sims,
		faults: {
			dv360: sims.dv360.faults,
			ttd: sims.ttd.faults,
			meta: sims.meta.faults,
			sheets: sims.sheets.faults,
			google: google.faults,
		},
		baseUrls(source): Record<string, string> {
			switch (source) {
				case "dv360":
					return { reporting: `${url}${PREFIX.dv360}`, api: `${url}${PREFIX.dv360}`, token: tokenUrl };
				case "ttd":
					return { api: `${url}${PREFIX.ttd}/v3` };
				case "meta":
					return { api: `${url}${PREFIX.meta}` };
				case "sheets":
					return { api: `${url}${PREFIX.sheets}`, token: tokenUrl };
			}
		},
		credentials(source) {
			switch (source) {
				case "dv360":
				case "sheets":
					return { serviceAccountKey: serviceAccount.keyJson };
				case "ttd":
					return { login: "pacer-demo", password: "pacer-demo-password" };
				case "meta":
					return { accessToken: metaToken, appId: sims.meta.appId, appSecret: sims.meta.appSecret };
			}
		},
		settings(source, orgId) {
			if (source === "dv360") return { partnerId: dv360PartnerId(orgId) };
			if (source === "sheets") {
				const q = (tab: string) => `'${tab}'!A:Z`;
				return {
					spreadsheetId: sheetsSpreadsheetId(orgId),
					tabs: {
						clients: q(CRM_TABS.clients),
						bookings: q(CRM_TABS.bookings),
						exchangeRates: q(CRM_TABS.exchangeRates),
					},
				};
			}
			return {};
		},
		accounts(source, orgId) {
			return source === "sheets" ? [sheetsSpreadsheetId(orgId)] : advertisers(source, orgId);
		},
		async stop() {
			await server.stop(true);
		},
	};
}
