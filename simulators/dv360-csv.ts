/**
 * Renders a Bid Manager STANDARD report as DV360 writes its CSV
 * (source-apis.md §1.2): display-name headers in groupBy then metric order,
 * `YYYY/MM/DD` dates, a grand-total row with empty dimension cells, a blank
 * line, the footer (`Report Time:`, `Date Range:`, one `Group By:` per
 * dimension, the MRC line, the 7-day disclaimer, `Filter by ...:`), or the
 * single "No data returned by the reporting service." line.
 * The enum → header table is the simulator's own copy of the documented
 * mapping: a connector must not share it, or a wrong name would pass.
 */
import type { Advertiser, DeliveryRow, World } from "./world.ts";

export interface ReportRowContext {
	row: DeliveryRow;
	advertiser: Advertiser;
	partnerId: string;
	names: (kind: "campaign" | "lineItem", id: string) => string;
}

/** Header, value, and whether the value may need CSV quoting (names may; ids, dates and codes never do). */
type Dimension = [string, (r: ReportRowContext) => string, boolean?];
const DIMENSIONS: Record<string, Dimension> = {
	FILTER_DATE: ["Date", (r) => r.row.date.replaceAll("-", "/")],
	FILTER_PARTNER: ["Partner ID", (r) => r.partnerId],
	FILTER_ADVERTISER: ["Advertiser ID", (r) => r.row.advertiserId],
	FILTER_ADVERTISER_NAME: ["Advertiser", (r) => r.advertiser.name, true],
	FILTER_ADVERTISER_CURRENCY: ["Advertiser Currency", (r) => r.row.currency],
	FILTER_MEDIA_PLAN: ["Campaign ID", (r) => r.row.campaignId],
	FILTER_MEDIA_PLAN_NAME: ["Campaign", (r) => r.names("campaign", r.row.campaignId), true],
	FILTER_INSERTION_ORDER: ["Insertion Order ID", (r) => r.row.insertionOrderId],
	FILTER_LINE_ITEM: ["Line Item ID", (r) => r.row.lineItemId],
	FILTER_LINE_ITEM_NAME: ["Line Item", (r) => r.names("lineItem", r.row.lineItemId), true],
};

/**
 * Metric values as integers: counts, or micros of the advertiser currency for
 * money. Plain numbers, not bigint, for speed: exact up to 2^53 micros
 * (about 9 billion currency units in one cell), far beyond any test world.
 */
type Metric = [string, "count" | "micros", (row: DeliveryRow) => number];
const METRICS: Record<string, Metric> = {
	METRIC_IMPRESSIONS: ["Impressions", "count", (r) => r.impressions],
	METRIC_CLICKS: ["Clicks", "count", (r) => r.clicks],
	METRIC_TOTAL_CONVERSIONS: ["Total Conversions", "count", (r) => r.conversions],
	// Revenue is what the advertiser is billed (the world's spend); media cost is the part paid for inventory.
	METRIC_REVENUE_ADVERTISER: ["Revenue (Advertiser Currency)", "micros", (r) => Number(r.spendMicros)],
	METRIC_MEDIA_COST_ADVERTISER: [
		"Media Cost (Advertiser Currency)",
		"micros",
		(r) => Math.floor((Number(r.spendMicros) * 80) / 100),
	],
};

export const EMPTY_REPORT = "No data returned by the reporting service.\n";

/** Returns the first groupBy or metric the simulator cannot render, or null. */
export function unsupportedField(groupBys: string[], metrics: string[]): string | null {
	return groupBys.find((g) => !DIMENSIONS[g]) ?? metrics.find((m) => !METRICS[m]) ?? null;
}

function formatMicros(micros: number): string {
	const sign = micros < 0 ? "-" : "";
	const abs = Math.abs(micros);
	return `${sign}${Math.floor(abs / 1_000_000)}.${String(abs % 1_000_000).padStart(6, "0")}`;
}

function cell(value: string): string {
	return value.includes(",") || value.includes('"') || value.includes("\n")
		? `"${value.replaceAll('"', '""')}"`
		: value;
}

export interface RenderOptions {
	groupBys: string[];
	metrics: string[];
	from: string;
	to: string;
	rows: ReportRowContext[];
	filters: { type: string; value: string }[];
	reportTime: Date;
	/** Fault: a header the connector does not expect. */
	malformedHeader?: boolean;
}

