/**
 * Campaigns and ad sets of an ad account with their budgets (daily or
 * lifetime, minor units as strings; the unused one is "0") and schedules
 * (`start_time`, `stop_time`/`end_time`), paged with cursors until
 * `paging.next` is absent.
 */
import { redactUrl } from "../../redact.ts";
import type { RawPage } from "../../source.ts";
import { missingFields, readGraphPage } from "./pages.ts";
import type { MetaRun } from "./run-state.ts";

export interface EntityList {
	edge: "campaigns" | "adsets";
	stream: "campaigns" | "ad_sets";
	fields: string[];
}

export const CAMPAIGNS: EntityList = {
	edge: "campaigns",
	stream: "campaigns",
	fields: [
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
	],
};

export const AD_SETS: EntityList = {
	edge: "adsets",
	stream: "ad_sets",
	fields: [
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
	],
};

/** Pages through one entity list of one account, emitting each page; a malformed page is rejected. */
export async function pullEntities(run: MetaRun, account: string, list: EntityList): Promise<void> {
	let next: string | null = `act_${account}/${list.edge}`;
	let params: Record<string, string> | undefined = {
		fields: list.fields.join(","),
		limit: String(run.settings.entityPageSize),
	};
	for (let n = 0; next; n++) {
		const response = await run.get(account, next, params);
		params = undefined;
		const raw = (body: string): RawPage => ({
			stream: list.stream,
			account,
			pageKey: `page:${n}`,
			page: n,
			contentType: "application/json",
			body,
			request: { method: "GET", url: redactUrl(response.url) },
		});
		const page = readGraphPage(response.text);
		if (!page.ok) {
			// Without the page there is no cursor to go on with.
			await run.reject(raw(response.text), `${list.stream} page ${n}: ${page.reason}`);
			return;
		}
		next = page.next;
		const problem = missingFields(page.rows, ["id"]);
		if (problem) await run.reject(raw(response.text), `${list.stream} page ${n}: ${problem}`);
		else await run.emit(raw(page.body), page.rows.length);
	}
}
