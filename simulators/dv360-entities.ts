/**
 * DV360 API v4 entity JSON (source-apis.md §1.4) rendered from the world:
 * advertisers, campaigns, insertion orders (one per campaign, monthly budget
 * segments) and line items (custom flight, fixed budget in micros, pacing),
 * with the documented list behaviour: pageSize 1..200 (default 100), opaque
 * pageToken, no nextPageToken on the last page, and ARCHIVED entities left
 * out unless the filter names entityStatus.
 */
import type { Advertiser, Campaign, LineItem, OrgWorld } from "./world.ts";
import { addDays } from "./world.ts";

/** Entities whose flight ended this long ago are ARCHIVED (as ad ops tidy up finished work). */
const ARCHIVE_AFTER_DAYS = 30;

const dateObject = (iso: string) => {
	const [year, month, day] = iso.split("-").map(Number);
	return { year, month, day };
};

export function entityStatus(flightEnd: string, today: string): string {
	return addDays(flightEnd, ARCHIVE_AFTER_DAYS) < today ? "ENTITY_STATUS_ARCHIVED" : "ENTITY_STATUS_ACTIVE";
}

function flightOf(items: LineItem[]): { start: string; end: string } {
	let start = "9999-12-31";
	let end = "0000-01-01";
	for (const li of items) {
		if (li.flightStart < start) start = li.flightStart;
		if (li.flightEnd > end) end = li.flightEnd;
	}
	return { start, end };
}

export function advertiserJson(a: Advertiser, partnerId: string, org: OrgWorld) {
	return {
		name: `advertisers/${a.id}`,
		advertiserId: a.id,
		partnerId,
		displayName: a.name,
		entityStatus: "ENTITY_STATUS_ACTIVE",
		updateTime: "2026-01-01T00:00:00Z",
		generalConfig: {
			domainUrl: `https://${a.clientId}.example.com`,
			timeZone: org.org.timezone,
			currencyCode: a.currency,
		},
		servingConfig: { exemptTvFromViewabilityTargeting: false },
	};
}

export function campaignJson(c: Campaign, items: LineItem[], today: string) {
	const flight = flightOf(items);
	return {
		name: `advertisers/${c.advertiserId}/campaigns/${c.id}`,
		advertiserId: c.advertiserId,
		campaignId: c.id,
		displayName: c.name,
		entityStatus: entityStatus(flight.end, today),
		updateTime: `${flight.start}T00:00:00Z`,
		campaignGoal: {
			campaignGoalType: "CAMPAIGN_GOAL_TYPE_BRAND_AWARENESS",
			performanceGoal: { performanceGoalType: "PERFORMANCE_GOAL_TYPE_CPM", performanceGoalAmountMicros: "5000000" },
		},
		campaignFlight: { plannedDates: { startDate: dateObject(flight.start), endDate: dateObject(flight.end) } },
		frequencyCap: { unlimited: true },
	};
}

/** One insertion order per campaign; a budget segment per calendar month of its line items' flights. */
export function insertionOrderJson(c: Campaign, items: LineItem[], today: string) {
	const flight = flightOf(items);
	const segments: { budgetAmountMicros: string; description: string; dateRange: unknown }[] = [];
	for (let month = flight.start.slice(0, 7); month <= flight.end.slice(0, 7); month = nextMonth(month)) {
		const first = later(`${month}-01`, flight.start);
		const monthEnd = addDays(`${nextMonth(month)}-01`, -1);
		const last = earlier(monthEnd, flight.end);
		let micros = 0n;
		for (const li of items) {
			const from = later(li.flightStart, first);
			const to = earlier(li.flightEnd, last);
			if (from <= to) micros += li.dailyMaxMicros * BigInt(daysBetween(from, to));
		}
		segments.push({
			budgetAmountMicros: micros.toString(),
			description: month,
			dateRange: { startDate: dateObject(first), endDate: dateObject(last) },
		});
	}
	const ioId = items[0]?.insertionOrderId ?? c.id;
	return {
		name: `advertisers/${c.advertiserId}/insertionOrders/${ioId}`,
		advertiserId: c.advertiserId,
		campaignId: c.id,
		insertionOrderId: ioId,
		displayName: `IO ${c.name}`,
		insertionOrderType: "RTB",
		entityStatus: entityStatus(flight.end, today),
		updateTime: `${flight.start}T00:00:00Z`,
		pacing: { pacingPeriod: "PACING_PERIOD_FLIGHT", pacingType: "PACING_TYPE_EVEN" },
		frequencyCap: { unlimited: true },
		kpi: { kpiType: "KPI_TYPE_CPM", kpiAmountMicros: "5000000" },
		budget: {
			budgetUnit: "BUDGET_UNIT_CURRENCY",
			automationType: "INSERTION_ORDER_AUTOMATION_TYPE_NONE",
			budgetSegments: segments,
		},
	};
}

