/**
 * DV360 API v4 entities (source-apis.md §1.4): advertisers (listed by partner
 * or fetched one by one), then per advertiser its campaigns, insertion
 * orders (budget segments) and line items (flight, budget, pacing), each list
 * paged with `pageToken` to the end. Lists leave ARCHIVED entities out unless
 * the filter names entityStatus; archived line items still carry delivery
 * inside a re-pulled window, so every status is asked for.
 */
import type { RawPage } from "../../source.ts";
import { type Dv360Run, parseObject } from "./run-state.ts";

/** Largest page the v4 list methods accept. */
const PAGE_SIZE = 200;

const ALL_STATUSES = [
	"ENTITY_STATUS_ACTIVE",
	"ENTITY_STATUS_PAUSED",
	"ENTITY_STATUS_DRAFT",
	"ENTITY_STATUS_ARCHIVED",
	"ENTITY_STATUS_SCHEDULED_FOR_DELETION",
]
	.map((status) => `entityStatus="${status}"`)
	.join(" OR ");

const CHILD_LISTS = [
	{ stream: "campaigns", path: "campaigns", field: "campaigns" },
	{ stream: "insertion_orders", path: "insertionOrders", field: "insertionOrders" },
	{ stream: "line_items", path: "lineItems", field: "lineItems" },
] as const;

export interface ListSpec {
	stream: string;
	account: string;
	/** URL with its own query string, without paging parameters. */
	url: string;
	field: string;
	bucket: string;
}

/** Pages a v4 list to the end, emitting each page raw; returns the items, or undefined when a page was rejected. */
export async function listAll(run: Dv360Run, spec: ListSpec): Promise<Record<string, unknown>[] | undefined> {
	const items: Record<string, unknown>[] = [];
	let token: string | undefined;
	for (let n = 0; ; n++) {
		const params = new URLSearchParams({ pageSize: String(PAGE_SIZE) });
		if (token) params.set("pageToken", token);
		const url = `${spec.url}${spec.url.includes("?") ? "&" : "?"}${params}`;
		const response = await run.ctx.http.request({ method: "GET", url, bucket: spec.bucket, account: spec.account });
		const page: RawPage = {
			stream: spec.stream,
			account: spec.account,
			pageKey: `page:${n}`,
			page: n,
			contentType: "application/json",
			body: response.text,
			request: { method: "GET", url },
		};
		const json = parseObject(response.text);
		const list = json?.[spec.field] ?? [];
		const next = json?.nextPageToken;
		if (!json || !Array.isArray(list) || (next !== undefined && typeof next !== "string")) {
			await run.reject(page, `malformed ${spec.stream} list page: expected {"${spec.field}": [...], "nextPageToken"?}`);
			return undefined;
		}
		await run.emit(page, list.length);
		items.push(...(list as Record<string, unknown>[]));
		// An empty token is how some Google APIs say "last page".
		if (!next) return items;
		token = next;
	}
}

/** Emits the advertisers and returns the ids whose campaigns, IOs and line items to pull. */
export async function pullAdvertisers(run: Dv360Run): Promise<string[]> {
	const { partnerId, apiUrl } = run;
	if (partnerId) {
		const listed = await listAll(run, {
			stream: "advertisers",
			account: partnerId,
			url: `${apiUrl}/v4/advertisers?partnerId=${encodeURIComponent(partnerId)}`,
			field: "advertisers",
			bucket: `dv360:partner:${partnerId}`,
		});
		if (run.advertiserIds.length > 0) return run.advertiserIds;
		return (listed ?? []).map((a) => a.advertiserId).filter((id): id is string => typeof id === "string");
	}
	const ids: string[] = [];
	for (const id of run.advertiserIds) {
		const url = `${apiUrl}/v4/advertisers/${encodeURIComponent(id)}`;
		const response = await run.ctx.http.request({ method: "GET", url, bucket: `dv360:advertiser:${id}`, account: id });
		const page: RawPage = {
			stream: "advertisers",
			account: id,
			pageKey: "advertiser",
			page: 0,
			contentType: "application/json",
			body: response.text,
			request: { method: "GET", url },
		};
		if (parseObject(response.text)?.advertiserId !== id) {
			await run.reject(page, "malformed advertiser: expected an Advertiser with this advertiserId");
			continue;
		}
		await run.emit(page, 1);
		ids.push(id);
	}
	return ids;
}

/** The campaign, insertion order and line item lists of one advertiser, each to be paged to the end. */
export function advertiserLists(run: Dv360Run, advertiserId: string): ListSpec[] {
	const filter = encodeURIComponent(ALL_STATUSES);
	return CHILD_LISTS.map((list) => ({
		stream: list.stream,
		account: advertiserId,
		url: `${run.apiUrl}/v4/advertisers/${encodeURIComponent(advertiserId)}/${list.path}?filter=${filter}`,
		field: list.field,
		bucket: `dv360:advertiser:${advertiserId}`,
	}));
}
