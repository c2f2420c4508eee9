/**
 * TTD entity JSON (source-apis.md §2.3) rendered from the simulated world:
 * advertisers, campaigns with budgets, flights and pacing, and ad groups (the
 * world's line items) with `RTBAttributes.BudgetSettings` and ad-group
 * flights. Money is a decimal in the advertiser's currency, not micros; flight
 * dates are `...UTC` with an exclusive end, as TTD's SDKs spell them.
 * Each ad group gets its own campaign flight so the world's per-line-item
 * flight dates survive the round trip.
 */
import type { Advertiser, Campaign, LineItem, OrgWorld, World } from "./world.ts";
import { addDays } from "./world.ts";

export const TTD_PARTNER_ID = "pacersim";

const PACING: Record<LineItem["pacing"], string> = {
	EVEN: "PaceEvenly",
	AHEAD: "PaceAhead",
	ASAP: "PaceAsSoonAsPossible",
};

/** Decimal amount from micros; world spend and budgets are whole cents, so this is exact. */
export const amount = (micros: bigint): number => Number(micros / 10_000n) / 100;

/** Every TTD entity of the world, indexed by id. */
export interface TtdIndex {
	advertisers: Map<string, { advertiser: Advertiser; org: OrgWorld }>;
	campaigns: Map<string, Campaign>;
	campaignsByAdvertiser: Map<string, Campaign[]>;
	adGroups: Map<string, LineItem>;
	adGroupsByAdvertiser: Map<string, LineItem[]>;
	adGroupsByCampaign: Map<string, LineItem[]>;
}

export function indexWorld(world: World): TtdIndex {
	const index: TtdIndex = {
		advertisers: new Map(),
		campaigns: new Map(),
		campaignsByAdvertiser: new Map(),
		adGroups: new Map(),
		adGroupsByAdvertiser: new Map(),
		adGroupsByCampaign: new Map(),
	};
	const push = <T>(map: Map<string, T[]>, key: string, value: T) => {
		const list = map.get(key);
		if (list) list.push(value);
		else map.set(key, [value]);
	};
	for (const org of world.orgs) {
		for (const a of org.advertisers) if (a.source === "ttd") index.advertisers.set(a.id, { advertiser: a, org });
		for (const c of org.campaigns) {
			if (c.source !== "ttd") continue;
			index.campaigns.set(c.id, c);
			push(index.campaignsByAdvertiser, c.advertiserId, c);
		}
		for (const li of org.lineItems) {
			if (li.source !== "ttd") continue;
			index.adGroups.set(li.id, li);
			push(index.adGroupsByAdvertiser, li.advertiserId, li);
			push(index.adGroupsByCampaign, li.campaignId, li);
		}
	}
	return index;
}

export function renderAdvertiser(a: Advertiser): Record<string, unknown> {
	return {
		AdvertiserId: a.id,
		PartnerId: TTD_PARTNER_ID,
		AdvertiserName: a.name,
		Description: null,
		CurrencyCode: a.currency,
		Availability: "Available",
		IndustryCategoryId: 54,
		AttributionClickLookbackWindowInSeconds: 2_592_000,
		AttributionImpressionLookbackWindowInSeconds: 2_592_000,
	};
}

const flightId = (li: LineItem): number => Number(li.id) * 10 + 1;
const startOf = (date: string) => `${date}T00:00:00`;

