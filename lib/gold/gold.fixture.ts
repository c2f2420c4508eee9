/**
 * TEST FIXTURE: silver rows whose gold values are computed by hand in
 * gold.suite.ts. org_a (reports in EUR, Europe/Berlin) has bookings in the
 * past, present and future, a zero booking, restated days, a duplicate
 * delivery, USD delivery, a GBP line item with no rate and line items with no
 * booking; its dates are relative to today (T) so the pacing numbers never
 * change. org_b (USD, America/New_York) has fixed dates across an ISO-week
 * and month boundary for the weekly and monthly aggregates.
 */
import type { OrgSettings } from "./loader.ts";

type Row = Record<string, unknown>;

/** Today in `timezone`, YYYY-MM-DD. */
export function todayIn(timezone: string, at = new Date()): string {
	return new Intl.DateTimeFormat("en-CA", { timeZone: timezone }).format(at);
}

/** `date` plus `days`, YYYY-MM-DD. */
export function addDays(date: string, days: number): string {
	const d = new Date(`${date}T00:00:00Z`);
	d.setUTCDate(d.getUTCDate() + days);
	return d.toISOString().slice(0, 10);
}

export const FIXTURE_ORGS: OrgSettings[] = [
	{ orgId: "org_a", reportingCurrency: "EUR", timezone: "Europe/Berlin" },
	{ orgId: "org_b", reportingCurrency: "USD", timezone: "America/New_York" },
];

const lineage = (fetchedAt: string, request: string) => ({
	fetched_at: fetchedAt,
	request_id: request,
	transform_version: "silver.test@v1",
});

const FIRST = "2026-01-01T06:00:00.000Z";
const RESTATED = "2026-01-02T06:00:00.000Z";

function delivery(
	org: string,
	date: string,
	source: string,
	lineItem: string,
	impressions: number,
	spend: string,
	currency: string,
	fetchedAt = FIRST,
): Row {
	return {
		org_id: org,
		report_date: date,
		source,
		account_id: `${source}-acc`,
		campaign_id: `${source}-camp`,
		insertion_order_id: `${source}-io`,
		line_item_id: lineItem,
		line_item_type: source === "dv360" ? "line_item" : source === "ttd" ? "ad_group" : "ad_set",
		impressions: BigInt(impressions),
		clicks: BigInt(Math.floor(impressions / 100)),
		spend,
		currency,
		conversions: 0n,
		...lineage(fetchedAt, `req-${lineItem}-${date}-${fetchedAt.slice(9, 10)}`),
	};
}

/** First fetch of every day, as silver would hold it before restatements arrive. */
export function deliveryFirstFetch(t: string): Row[] {
	const d = (n: number) => addDays(t, n);
	return [
		delivery("org_a", d(-5), "dv360", "LI1", 500, "50.00", "EUR"),
		delivery("org_a", d(-4), "dv360", "LI1", 1000, "100.00", "EUR"),
		delivery("org_a", d(-3), "dv360", "LI1", 1200, "120.00", "EUR"),
		delivery("org_a", d(-2), "dv360", "LI1", 900, "90.00", "EUR"),
		delivery("org_a", d(-1), "dv360", "LI1", 800, "80.00", "EUR"),
		delivery("org_a", d(0), "dv360", "LI1", 300, "30.00", "EUR"),
		delivery("org_a", d(-4), "ttd", "AG1", 400, "40.00", "USD"),
		delivery("org_a", d(-3), "ttd", "AG1", 500, "50.00", "USD"),
		delivery("org_a", d(-2), "ttd", "AG1", 600, "60.00", "USD"),
		// The same row delivered twice (one fetch answering twice): one row in gold.
		delivery("org_a", d(-1), "ttd", "AG1", 700, "70.00", "USD"),
		delivery("org_a", d(-1), "ttd", "AG1", 700, "70.00", "USD"),
		delivery("org_a", d(-15), "meta", "AS1", 1000, "20.00", "USD"),
		delivery("org_a", d(-12), "meta", "AS1", 2000, "30.00", "USD"),
		delivery("org_a", d(-1), "dv360", "LI2", 200, "10.00", "EUR"),
		delivery("org_a", d(-2), "dv360", "LI3", 50, "5.00", "EUR"),
		delivery("org_a", d(-1), "dv360", "LI3", 60, "6.00", "EUR"),
		delivery("org_a", d(-1), "ttd", "AG9", 100, "10.00", "USD"),
		delivery("org_a", d(-1), "meta", "AS2", 50, "5.00", "GBP"),
		delivery("org_b", "2025-12-29", "dv360", "X1", 10, "0.10", "USD"),
		delivery("org_b", "2026-01-01", "dv360", "X1", 20, "0.20", "USD"),
		delivery("org_b", "2026-03-29", "dv360", "X1", 100, "1.00", "USD"),
		delivery("org_b", "2026-03-30", "dv360", "X1", 200, "2.00", "USD"),
		delivery("org_b", "2026-03-31", "dv360", "X1", 300, "3.00", "USD"),
		delivery("org_b", "2026-04-01", "dv360", "X1", 400, "4.00", "USD"),
	];
}

