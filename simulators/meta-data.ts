/**
 * How the Meta simulator renders the world: ad accounts, campaigns, ad sets
 * (the world's line items) and Insights rows, shaped as the Marketing API
 * returns them (source-apis.md §3.1): every metric a JSON string, spend in
 * account currency with trailing zeros trimmed ("5339.5"), budgets in minor
 * units as strings, `actions` as `{action_type, value}` with zero entries
 * left out and the whole list absent when empty.
 *
 * Conversions are the `offsite_conversion.fb_pixel_purchase` action;
 * `omni_purchase` repeats the same count as Meta does, so summing every
 * action type double counts.
 */
import type { Advertiser, DeliveryRow, LineItem, OrgWorld, World } from "./world.ts";
import { addDays } from "./world.ts";

export const CONVERSION_ACTION = "offsite_conversion.fb_pixel_purchase";
export type InsightsLevel = "account" | "campaign" | "adset" | "ad";
export const INSIGHTS_LEVELS: readonly InsightsLevel[] = ["account", "campaign", "adset", "ad"];

export const INSIGHTS_FIELDS = new Set([
	"account_id",
	"account_name",
	"account_currency",
	"campaign_id",
	"campaign_name",
	"adset_id",
	"adset_name",
	"ad_id",
	"ad_name",
	"impressions",
	"clicks",
	"spend",
	"actions",
	"cpm",
	"ctr",
	"date_start",
	"date_stop",
]);
export const CAMPAIGN_FIELDS = new Set([
	"id",
	"name",
	"account_id",
	"objective",
	"status",
	"effective_status",
	"buying_type",
	"spend_cap",
	"daily_budget",
	"lifetime_budget",
	"start_time",
	"stop_time",
	"created_time",
	"updated_time",
]);
export const ADSET_FIELDS = new Set([
	"id",
	"name",
	"account_id",
	"campaign_id",
	"status",
	"effective_status",
	"daily_budget",
	"lifetime_budget",
	"budget_remaining",
	"pacing_type",
	"bid_strategy",
	"billing_event",
	"optimization_goal",
	"start_time",
	"end_time",
	"created_time",
	"updated_time",
]);

export interface MetaAccount {
	org: OrgWorld;
	advertiser: Advertiser;
}

export type Json = Record<string, unknown>;

/** Index of every Meta ad account in the world by id (digits, without "act_"). */
export function indexAccounts(world: World): Map<string, MetaAccount> {
	const out = new Map<string, MetaAccount>();
	for (const org of world.orgs) {
		for (const advertiser of org.advertisers)
			if (advertiser.source === "meta") out.set(advertiser.id, { org, advertiser });
	}
	return out;
}

const formats = new Map<string, Intl.DateTimeFormat>();
const offsets = new Map<string, string>();

/** "+0100"-style UTC offset of a time zone on a date, as Meta writes it in start_time; cached (Intl is slow). */
function offset(timeZone: string, date: string): string {
	const key = `${timeZone}|${date}`;
	const known = offsets.get(key);
	if (known) return known;
	let format = formats.get(timeZone);
	if (!format) {
		format = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" });
		formats.set(timeZone, format);
	}
	const name =
		format.formatToParts(new Date(`${date}T12:00:00Z`)).find((p) => p.type === "timeZoneName")?.value ?? "GMT";
	const match = /GMT([+-])(\d\d):(\d\d)/.exec(name);
	const value = match ? `${match[1]}${match[2]}${match[3]}` : "+0000";
	offsets.set(key, value);
	return value;
}

const at = (timeZone: string, date: string, time: string) => `${date}T${time}${offset(timeZone, date)}`;

function lineItemsOf(account: MetaAccount): LineItem[] {
	return account.org.lineItems.filter((li) => li.source === "meta" && li.advertiserId === account.advertiser.id);
}

export function renderCampaigns(account: MetaAccount): Json[] {
	const tz = account.org.org.timezone;
	const items = lineItemsOf(account);
	return account.org.campaigns
		.filter((c) => c.source === "meta" && c.advertiserId === account.advertiser.id)
		.map((c) => {
			const own = items.filter((li) => li.campaignId === c.id);
			// ISO dates sort as strings: the flight of a campaign spans its ad sets' flights.
			const starts = own.map((li) => li.flightStart).sort();
			const ends = own.map((li) => li.flightEnd).sort();
			const start = starts[0] ?? "2026-01-01";
			const end = ends[ends.length - 1] ?? start;
			const cap = own.reduce((sum, li) => sum + li.budgetMicros / 10_000n, 0n);
			return {
				id: c.id,
				name: c.name,
				account_id: account.advertiser.id,
				objective: "OUTCOME_SALES",
				status: "ACTIVE",
				effective_status: "ACTIVE",
				buying_type: "AUCTION",
				// Budgets live on the ad sets (no campaign budget optimisation); the cap bounds their sum.
				spend_cap: cap.toString(),
				start_time: at(tz, start, "00:00:00"),
				stop_time: at(tz, end, "23:59:59"),
				created_time: at(tz, addDays(start, -7), "09:30:00"),
				updated_time: at(tz, addDays(start, -1), "17:05:00"),
			};
		});
}

