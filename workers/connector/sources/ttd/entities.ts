/**
 * TTD entities (source-apis.md §2.3): the configured advertisers, and their
 * campaigns and ad groups through the query endpoints, paged with
 * PageStartIndex/PageSize until `TotalFilteredCount` is reached. Each response
 * page is emitted raw; a malformed page is quarantined and, when the total is
 * known, paging goes on past it.
 */
import type { HttpResponse, RawPage, SourceRunContext } from "../../source.ts";
import { parseObject, type TtdSettings } from "./settings.ts";

export interface Counts {
	pages: number;
	rows: number;
	rejected: number;
}

/** Pulls the advertiser, its campaigns and its ad groups. */
export async function pullEntities(
	context: SourceRunContext,
	settings: TtdSettings,
	advertiserId: string,
	counts: Counts,
) {
	const url = `${settings.apiUrl}/advertiser/${encodeURIComponent(advertiserId)}`;
	const response = await send(context, { method: "GET", url, account: advertiserId });
	if (response) {
		const page = rawPage("advertisers", advertiserId, "advertiser", 0, response, "GET", url);
		const json = parseObject(response.text);
		if (json && typeof json.AdvertiserId === "string") {
			await context.emit(page);
			counts.pages++;
			counts.rows++;
		} else {
			await context.reject(page, json ? "advertiser response lacks AdvertiserId" : "advertiser response is not JSON");
			counts.rejected++;
		}
	}
	await pageQuery(context, settings, "campaigns", "/campaign/query/advertiser", advertiserId, counts);
	await pageQuery(context, settings, "ad_groups", "/adgroup/query/advertiser", advertiserId, counts);
}

async function pageQuery(
	context: SourceRunContext,
	settings: TtdSettings,
	stream: string,
	path: string,
	advertiserId: string,
	counts: Counts,
): Promise<void> {
	const url = `${settings.apiUrl}${path}`;
	let start = 0;
	let total: number | null = null;
	for (let page = 0; total === null || start < total; page++) {
		const body = { AdvertiserId: advertiserId, PageStartIndex: start, PageSize: settings.pageSize };
		const response = await send(context, { method: "POST", url, body, account: advertiserId });
		// Pages are keyed by offset: stable across runs of the same window and page size.
		const key = `page:${start}`;
		const result = response ? parsePage(response.text) : null;
		if (response && result !== null && typeof result === "object") {
			await context.emit(rawPage(stream, advertiserId, key, page, response, "POST", url));
			counts.pages++;
			counts.rows += result.count;
			total = result.total;
			if (result.count === 0) break;
			start += result.count;
			continue;
		}
		if (response) {
			await context.reject(rawPage(stream, advertiserId, key, page, response, "POST", url), result as string);
			counts.rejected++;
		}
		// A page lost to the DLQ or quarantined: skip past it when we know where the end is.
		if (total === null) break;
		start += settings.pageSize;
	}
}

function parsePage(text: string): { count: number; total: number } | string {
	const json = parseObject(text);
	if (!json) return "query response is not a JSON object";
	if (!Array.isArray(json.Result)) return "query response lacks a Result array";
	if (typeof json.TotalFilteredCount !== "number") return "query response lacks TotalFilteredCount";
	return { count: json.Result.length, total: json.TotalFilteredCount };
}

/**
 * One API call through the framework's policy; null when the policy gave up
 * (the request is already in the DLQ) so the run goes on with the next one.
 */
export async function send(
	context: SourceRunContext,
	request: { method: "GET" | "POST" | "DELETE"; url: string; body?: unknown; account: string },
): Promise<HttpResponse | null> {
	try {
		return await context.http.request({
			...request,
			headers: {
				accept: "application/json",
				...(request.body === undefined ? {} : { "content-type": "application/json" }),
			},
			bucket: "ttd",
		});
	} catch (error) {
		if (context.signal.aborted) throw error;
		context.logger.warn("ttd request failed", { method: request.method, url: request.url, error });
		return null;
	}
}

export function rawPage(
	stream: string,
	account: string,
	pageKey: string,
	page: number,
	response: HttpResponse,
	method: string,
	url: string,
	contentType = "application/json",
): RawPage {
	return { stream, account, pageKey, page, contentType, body: response.text, request: { method, url } };
}
