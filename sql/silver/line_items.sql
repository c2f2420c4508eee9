-- model: silver.line_items
-- engine: duckdb
-- inputs: silver.stg_line_items
-- grain: one row per org, snapshot day (report_date = bronze fetch day), source and line item; the latest fetch of the day wins
-- tests: unique(org_id, report_date, source, line_item_id), not_null(org_id, report_date, source, account_id, campaign_id, insertion_order_id, line_item_id, line_item_type, fetched_at, request_id), accepted_values(line_item_type: 'line_item', 'ad_group', 'ad_set'), accepted_values(pacing: 'EVEN', 'AHEAD', 'ASAP'), expression((source = 'dv360') = (dv360_line_item_id IS NOT NULL) AND (source = 'ttd') = (ttd_ad_group_id IS NOT NULL) AND (source = 'meta') = (meta_ad_set_id IS NOT NULL))
-- version: 2
-- description: The level delivery is reported at, conformed across DSPs: DV360 line items, TTD ad groups and Meta ad sets, with flights, budgets and pacing; the source's own id is kept in its own column.

-- Records are typed and checked in silver.stg_line_items; every excluded one lands in silver.rejected_records.
-- Column rules (streams: DV360 `line_items`, TTD `ad_groups`, Meta `ad_sets`):
--   account_id        DV360 advertiserId, TTD AdvertiserId, Meta account_id; trimmed.
--   campaign_id       DV360 campaignId, TTD CampaignId, Meta campaign_id; trimmed.
--   insertion_order_id DV360 insertionOrderId; TTD and Meta: the campaign id (as their delivery reports it).
--   line_item_id      DV360 lineItemId, TTD AdGroupId, Meta id; trimmed. Any id empty, or a record that is not a
--                     JSON object → the record is excluded.
--   line_item_type    line_item, ad_group, ad_set; dv360_line_item_id / ttd_ad_group_id / meta_ad_set_id repeat the
--                     id in the column of its own source (NULL in the others).
--   name, status      DV360 displayName / entityStatus; TTD AdGroupName / ENABLED|DISABLED from IsEnabled;
--                     Meta name / effective_status.
--   flight_start/end  DV360 flight.dateRange {year, month, day} (NULL when the flight is inherited from the IO);
--                     TTD the campaign flight named by RTBAttributes.BudgetSettings.AdGroupFlights[0]
--                     .CampaignFlightId in the same day's TTD campaigns (StartDateInclusiveUTC, EndDateExclusiveUTC
--                     minus one day), NULL when not found; Meta start_time / end_time date part (account time zone).
--   budget            DV360 budget.maxAmount / 1,000,000 when budgetUnit is BUDGET_UNIT_CURRENCY; TTD
--                     RTBAttributes.BudgetSettings.Budget.Amount; Meta lifetime_budget / 100 when > 0.
--                     DECIMAL(18,2) rounded half away from zero; negative or unparsable → NULL.
--   daily_budget      DV360 pacing.dailyMaxMicros / 1,000,000; TTD ...DailyBudget.Amount; Meta daily_budget / 100
--                     when > 0.
--   currency          TTD ...Budget.CurrencyCode; DV360 and Meta NULL (the advertiser's currency applies).
--   pacing            DV360 pacing.pacingType without PACING_TYPE_; TTD PaceEvenly → EVEN, PaceAhead → AHEAD,
--                     PaceAsSoonAsPossible → ASAP; Meta pacing_type[0] standard → EVEN, no_pacing → ASAP.
--                     pacing_raw keeps the source value.
--   dedup             per (org, day, source, line item) the latest fetched_at wins, then the greater request_id.
WITH ranked AS (
    SELECT *, row_number() OVER (
        PARTITION BY org_id, report_date, source, line_item_id ORDER BY fetched_at DESC, request_id DESC, record_index DESC
    ) AS fetch_rank
    FROM silver.stg_line_items
    WHERE reject_reason IS NULL
)
SELECT
    org_id,
    report_date,
    source,
    account_id,
    campaign_id,
    insertion_order_id,
    line_item_id,
    CASE source WHEN 'dv360' THEN 'line_item' WHEN 'ttd' THEN 'ad_group' ELSE 'ad_set' END AS line_item_type,
    CASE WHEN source = 'dv360' THEN line_item_id END AS dv360_line_item_id,
    CASE WHEN source = 'ttd' THEN line_item_id END AS ttd_ad_group_id,
    CASE WHEN source = 'meta' THEN line_item_id END AS meta_ad_set_id,
    name,
    status,
    flight_start,
    flight_end,
    CAST(CASE WHEN budget_exact >= 0 THEN budget_exact END AS DECIMAL(18, 2)) AS budget,
    CAST(CASE WHEN daily_exact >= 0 THEN daily_exact END AS DECIMAL(18, 2)) AS daily_budget,
    currency,
    CASE
        WHEN pacing_raw IN ('PACING_TYPE_EVEN', 'PaceEvenly', 'standard') THEN 'EVEN'
        WHEN pacing_raw IN ('PACING_TYPE_AHEAD', 'PaceAhead') THEN 'AHEAD'
        WHEN pacing_raw IN ('PACING_TYPE_ASAP', 'PaceAsSoonAsPossible', 'no_pacing') THEN 'ASAP'
    END AS pacing,
    pacing_raw,
    fetched_at,
    request_id,
    'silver.line_items@v2' AS transform_version
FROM ranked
WHERE fetch_rank = 1
