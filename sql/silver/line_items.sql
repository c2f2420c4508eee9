-- model: silver.line_items
-- engine: duckdb
-- inputs: bronze.raw_records
-- grain: one row per org, snapshot day (report_date = bronze fetch day), source and line item; the latest fetch of the day wins
-- tests: unique(org_id, report_date, source, line_item_id), not_null(org_id, report_date, source, account_id, campaign_id, insertion_order_id, line_item_id, line_item_type, fetched_at, request_id), accepted_values(line_item_type: 'line_item', 'ad_group', 'ad_set'), accepted_values(pacing: 'EVEN', 'AHEAD', 'ASAP'), expression((source = 'dv360') = (dv360_line_item_id IS NOT NULL) AND (source = 'ttd') = (ttd_ad_group_id IS NOT NULL) AND (source = 'meta') = (meta_ad_set_id IS NOT NULL))
-- version: 1
-- description: The level delivery is reported at, conformed across DSPs: DV360 line items, TTD ad groups and Meta ad sets, with flights, budgets and pacing; the source's own id is kept in its own column.

-- Column rules (streams: DV360 `line_items`, TTD `ad_groups`, Meta `ad_sets`):
--   account_id        DV360 advertiserId, TTD AdvertiserId, Meta account_id; trimmed.
--   campaign_id       DV360 campaignId, TTD CampaignId, Meta campaign_id; trimmed.
--   insertion_order_id DV360 insertionOrderId; TTD and Meta: the campaign id (as their delivery reports it).
--   line_item_id      DV360 lineItemId, TTD AdGroupId, Meta id; trimmed. Any id empty → the record is excluded.
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
WITH records AS (
    SELECT org_id, report_date, source, stream, request_id, record_index, fetched_at, try_cast(record AS JSON) AS j
    FROM bronze.raw_records
    WHERE (source, stream) IN (('dv360', 'line_items'), ('ttd', 'ad_groups'), ('meta', 'ad_sets'), ('ttd', 'campaigns'))
),
ttd_flights AS (
    SELECT
        org_id,
        report_date,
        f ->> 'CampaignFlightId' AS flight_id,
        arg_max(try_cast(left(f ->> 'StartDateInclusiveUTC', 10) AS DATE), fetched_at) AS flight_start,
        arg_max(try_cast(left(f ->> 'EndDateExclusiveUTC', 10) AS DATE) - 1, fetched_at) AS flight_end
    FROM (SELECT org_id, report_date, fetched_at, unnest(json_extract(j, '$.CampaignFlights[*]')) AS f
          FROM records WHERE stream = 'campaigns')
    GROUP BY ALL
),
typed AS (
    SELECT
        r.org_id,
        r.report_date,
        r.source,
        nullif(trim(CASE r.source WHEN 'dv360' THEN j ->> 'advertiserId' WHEN 'ttd' THEN j ->> 'AdvertiserId' ELSE j ->> 'account_id' END), '') AS account_id,
        nullif(trim(CASE r.source WHEN 'dv360' THEN j ->> 'campaignId' WHEN 'ttd' THEN j ->> 'CampaignId' ELSE j ->> 'campaign_id' END), '') AS campaign_id,
        nullif(trim(CASE r.source WHEN 'dv360' THEN j ->> 'insertionOrderId' WHEN 'ttd' THEN j ->> 'CampaignId' ELSE j ->> 'campaign_id' END), '') AS insertion_order_id,
        nullif(trim(CASE r.source WHEN 'dv360' THEN j ->> 'lineItemId' WHEN 'ttd' THEN j ->> 'AdGroupId' ELSE j ->> 'id' END), '') AS line_item_id,
        CASE r.source WHEN 'dv360' THEN j ->> 'displayName' WHEN 'ttd' THEN j ->> 'AdGroupName' ELSE j ->> 'name' END AS name,
        CASE r.source
            WHEN 'dv360' THEN j ->> 'entityStatus'
            WHEN 'ttd' THEN CASE (j ->> 'IsEnabled') WHEN 'true' THEN 'ENABLED' WHEN 'false' THEN 'DISABLED' END
            ELSE j ->> 'effective_status'
        END AS status,
        CASE r.source
            WHEN 'dv360' THEN try_cast(make_date(
                try_cast(j ->> '$.flight.dateRange.startDate.year' AS BIGINT),
                try_cast(j ->> '$.flight.dateRange.startDate.month' AS BIGINT),
                try_cast(j ->> '$.flight.dateRange.startDate.day' AS BIGINT)) AS DATE)
            WHEN 'ttd' THEN f.flight_start
            ELSE try_cast(left(j ->> 'start_time', 10) AS DATE)
        END AS flight_start,
        CASE r.source
            WHEN 'dv360' THEN try_cast(make_date(
                try_cast(j ->> '$.flight.dateRange.endDate.year' AS BIGINT),
                try_cast(j ->> '$.flight.dateRange.endDate.month' AS BIGINT),
                try_cast(j ->> '$.flight.dateRange.endDate.day' AS BIGINT)) AS DATE)
            WHEN 'ttd' THEN f.flight_end
            ELSE try_cast(left(j ->> 'end_time', 10) AS DATE)
        END AS flight_end,
        CASE r.source
            WHEN 'dv360' THEN CASE WHEN (j ->> '$.budget.budgetUnit') = 'BUDGET_UNIT_CURRENCY'
                THEN try_cast(j ->> '$.budget.maxAmount' AS DECIMAL(38, 6)) / 1000000 END
            WHEN 'ttd' THEN try_cast(j ->> '$.RTBAttributes.BudgetSettings.Budget.Amount' AS DECIMAL(38, 6))
            ELSE nullif(try_cast(j ->> 'lifetime_budget' AS DECIMAL(38, 6)), 0) / 100
        END AS budget_exact,
        CASE r.source
            WHEN 'dv360' THEN try_cast(j ->> '$.pacing.dailyMaxMicros' AS DECIMAL(38, 6)) / 1000000
            WHEN 'ttd' THEN try_cast(j ->> '$.RTBAttributes.BudgetSettings.DailyBudget.Amount' AS DECIMAL(38, 6))
            ELSE nullif(try_cast(j ->> 'daily_budget' AS DECIMAL(38, 6)), 0) / 100
        END AS daily_exact,
        CASE r.source WHEN 'ttd' THEN upper(trim(j ->> '$.RTBAttributes.BudgetSettings.Budget.CurrencyCode')) END AS currency,
        CASE r.source
            WHEN 'dv360' THEN j ->> '$.pacing.pacingType'
            WHEN 'ttd' THEN j ->> '$.RTBAttributes.BudgetSettings.PacingMode'
            ELSE j ->> '$.pacing_type[0]'
        END AS pacing_raw,
        r.fetched_at,
        r.request_id,
        r.record_index
    FROM records AS r
    LEFT JOIN ttd_flights AS f
        ON r.source = 'ttd' AND f.org_id = r.org_id AND f.report_date = r.report_date
        AND f.flight_id = (j ->> '$.RTBAttributes.BudgetSettings.AdGroupFlights[0].CampaignFlightId')
    WHERE r.stream <> 'campaigns'
),
ranked AS (
    SELECT *, row_number() OVER (
        PARTITION BY org_id, report_date, source, line_item_id ORDER BY fetched_at DESC, request_id DESC, record_index DESC
    ) AS fetch_rank
    FROM typed
    WHERE account_id IS NOT NULL AND campaign_id IS NOT NULL AND insertion_order_id IS NOT NULL AND line_item_id IS NOT NULL
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
    'silver.line_items@v1' AS transform_version
FROM ranked
WHERE fetch_rank = 1