export function renderCampaign(c: Campaign, index: TtdIndex): Record<string, unknown> {
	const currency = index.advertisers.get(c.advertiserId)?.advertiser.currency ?? "USD";
	const groups = index.adGroupsByCampaign.get(c.id) ?? [];
	const budget = groups.reduce((sum, li) => sum + li.budgetMicros, 0n);
	const daily = groups.reduce((sum, li) => sum + li.dailyMaxMicros, 0n);
	const start = groups.map((li) => li.flightStart).sort()[0] ?? "2026-01-01";
	const end =
		groups
			.map((li) => li.flightEnd)
			.sort()
			.at(-1) ?? start;
	return {
		CampaignId: c.id,
		AdvertiserId: c.advertiserId,
		CampaignName: c.name,
		Version: "Kokai",
		Budget: { Amount: amount(budget), CurrencyCode: currency },
		DailyBudget: { Amount: amount(daily), CurrencyCode: currency },
		BudgetInImpressions: null,
		DailyBudgetInImpressions: null,
		StartDate: startOf(start),
		EndDate: `${end}T23:59:59`,
		PacingMode: "PaceEvenly",
		Availability: "Available",
		CampaignFlights: groups.map((li) => ({
			CampaignFlightId: flightId(li),
			CampaignId: c.id,
			StartDateInclusiveUTC: startOf(li.flightStart),
			EndDateExclusiveUTC: startOf(addDays(li.flightEnd, 1)),
			BudgetInAdvertiserCurrency: amount(li.budgetMicros),
			BudgetInImpressions: null,
			DailyTargetInAdvertiserCurrency: amount(li.dailyMaxMicros),
			DailyTargetInImpressions: null,
		})),
		PrimaryChannel: "Display",
		TimeZone: "UTC",
	};
}

export function renderAdGroup(li: LineItem, index: TtdIndex): Record<string, unknown> {
	const currency = index.advertisers.get(li.advertiserId)?.advertiser.currency ?? "USD";
	return {
		AdGroupId: li.id,
		AdGroupName: li.name,
		CampaignId: li.campaignId,
		AdvertiserId: li.advertiserId,
		IsEnabled: true,
		Availability: "Available",
		RTBAttributes: {
			BudgetSettings: {
				Budget: { Amount: amount(li.budgetMicros), CurrencyCode: currency },
				DailyBudget: { Amount: amount(li.dailyMaxMicros), CurrencyCode: currency },
				BudgetInImpressions: null,
				DailyBudgetInImpressions: null,
				PacingMode: PACING[li.pacing],
				AutoAllocatorPriority: 1,
				AdGroupFlights: [
					{
						AdGroupId: li.id,
						CampaignFlightId: flightId(li),
						BudgetInAdvertiserCurrency: amount(li.budgetMicros),
						BudgetInImpressions: null,
						DailyTargetInAdvertiserCurrency: amount(li.dailyMaxMicros),
						DailyTargetInImpressions: null,
					},
				],
			},
		},
	};
}

/** TTD's validation error body (`ErrorDetails` shape is peer-observed). */
export function validationError(property: string, reason: string): Record<string, unknown> {
	return {
		Message: "The request failed validation. Please check your request and try again.",
		ErrorDetails: [{ Property: property, Reasons: [reason] }],
	};
}

/** Reads PageStartIndex/PageSize; PageSize null means "all". Returns an error body when out of range. */
export function readPaging(
	body: Record<string, unknown>,
	maxPageSize: number,
): { start: number; size: number } | { error: Record<string, unknown> } {
	const start = body.PageStartIndex ?? 0;
	const size = body.PageSize ?? null;
	if (typeof start !== "number" || !Number.isInteger(start) || start < 0) {
		return { error: validationError("PageStartIndex", "PageStartIndex must be a non-negative integer.") };
	}
	if (size === null) return { start, size: Number.MAX_SAFE_INTEGER };
	if (typeof size !== "number" || !Number.isInteger(size) || size < 1 || size > maxPageSize) {
		return { error: validationError("PageSize", `PageSize must be between 1 and ${maxPageSize}.`) };
	}
	return { start, size };
}

/** The paged result envelope every TTD query endpoint returns. */
export function pageOf<T>(all: T[], start: number, size: number, render: (item: T) => unknown) {
	const slice = all.slice(start, start + size);
	return {
		Result: slice.map(render),
		ResultCount: slice.length,
		TotalFilteredCount: all.length,
		TotalUnfilteredCount: all.length,
	};
}
