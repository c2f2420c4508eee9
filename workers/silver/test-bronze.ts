/**
 * Bronze rows for silver tests, written in the bronze contract
 * (lib/pipeline/bronze-tables.ts) the way the bronze worker lands them: one
 * row per record, a DSP CSV row keyed by its header, an Insights row as
 * Meta's JSON, from the simulated world's truth.
 */
import type { DeliveryRow, DspSource, World } from "../../simulators/world.ts";

const micros6 = (m: bigint) => `${m / 1_000_000n}.${String(m % 1_000_000n).padStart(6, "0")}`;
const cents2 = (m: bigint) => `${m / 1_000_000n}.${String((m % 1_000_000n) / 10_000n).padStart(2, "0")}`;

/** The record one source reports for one delivery row. */
export function deliveryRecord(row: DeliveryRow): Record<string, unknown> {
	if (row.source === "dv360")
		return {
			Date: row.date.replaceAll("-", "/"),
			"Advertiser ID": row.advertiserId,
			"Advertiser Currency": row.currency,
			"Campaign ID": row.campaignId,
			"Insertion Order ID": row.insertionOrderId,
			"Line Item ID": row.lineItemId,
			Impressions: String(row.impressions),
			Clicks: String(row.clicks),
			"Media Cost (Advertiser Currency)": micros6((row.spendMicros * 80n) / 100n),
			"Revenue (Advertiser Currency)": micros6(row.spendMicros),
			"Total Conversions": String(row.conversions),
		};
	if (row.source === "ttd")
		return {
			Date: `${row.date}T00:00:00`,
			"Advertiser ID": row.advertiserId,
			Advertiser: "Advertiser, Inc",
			"Campaign ID": row.campaignId,
			Campaign: "Campaign",
			"Ad Group ID": row.lineItemId,
			"Ad Group": "Ad group",
			"Advertiser Currency Code": row.currency,
			Impressions: String(row.impressions),
			Clicks: String(row.clicks),
			"Advertiser Cost (Adv Currency)": cents2(row.spendMicros),
			"All Last Click + View Conversions": String(row.conversions),
		};
	const actions = [{ action_type: "link_click", value: String(row.clicks) }];
	if (row.conversions)
		actions.push({ action_type: "offsite_conversion.fb_pixel_purchase", value: String(row.conversions) });
	return {
		account_id: row.advertiserId,
		account_currency: row.currency,
		campaign_id: row.campaignId,
		adset_id: row.lineItemId,
		impressions: String(row.impressions),
		clicks: String(row.clicks),
		spend: cents2(row.spendMicros),
		actions,
		date_start: row.date,
		date_stop: row.date,
	};
}

/** Bronze rows of one fetch of an org's delivery from one source over a window (one page per request). */
export function bronzeDeliveryRows(
	world: World,
	org: string,
	source: DspSource,
	window: { from: string; to: string },
	fetch: { requestId: string; fetchedAt: string },
): Record<string, unknown>[] {
	return world.deliveryFor(org, source, window).map((row, i) => ({
		org_id: org,
		report_date: row.date,
		source,
		stream: "delivery",
		connection_id: `${org}-${source}`,
		account: row.advertiserId,
		request_id: fetch.requestId,
		record_index: i,
		record: JSON.stringify(deliveryRecord(row)),
		fetched_at: fetch.fetchedAt,
		window_from: window.from,
		window_to: window.to,
		page: 0,
		ingested_at: new Date(Date.parse(fetch.fetchedAt) + 30_000).toISOString(),
		transform_version: "bronze.raw_records@test",
	}));
}
