/**
 * The usage headers the Meta simulator puts on every API response
 * (source-apis.md §3.3) and the throttle, if any, that applies to a request:
 * `X-App-Usage` (percent of the app's hourly budget), `X-Ad-Account-Usage`
 * (`acc_id_util_pct`, `reset_time_duration` in seconds),
 * `X-Business-Use-Case-Usage` keyed by the ad account
 * (`estimated_time_to_regain_access` in minutes) and, on insights routes,
 * `x-fb-ads-insights-throttle`.
 */
import type { FaultState, MetaRoute } from "./meta-faults.ts";
import { activeThrottle, bucType, isBucCode, throttleError } from "./meta-faults.ts";

const BASELINE_PCT = 2;
const NEAR_LIMIT_PCT = 96;

export interface Usage {
	headers: Record<string, string>;
	throttle?: { message: string; code: number; error_subcode?: number };
}

export function usageHeaders(state: FaultState, nowMs: number, account: string | undefined, route: MetaRoute): Usage {
	let throttle = activeThrottle(state, nowMs, account);
	let near = false;
	if (!throttle && nowMs < state.nearLimitUntilMs) {
		// The first response in the window warns (96 %); a client that does not pause crosses 100 %.
		if (state.nearLimitWarned) throttle = { code: 80000, untilMs: state.nearLimitUntilMs };
		else {
			state.nearLimitWarned = true;
			near = true;
		}
	}
	const remainingMs = throttle ? throttle.untilMs - nowMs : 0;
	const code = throttle?.code ?? 0;
	const appPct = code === 4 || code === 32 ? 100 : BASELINE_PCT;
	const headers: Record<string, string> = {
		"x-app-usage": JSON.stringify({ call_count: appPct, total_cputime: BASELINE_PCT, total_time: appPct }),
	};
	if (account !== undefined) {
		const adAccountHit = code === 17 || code === 613;
		headers["x-ad-account-usage"] = JSON.stringify({
			acc_id_util_pct: adAccountHit ? 100 : near ? NEAR_LIMIT_PCT : BASELINE_PCT,
			reset_time_duration: adAccountHit ? Math.ceil(remainingMs / 1000) : 0,
			ads_api_access_tier: "standard_access",
		});
		const hitType = isBucCode(code) ? bucType(code) : undefined;
		const entry = (type: string) => {
			const hit = type === hitType;
			const pct = hit ? 100 : near ? NEAR_LIMIT_PCT : BASELINE_PCT;
			return {
				type,
				call_count: pct,
				total_cputime: hit ? pct : BASELINE_PCT,
				total_time: pct,
				estimated_time_to_regain_access: hit ? Math.ceil(remainingMs / 60_000) : 0,
			};
		};
		const types = ["ads_insights", "ads_management"];
		if (hitType && !types.includes(hitType)) types.push(hitType);
		headers["x-business-use-case-usage"] = JSON.stringify({ [account]: types.map(entry) });
	}
	if (route === "report" || route === "results" || route === "status")
		headers["x-fb-ads-insights-throttle"] = JSON.stringify({ app_id_util_pct: appPct, acc_id_util_pct: BASELINE_PCT });
	return { headers, throttle: throttle ? throttleError(throttle.code) : undefined };
}