export function lineItemJson(li: LineItem, today: string) {
	return {
		name: `advertisers/${li.advertiserId}/lineItems/${li.id}`,
		advertiserId: li.advertiserId,
		campaignId: li.campaignId,
		insertionOrderId: li.insertionOrderId,
		lineItemId: li.id,
		displayName: li.name,
		lineItemType: "LINE_ITEM_TYPE_DISPLAY_DEFAULT",
		entityStatus: entityStatus(li.flightEnd, today),
		updateTime: `${li.flightStart}T00:00:00Z`,
		flight: {
			flightDateType: "LINE_ITEM_FLIGHT_DATE_TYPE_CUSTOM",
			dateRange: { startDate: dateObject(li.flightStart), endDate: dateObject(li.flightEnd) },
		},
		budget: {
			budgetAllocationType: "LINE_ITEM_BUDGET_ALLOCATION_TYPE_FIXED",
			budgetUnit: "BUDGET_UNIT_CURRENCY",
			maxAmount: li.budgetMicros.toString(),
		},
		pacing: {
			pacingPeriod: "PACING_PERIOD_DAILY",
			pacingType: `PACING_TYPE_${li.pacing}`,
			dailyMaxMicros: li.dailyMaxMicros.toString(),
		},
		frequencyCap: { unlimited: true },
		partnerRevenueModel: {
			markupType: "PARTNER_REVENUE_MODEL_MARKUP_TYPE_TOTAL_MEDIA_COST_MARKUP",
			markupAmount: "25",
		},
		bidStrategy: { fixedBid: { bidAmountMicros: "4000000" } },
		creativeIds: [],
	};
}

// ISO dates compare as strings (Math.min would turn them into NaN).
const earlier = (a: string, b: string) => (a <= b ? a : b);
const later = (a: string, b: string) => (a >= b ? a : b);

function nextMonth(month: string): string {
	const [y, m] = month.split("-").map(Number) as [number, number];
	return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, "0")}`;
}

function daysBetween(from: string, to: string): number {
	return Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000) + 1;
}

export type ListResult = { ok: true; body: Record<string, unknown> } | { ok: false; message: string };

/** Applies the v4 list rules (status filter, pageSize, pageToken) to `items` carrying `entityStatus`. */
export function listPage(
	field: string,
	items: { entityStatus?: string }[],
	query: { pageSize?: string; pageToken?: string; filter?: string },
): ListResult {
	const filter = query.filter ?? "";
	if (filter.length > 500) return { ok: false, message: "Filter exceeds 500 characters." };
	const statuses = [...filter.matchAll(/entityStatus\s*=\s*"?(ENTITY_STATUS_[A-Z_]+)"?/g)].map((m) => m[1]);
	const visible = items.filter((item) =>
		statuses.length > 0 ? statuses.includes(item.entityStatus) : item.entityStatus !== "ENTITY_STATUS_ARCHIVED",
	);
	const size = query.pageSize === undefined ? 100 : Number(query.pageSize);
	if (!Number.isInteger(size) || size < 1 || size > 200) {
		return { ok: false, message: "Invalid page size. Must be between 1 and 200." };
	}
	let offset = 0;
	if (query.pageToken) {
		offset = Number(Buffer.from(query.pageToken, "base64url").toString("utf8").replace(/^o:/, ""));
		if (!Number.isInteger(offset) || offset < 0 || offset > visible.length) {
			return { ok: false, message: "Invalid page token." };
		}
	}
	const page = visible.slice(offset, offset + size);
	const next = offset + size < visible.length ? Buffer.from(`o:${offset + size}`).toString("base64url") : undefined;
	// An empty list answers `{}`: the plural field is absent, as Google's JSON omits empty repeated fields.
	return {
		ok: true,
		body: { ...(page.length > 0 ? { [field]: page } : {}), ...(next ? { nextPageToken: next } : {}) },
	};
}