/** Renders the report CSV; rows are aggregated to the groupBy grain unless date and line item already make it unique. */
export function renderReportCsv(options: RenderOptions): string {
	const { groupBys, metrics, rows } = options;
	if (rows.length === 0) return EMPTY_REPORT;
	const dims = groupBys.map((g) => DIMENSIONS[g] as Dimension);
	const mets = metrics.map((m) => METRICS[m] as Metric);
	const header = [...dims.map(([name]) => name), ...mets.map(([name]) => name)];
	if (options.malformedHeader) header[dims.length] = `${header[dims.length]} (beta)`;
	const unique = groupBys.includes("FILTER_DATE") && groupBys.includes("FILTER_LINE_ITEM");
	const grouped = new Map<string, { dims: string; values: number[] }>();
	const totals = mets.map(() => 0);
	const lines: string[] = [header.map(cell).join(",")];
	for (const r of rows) {
		// Hot loop (benchmarks render hundreds of thousands of rows): no per-row arrays on the unique path.
		let line = "";
		for (let d = 0; d < dims.length; d++) {
			const [, value, quote] = dims[d] as Dimension;
			line += (d === 0 ? "" : ",") + (quote ? cell(value(r)) : value(r));
		}
		if (unique) {
			for (let m = 0; m < mets.length; m++) {
				const v = (mets[m] as Metric)[2](r.row);
				totals[m] = (totals[m] as number) + v;
				line += `,${format(mets, m, v)}`;
			}
			lines.push(line);
			continue;
		}
		const values = mets.map(([, , value]) => value(r.row));
		for (let i = 0; i < values.length; i++) totals[i] = (totals[i] as number) + (values[i] as number);
		const group = grouped.get(line);
		if (!group) grouped.set(line, { dims: line, values });
		else for (let i = 0; i < values.length; i++) group.values[i] = (group.values[i] as number) + (values[i] as number);
	}
	for (const group of grouped.values()) {
		lines.push(`${group.dims},${group.values.map((v, i) => format(mets, i, v)).join(",")}`);
	}
	lines.push(`${dims.map(() => "").join(",")},${totals.map((v, i) => format(mets, i, v)).join(",")}`);
	lines.push(
		"",
		...footer(
			options,
			dims.map(([name]) => name),
		),
	);
	return `${lines.join("\n")}\n`;
}

function format(mets: Metric[], i: number, value: number): string {
	return mets[i]?.[1] === "micros" ? formatMicros(value) : String(value);
}

function footer(options: RenderOptions, dimensionNames: string[]): string[] {
	const t = options.reportTime.toISOString();
	const slash = (iso: string) => iso.replaceAll("-", "/");
	return [
		`Report Time:,${slash(t.slice(0, 10))} ${t.slice(11, 16)} GMT`,
		`Date Range:,${slash(options.from)} to ${slash(options.to)}`,
		...dimensionNames.map((name) => `Group By:,${name}`),
		'MRC Accredited Metrics,"Active View metrics are accredited only when Measurement Source = Measured"',
		'"Reporting numbers from the previous month are finalized (for billing purposes) on the first of each month, unless communicated otherwise. Some numbers in reports may fluctuate for up to seven days before matching billing numbers."',
		...options.filters.map(
			(f) => `Filter by ${f.type === "FILTER_PARTNER" ? "Partner ID" : "Advertiser ID"}:,${f.value}`,
		),
	];
}

/** The delivery rows a report covers: the advertisers its filters select, by date then line item. */
export function reportRows(
	world: World,
	advertisers: Advertiser[],
	from: string,
	to: string,
	partnerIdOf: (orgId: string) => string,
): ReportRowContext[] {
	const out: ReportRowContext[] = [];
	const byOrg = new Map<string, Advertiser[]>();
	for (const a of advertisers) byOrg.set(a.orgId, [...(byOrg.get(a.orgId) ?? []), a]);
	for (const [orgId, list] of byOrg) {
		const org = world.org(orgId);
		const ids = new Map(list.map((a) => [a.id, a]));
		const campaigns = new Map(org.campaigns.map((c) => [c.id, c.name]));
		const lineItems = new Map(org.lineItems.map((li) => [li.id, li.name]));
		const names = (kind: "campaign" | "lineItem", id: string) =>
			(kind === "campaign" ? campaigns.get(id) : lineItems.get(id)) ?? "Unknown";
		const partnerId = partnerIdOf(orgId);
		for (const row of world.deliveryFor(orgId, "dv360", { from, to })) {
			const advertiser = ids.get(row.advertiserId);
			if (advertiser) out.push({ row, advertiser, partnerId, names });
		}
	}
	return out;
}