/** Later fetches that restate three days (silver keeps only these for their keys). */
export function deliveryRestatements(t: string): Row[] {
	return [
		delivery("org_a", addDays(t, -2), "dv360", "LI1", 1100, "110.00", "EUR", RESTATED),
		delivery("org_a", addDays(t, -12), "meta", "AS1", 2500, "35.00", "USD", RESTATED),
		delivery("org_b", "2026-04-01", "dv360", "X1", 450, "4.50", "USD", RESTATED),
	];
}

function booking(
	t: string,
	snapshotOffset: number,
	id: string,
	client: string,
	lineItems: string[],
	booked: number,
	revenue: string,
	currency: string,
	start: number,
	end: number,
): Row {
	return {
		org_id: "org_a",
		report_date: addDays(t, snapshotOffset),
		booking_id: id,
		client_id: client,
		line_items: JSON.stringify(lineItems),
		booked_impressions: BigInt(booked),
		booked_revenue: revenue,
		currency,
		flight_start: addDays(t, start),
		flight_end: addDays(t, end),
		notes: null,
		...lineage(`${addDays(t, snapshotOffset)}T05:00:00.000Z`, `req-bk-${snapshotOffset}`),
	};
}

/** Two CRM snapshots: T-5 (B_LIVE booked 8000) and T-1 (the current one). */
export function bookings(t: string): Row[] {
	return [
		booking(t, -5, "B_LIVE", "C1", ["dv360:LI1", "ttd:AG1"], 8000, "1000.00", "EUR", -4, 5),
		booking(t, -1, "B_LIVE", "C1", ["dv360:LI1", "ttd:AG1"], 10000, "1000.00", "EUR", -4, 5),
		booking(t, -1, "B_PAST", "C2", ["meta:AS1"], 3000, "500.00", "USD", -20, -11),
		booking(t, -1, "B_FUTURE", "C1", ["dv360:LI2"], 5000, "400.00", "EUR", 2, 11),
		booking(t, -1, "B_ZERO", "C2", ["dv360:LI3"], 0, "0.00", "EUR", -2, 2),
	];
}

export function clients(t: string): Row[] {
	return ["C1", "C2"].map((id) => ({
		org_id: "org_a",
		report_date: addDays(t, -1),
		client_id: id,
		client_name: id === "C1" ? "Acme" : "Globex",
		account_manager: null,
		currency: "EUR",
		...lineage(`${addDays(t, -1)}T05:00:00.000Z`, "req-cl"),
	}));
}

export function exchangeRates(t: string): Row[] {
	const rate = (date: string, value: string) => ({
		org_id: "org_a",
		report_date: addDays(t, -1),
		rate_date: date,
		from_currency: "USD",
		to_currency: "EUR",
		rate: value,
		...lineage(`${addDays(t, -1)}T05:00:00.000Z`, "req-fx"),
	});
	return [rate(addDays(t, -30), "0.900000"), rate(addDays(t, -3), "0.800000")];
}