export function renderAdSets(account: MetaAccount): Json[] {
	const tz = account.org.org.timezone;
	return lineItemsOf(account).map((li) => {
		const daily = li.pacing === "EVEN";
		return {
			id: li.id,
			name: li.name,
			account_id: account.advertiser.id,
			campaign_id: li.campaignId,
			status: "ACTIVE",
			effective_status: "ACTIVE",
			// Meta returns both budget fields; the one not in use is "0".
			daily_budget: daily ? (li.dailyMaxMicros / 10_000n).toString() : "0",
			lifetime_budget: daily ? "0" : (li.budgetMicros / 10_000n).toString(),
			budget_remaining: (daily ? li.dailyMaxMicros / 10_000n : li.budgetMicros / 10_000n).toString(),
			pacing_type: [li.pacing === "ASAP" ? "no_pacing" : "standard"],
			bid_strategy: "LOWEST_COST_WITHOUT_CAP",
			billing_event: "IMPRESSIONS",
			optimization_goal: "OFFSITE_CONVERSIONS",
			start_time: at(tz, li.flightStart, "00:00:00"),
			end_time: at(tz, li.flightEnd, "23:59:59"),
			created_time: at(tz, addDays(li.flightStart, -7), "09:30:00"),
			updated_time: at(tz, addDays(li.flightStart, -1), "17:05:00"),
		};
	});
}

interface Totals {
	row: DeliveryRow;
	impressions: number;
	clicks: number;
	spendCents: number;
	conversions: number;
}

/** "5339.5" for 533950 cents, on numbers: the hot path of big pages. */
function formatCents(cents: number): string {
	const frac = cents % 100;
	const whole = (cents - frac) / 100;
	if (frac === 0) return String(whole);
	return frac % 10 === 0 ? `${whole}.${frac / 10}` : `${whole}.${frac < 10 ? "0" : ""}${frac}`;
}

type Writer = (out: Json, t: Totals) => void;

/**
 * Insights rows of one account for a window, one per day and object of
 * `level`, with the requested `fields` (dates always) in Meta's order. Built
 * field by field with precomputed writers: the bench asks for big pages.
 */
export function renderInsights(
	world: World,
	account: MetaAccount,
	level: InsightsLevel,
	window: { from: string; to: string },
	fields: string[],
): Json[] {
	const delivery = world.deliveryFor(account.org.org.id, "meta", window, account.advertiser.id);
	const campaigns = new Map(account.org.campaigns.map((c) => [c.id, c.name]));
	const adSets = new Map(account.org.lineItems.map((li) => [li.id, li.name]));
	const a = account.advertiser;
	const depth = INSIGHTS_LEVELS.indexOf(level);
	const all: [string, number, Writer][] = [
		["account_id", 0, (o) => (o.account_id = a.id)],
		["account_name", 0, (o) => (o.account_name = a.name)],
		["account_currency", 0, (o) => (o.account_currency = a.currency)],
		["campaign_id", 1, (o, t) => (o.campaign_id = t.row.campaignId)],
		["campaign_name", 1, (o, t) => (o.campaign_name = campaigns.get(t.row.campaignId))],
		["adset_id", 2, (o, t) => (o.adset_id = t.row.lineItemId)],
		["adset_name", 2, (o, t) => (o.adset_name = adSets.get(t.row.lineItemId))],
		["ad_id", 3, (o, t) => (o.ad_id = `${t.row.lineItemId}01`)],
		["ad_name", 3, (o, t) => (o.ad_name = `Ad 1 ${adSets.get(t.row.lineItemId)}`)],
		["impressions", 0, (o, t) => (o.impressions = String(t.impressions))],
		["clicks", 0, (o, t) => (o.clicks = String(t.clicks))],
		["spend", 0, (o, t) => (o.spend = formatCents(t.spendCents))],
		["cpm", 0, (o, t) => (o.cpm = t.impressions ? ((t.spendCents * 10) / t.impressions).toFixed(6) : "0")],
		["ctr", 0, (o, t) => (o.ctr = t.impressions ? ((t.clicks * 100) / t.impressions).toFixed(6) : "0")],
		[
			"actions",
			0,
			(o, t) => {
				const actions = [];
				if (t.clicks) actions.push({ action_type: "link_click", value: String(t.clicks) });
				if (t.conversions) {
					const value = String(t.conversions);
					actions.push({ action_type: CONVERSION_ACTION, value }, { action_type: "omni_purchase", value });
				}
				if (actions.length) o.actions = actions;
			},
		],
		["date_start", 0, (o, t) => (o.date_start = t.row.date)],
		["date_stop", 0, (o, t) => (o.date_stop = t.row.date)],
	];
	const wanted = new Set([...fields, "date_start", "date_stop"]);
	// Fields of a deeper level than asked are not reported (no ad_id at adset level).
	const writers = all.filter(([name, d]) => wanted.has(name) && d <= depth).map(([, , write]) => write);
	const render = (t: Totals) => {
		const out: Json = {};
		for (const write of writers) write(out, t);
		return out;
	};
	const totals = (row: DeliveryRow): Totals => ({
		row,
		impressions: row.impressions,
		clicks: row.clicks,
		spendCents: Number(row.spendMicros) / 10_000,
		conversions: row.conversions,
	});
	if (depth >= 2) return delivery.map((row) => render(totals(row)));
	const grouped = new Map<string, Totals>();
	for (const row of delivery) {
		const key = `${row.date}|${depth === 1 ? row.campaignId : ""}`;
		const seen = grouped.get(key);
		if (!seen) {
			grouped.set(key, totals(row));
			continue;
		}
		seen.impressions += row.impressions;
		seen.clicks += row.clicks;
		seen.spendCents += Number(row.spendMicros) / 10_000;
		seen.conversions += row.conversions;
	}
	return [...grouped.values()].map(render);
}

/** Keeps the requested fields (plus `id` on entities, dates on insights), as the Graph API does. */
export function project(rows: Json[], fields: string[], always: string[]): Json[] {
	const keep = new Set([...fields, ...always]);
	return rows.map((row) => Object.fromEntries(Object.entries(row).filter(([k]) => keep.has(k))));
}
