/**
 * The simulated world behind the four API simulators: for each organisation,
 * its clients, DSP advertisers, campaigns, insertion orders / ad groups / ad
 * sets, line items, the bookings in its CRM sheet that map to them, exchange
 * rates, and the daily delivery of every line item. Everything is derived
 * from a seed by hashing, so every simulator renders the same truth, a test
 * can compute the expected totals to the cent, and a restated day is a
 * version bump that changes that day's numbers.
 */
import type { SourceName } from "../workers/connector/source.ts";

export type DspSource = Exclude<SourceName, "sheets">;
export const DSP_SOURCES: readonly DspSource[] = ["dv360", "ttd", "meta"];

export interface OrgSpec {
	id: string;
	name: string;
	/** Reporting currency. */
	currency: string;
	timezone: string;
}

export interface Advertiser {
	source: DspSource;
	orgId: string;
	/** DV360 advertiserId, TTD AdvertiserId, Meta ad account id (digits, without "act_"). */
	id: string;
	name: string;
	currency: string;
	clientId: string;
}

export interface Campaign {
	source: DspSource;
	advertiserId: string;
	id: string;
	name: string;
}

/** DV360 line item, TTD ad group, Meta ad set: the level delivery is reported at. */
export interface LineItem {
	source: DspSource;
	advertiserId: string;
	campaignId: string;
	/** DV360 insertion order id; for TTD and Meta the campaign id again. */
	insertionOrderId: string;
	id: string;
	name: string;
	flightStart: string;
	flightEnd: string;
	/** Budget in micros of the advertiser's currency. */
	budgetMicros: bigint;
	/** Daily pacing cap in micros. */
	dailyMaxMicros: bigint;
	pacing: "EVEN" | "AHEAD" | "ASAP";
}

export interface Client {
	id: string;
	name: string;
	currency: string;
}

export interface Booking {
	id: string;
	clientId: string;
	/** `<source>:<line item id>` of every DSP line item the booking maps to. */
	lineItems: string[];
	bookedImpressions: number;
	/** Revenue in the booking currency, in cents. */
	bookedRevenueCents: number;
	currency: string;
	flightStart: string;
	flightEnd: string;
}

export interface DeliveryRow {
	source: DspSource;
	advertiserId: string;
	campaignId: string;
	insertionOrderId: string;
	lineItemId: string;
	date: string;
	impressions: number;
	clicks: number;
	/** Spend in micros of the advertiser's currency (always a whole number of cents). */
	spendMicros: bigint;
	conversions: number;
	currency: string;
}

export interface OrgWorld {
	org: OrgSpec;
	clients: Client[];
	advertisers: Advertiser[];
	campaigns: Campaign[];
	lineItems: LineItem[];
	bookings: Booking[];
	/** Rate to convert 1 unit of `from` into the org currency, per date. */
	exchangeRates: { date: string; from: string; to: string; rate: string }[];
}

export interface World {
	readonly seed: string;
	readonly orgs: readonly OrgWorld[];
	org(orgId: string): OrgWorld;
	/** The daily delivery of one line item on one date (zero rows outside its flight). */
	delivery(lineItem: LineItem, date: string): DeliveryRow | null;
	/** Every delivery row of an org and source in an inclusive window, by date then line item. */
	deliveryFor(
		orgId: string,
		source: DspSource,
		window: { from: string; to: string },
		advertiserId?: string,
	): DeliveryRow[];
	/** Restates a day: its numbers change on the next fetch, as Meta does for up to 28 days. */
	restate(orgId: string, source: DspSource, date: string): void;
}

/** 32-bit FNV-1a, then a few rounds of mixing: fast, deterministic, good enough for test data. */
function hash(text: string): number {
	let h = 0x811c9dc5;
	for (let i = 0; i < text.length; i++) {
		h ^= text.charCodeAt(i);
		h = Math.imul(h, 0x01000193);
	}
	h ^= h >>> 16;
	h = Math.imul(h, 0x85ebca6b);
	h ^= h >>> 13;
	h = Math.imul(h, 0xc2b2ae35);
	h ^= h >>> 16;
	return h >>> 0;
}

