-- model: silver.stg_line_items
-- engine: duckdb
-- inputs: bronze.raw_records
-- grain: one row per bronze DV360 line_items, TTD ad_groups and Meta ad_sets record (every fetch, valid or not), with its typed columns and why it is rejected
-- tests: not_null(org_id, report_date, source, stream, request_id, record_index), accepted_values(source: 'dv360', 'ttd', 'meta'), accepted_values(reject_reason: 'bad_record', 'missing_id')
-- version: 2
-- description: DSP line item, ad group and ad set records typed per the column rules of silver.line_items; an intermediate that silver.line_items, silver.rejected_records and silver.quality read. Not written to the lake.

-- Column rules: see silver.line_items. TTD campaigns records are read only for their flights (they are staged,
-- and rejected, by silver.stg_campaigns). budget_exact and daily_exact are the budgets before the sign check and
-- rounding; pacing_raw is the source's pacing value. reject_reason is the first failing rule (null = valid):
--   bad_record   the record is not a JSON object.
--   missing_id   empty account, campaign, insertion order (DV360; TTD and Meta: the campaign) or line item id.
--   is_complete  the four ids and the name present (for silver.quality).
WITH records AS (
    SELECT
        org_id, report_date, source, stream, request_id, record_index, fetched_at, ingested_at, record,
        try_cast(record AS JSON) AS j,
        -- A TTD ad group's flight, looked up in the day's TTD campaigns (a plain column keeps the join a hash join).
        CASE WHEN source = 'ttd' AND stream = 'ad_groups'
            THEN try_cast(record AS JSON) ->> '$.RTBAttributes.BudgetSettings.AdGroupFlights[0].CampaignFlightId'
        END AS ttd_flight_id
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
        r.org_id, r.report_date, r.source, r.stream, r.request_id, r.record_index, r.fetched_at, r.ingested_at, r.record,
        json_type(j) IS DISTINCT FROM 'OBJECT' AS is_bad_record,
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
                THEN try_cast(j ->> '$.budget.maxAmount' AS DECIMAL(38, 6)) * 0.000001 END
            WHEN 'ttd' THEN try_cast(j ->> '$.RTBAttributes.BudgetSettings.Budget.Amount' AS DECIMAL(38, 6))
            ELSE nullif(try_cast(j ->> 'lifetime_budget' AS DECIMAL(38, 6)), 0) * 0.01
        END AS budget_exact,
        CASE r.source
            WHEN 'dv360' THEN try_cast(j ->> '$.pacing.dailyMaxMicros' AS DECIMAL(38, 6)) * 0.000001
            WHEN 'ttd' THEN try_cast(j ->> '$.RTBAttributes.BudgetSettings.DailyBudget.Amount' AS DECIMAL(38, 6))
            ELSE nullif(try_cast(j ->> 'daily_budget' AS DECIMAL(38, 6)), 0) * 0.01
        END AS daily_exact,
        CASE r.source WHEN 'ttd' THEN upper(trim(j ->> '$.RTBAttributes.BudgetSettings.Budget.CurrencyCode')) END AS currency,
        CASE r.source
            WHEN 'dv360' THEN j ->> '$.pacing.pacingType'
            WHEN 'ttd' THEN j ->> '$.RTBAttributes.BudgetSettings.PacingMode'
            ELSE j ->> '$.pacing_type[0]'
        END AS pacing_raw
    FROM records AS r
    LEFT JOIN ttd_flights AS f
        ON f.org_id = r.org_id AND f.report_date = r.report_date AND f.flight_id = r.ttd_flight_id
    WHERE r.stream <> 'campaigns'
)
SELECT
    org_id, report_date, source, stream, request_id, record_index, fetched_at, ingested_at, record,
    account_id, campaign_id, insertion_order_id, line_item_id, name, status, flight_start, flight_end,
    budget_exact, daily_exact, currency, pacing_raw,
    account_id IS NOT NULL AND campaign_id IS NOT NULL AND insertion_order_id IS NOT NULL AND line_item_id IS NOT NULL
        AND nullif(trim(name), '') IS NOT NULL AS is_complete,
    CASE
        WHEN is_bad_record THEN 'bad_record'
        WHEN account_id IS NULL OR campaign_id IS NULL OR insertion_order_id IS NULL OR line_item_id IS NULL
            THEN 'missing_id'
    END AS reject_reason
FROM typed