const unit = (text: string) => hash(text) / 0x100000000;
const pick = (text: string, min: number, max: number) => min + Math.floor(unit(text) * (max - min + 1));

export function addDays(date: string, days: number): string {
	const d = new Date(`${date}T00:00:00Z`);
	d.setUTCDate(d.getUTCDate() + days);
	return d.toISOString().slice(0, 10);
}

export function datesBetween(from: string, to: string): string[] {
	const out: string[] = [];
	for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
	return out;
}

export interface WorldOptions {
	seed?: string;
	orgs?: OrgSpec[];
	/** First day any flight may start. Default 2026-01-01. */
	start?: string;
	/** Days covered by flights from `start`. Default 365. */
	days?: number;
	advertisersPerSource?: number;
	campaignsPerAdvertiser?: number;
	lineItemsPerCampaign?: number;
}

export const DEMO_ORGS: OrgSpec[] = [
	{ id: "acme", name: "Acme Media", currency: "USD", timezone: "America/New_York" },
	{ id: "globex", name: "Globex Agency", currency: "EUR", timezone: "Europe/Berlin" },
];

export function createWorld(options: WorldOptions = {}): World {
	const seed = options.seed ?? "pacer";
	const start = options.start ?? "2026-01-01";
	const days = options.days ?? 365;
	const versions = new Map<string, number>();
	const orgs = (options.orgs ?? DEMO_ORGS).map((org) => buildOrg(org));

	function buildOrg(org: OrgSpec): OrgWorld {
		const s = `${seed}:${org.id}`;
		const foreign = org.currency === "USD" ? "EUR" : "USD";
		const clients: Client[] = [0, 1, 2].map((i) => ({
			id: `${org.id}-client-${i + 1}`,
			name: `${["Northwind", "Contoso", "Initech"][i]} (${org.name})`,
			currency: i === 2 ? foreign : org.currency,
		}));
		const advertisers: Advertiser[] = [];
		const campaigns: Campaign[] = [];
		const lineItems: LineItem[] = [];
		const bookings: Booking[] = [];
		DSP_SOURCES.forEach((source, si) => {
			for (let a = 0; a < (options.advertisersPerSource ?? 2); a++) {
				const client = clients[(si + a) % clients.length] as Client;
				const advertiserId = String(1_000_000 + (hash(`${s}:${source}:adv:${a}`) % 8_999_999));
				advertisers.push({
					source,
					orgId: org.id,
					id: advertiserId,
					name: `${client.name.split(" ")[0]} ${source.toUpperCase()} ${a + 1}`,
					currency: client.currency,
					clientId: client.id,
				});
				for (let c = 0; c < (options.campaignsPerAdvertiser ?? 2); c++) {
					const campaignId = String((hash(`${s}:${advertiserId}:camp:${c}`) % 900_000_000) + 100_000_000);
					campaigns.push({ source, advertiserId, id: campaignId, name: `Campaign ${c + 1} ${advertiserId}` });
					const ioId =
						source === "dv360" ? String((hash(`${s}:${campaignId}:io`) % 900_000_000) + 100_000_000) : campaignId;
					const booked: string[] = [];
					let flightStart = "";
					let flightEnd = "";
					for (let l = 0; l < (options.lineItemsPerCampaign ?? 3); l++) {
						const key = `${s}:${campaignId}:li:${l}`;
						const lineItemId = String((hash(key) % 900_000_000) + 100_000_000);
						const begin = addDays(start, pick(`${key}:start`, 0, Math.max(0, days - 60)));
						const end = addDays(begin, pick(`${key}:len`, 27, 89));
						const dailyCents = pick(`${key}:daily`, 5_000, 80_000);
						lineItems.push({
							source,
							advertiserId,
							campaignId,
							insertionOrderId: ioId,
							id: lineItemId,
							name: `LI ${l + 1} ${campaignId}`,
							flightStart: begin,
							flightEnd: end,
							budgetMicros: BigInt(dailyCents) * 10_000n * BigInt(datesBetween(begin, end).length),
							dailyMaxMicros: BigInt(dailyCents) * 10_000n,
							pacing: (["EVEN", "AHEAD", "ASAP"] as const)[l % 3] as LineItem["pacing"],
						});
						// The last line item of every other campaign has no booking: gold must flag it.
						if (l < 2 || c % 2 === 0) booked.push(`${source}:${lineItemId}`);
						flightStart = flightStart && flightStart < begin ? flightStart : begin;
						flightEnd = flightEnd > end ? flightEnd : end;
					}
					bookings.push({
						id: `${org.id}-bk-${source}-${a}-${c}`,
						clientId: client.id,
						lineItems: booked,
						bookedImpressions: pick(`${s}:${campaignId}:bi`, 1_000, 9_000) * 1_000,
						bookedRevenueCents: pick(`${s}:${campaignId}:br`, 20_000, 400_000) * 100,
						currency: client.currency,
						flightStart,
						flightEnd,
					});
				}
			}
		});
		const exchangeRates = datesBetween(start, addDays(start, days - 1)).map((date) => ({
			date,
			from: foreign,
			to: org.currency,
			rate: (foreign === "EUR" ? 1.05 + unit(`${s}:fx:${date}`) * 0.1 : 0.88 + unit(`${s}:fx:${date}`) * 0.08).toFixed(
				6,
			),
		}));
		return { org, clients, advertisers, campaigns, lineItems, bookings, exchangeRates };
	}

	const byId = new Map(orgs.map((o) => [o.org.id, o]));
	const advertiserCurrency = new Map(
		orgs.flatMap((o) => o.advertisers.map((a) => [`${a.source}:${a.id}`, a.currency])),
	);
	const org = (orgId: string): OrgWorld => {
		const found = byId.get(orgId);
		if (!found) throw new Error(`simulated world has no organisation ${orgId}`);
		return found;
	};

	function delivery(li: LineItem, date: string): DeliveryRow | null {
		if (date < li.flightStart || date > li.flightEnd) return null;
		const version =
			versions.get(`${li.source}:${li.advertiserId}:${date}`) ?? versions.get(`${li.source}:*:${date}`) ?? 0;
		const key = `${seed}:${li.id}:${date}:v${version}`;
		const spendCents = Math.floor(Number(li.dailyMaxMicros / 10_000n) * (0.55 + unit(`${key}:s`) * 0.5));
		const cpmCents = pick(`${key}:cpm`, 150, 1_200);
		const impressions = Math.floor((spendCents * 1000) / cpmCents);
		const clicks = Math.floor(impressions * (0.001 + unit(`${key}:ctr`) * 0.004));
		return {
			source: li.source,
			advertiserId: li.advertiserId,
			campaignId: li.campaignId,
			insertionOrderId: li.insertionOrderId,
			lineItemId: li.id,
			date,
			impressions,
			clicks,
			spendMicros: BigInt(spendCents) * 10_000n,
			conversions: Math.floor(clicks * unit(`${key}:cv`) * 0.1),
			currency: advertiserCurrency.get(`${li.source}:${li.advertiserId}`) ?? "USD",
		};
	}

	return {
		seed,
		orgs,
		org,
		delivery,
		deliveryFor(orgId, source, window, advertiserId) {
			const items = org(orgId).lineItems.filter(
				(li) => li.source === source && (advertiserId === undefined || li.advertiserId === advertiserId),
			);
			const rows: DeliveryRow[] = [];
			for (const date of datesBetween(window.from, window.to)) {
				for (const li of items) {
					const row = delivery(li, date);
					if (row) rows.push(row);
				}
			}
			return rows;
		},
		restate(orgId, source, date) {
			for (const adv of org(orgId).advertisers.filter((a) => a.source === source)) {
				const key = `${source}:${adv.id}:${date}`;
				versions.set(key, (versions.get(key) ?? 0) + 1);
			}
		},
	};
}
