-- model: silver.stg_line_items
-- engine: duckdb
-- inputs: bronze.raw_records
-- grain: one row per bronze DV360 line_items, TTD ad_groups and Meta ad_sets record (every fetch, valid or not), with its typed columns and why it is rejected
-- tests: not_null(org_id, report_date, source, stream, request_id, record_index), accepted_values(source: 'dv360', 'ttd', 'meta'), accepted_values(reject_reason: 'bad_record', 'missing_id')
-- version: 3
-- description: DSP line item, ad group and ad set records typed per the column rules of silver.line_items; an intermediate that silver.line_items, silver.rejected_records and silver.quality read. Not written to the lake.

-- Column rules: see silver.line_items. TTD campaigns records are read only for their flights (they are staged,
-- and rejected, by silver.stg_campaigns). budget_exact and daily_exact are the budgets before the sign check and
-- rounding; pacing_raw is the source's pacing value. reject_reason is the first failing rule (null = valid):
--   bad_record   the record is not a JSON object.
--   missing_id   empty account, campaign, insertion order (DV360; TTD and Meta: the campaign) or line item id.
--   is_complete  the four ids and the name present (for silver.quality).
-- Parsing: each record is parsed once, by json_transform into a struct (DuckDB's JSON type is text, so every ->>
-- would parse the whole record again). A budget text is cast to DECIMAL(18, 6) and only when that fails (10^12 or
-- more, or not a number) to DECIMAL(38, 6): the same value, but the narrow cast is ~50x faster.
WITH records AS (
    -- The struct of the record's source (dv, ttd, meta; ttd_campaign holds the flights of a TTD campaigns record):
    -- a field the record lacks, or whose JSON type does not fit, is NULL, and TRY gives NULL for text that is not
    -- JSON. One struct per source because DuckDB struct field names ignore case (DV360 advertiserId and TTD
    -- AdvertiserId must stay apart). Leaves are VARCHAR, the text ->> gives (true/false for booleans, the JSON text
    -- of a number); lists are 1-based.
    SELECT
        org_id, report_date, source, stream, request_id, record_index, fetched_at, ingested_at, record,
        CASE WHEN source = 'dv360' THEN TRY(json_transform(record, '{
            "advertiserId": "VARCHAR", "campaignId": "VARCHAR", "insertionOrderId": "VARCHAR", "lineItemId": "VARCHAR",
            "displayName": "VARCHAR", "entityStatus": "VARCHAR",
            "flight": {"dateRange": {
                "startDate": {"year": "VARCHAR", "month": "VARCHAR", "day": "VARCHAR"},
                "endDate": {"year": "VARCHAR", "month": "VARCHAR", "day": "VARCHAR"}}},
            "budget": {"budgetUnit": "VARCHAR", "maxAmount": "VARCHAR"},
            "pacing": {"pacingType": "VARCHAR", "dailyMaxMicros": "VARCHAR"}
        }')) END AS dv,
        CASE WHEN source = 'ttd' AND stream = 'ad_groups' THEN TRY(json_transform(record, '{
            "AdvertiserId": "VARCHAR", "CampaignId": "VARCHAR", "AdGroupId": "VARCHAR", "AdGroupName": "VARCHAR",
            "IsEnabled": "VARCHAR",
            "RTBAttributes": {"BudgetSettings": {
                "Budget": {"Amount": "VARCHAR", "CurrencyCode": "VARCHAR"}, "DailyBudget": {"Amount": "VARCHAR"},
                "PacingMode": "VARCHAR", "AdGroupFlights": [{"CampaignFlightId": "VARCHAR"}]}}
        }')) END AS ttd,
        CASE WHEN source = 'meta' THEN TRY(json_transform(record, '{
            "account_id": "VARCHAR", "campaign_id": "VARCHAR", "id": "VARCHAR", "name": "VARCHAR",
            "effective_status": "VARCHAR", "start_time": "VARCHAR", "end_time": "VARCHAR",
            "lifetime_budget": "VARCHAR", "daily_budget": "VARCHAR", "pacing_type": ["VARCHAR"]
        }')) END AS meta,
        CASE WHEN stream = 'campaigns' THEN TRY(json_transform(record, '{
            "CampaignFlights": [{"CampaignFlightId": "VARCHAR", "StartDateInclusiveUTC": "VARCHAR", "EndDateExclusiveUTC": "VARCHAR"}]
        }')) END AS ttd_campaign
    FROM bronze.raw_records
    WHERE stream IN ('line_items', 'ad_groups', 'ad_sets', 'campaigns')
        AND (source, stream) IN (('dv360', 'line_items'), ('ttd', 'ad_groups'), ('meta', 'ad_sets'), ('ttd', 'campaigns'))
),
entities AS (
    -- A TTD ad group's flight, looked up in the day's TTD campaigns (a plain column keeps the join a hash join).
    SELECT *, ttd.RTBAttributes.BudgetSettings.AdGroupFlights[1].CampaignFlightId AS ttd_flight_id
    FROM records
    WHERE stream <> 'campaigns'
),
ttd_flights AS (
    SELECT
        org_id,
        report_date,
        f.CampaignFlightId AS flight_id,
        arg_max(try_cast(left(f.StartDateInclusiveUTC, 10) AS DATE), fetched_at) AS flight_start,
        arg_max(try_cast(left(f.EndDateExclusiveUTC, 10) AS DATE) - 1, fetched_at) AS flight_end
    FROM (SELECT org_id, report_date, fetched_at, unnest(ttd_campaign.CampaignFlights) AS f
          FROM records WHERE stream = 'campaigns')
    GROUP BY ALL
),
typed AS (
    SELECT
        r.org_id, r.report_date, r.source, r.stream, r.request_id, r.record_index, r.fetched_at, r.ingested_at, r.record,
        -- A record that parsed and starts with '{' is an object; only the others (not JSON, an array, a scalar, or
        -- leading white space) are parsed again to tell.
        CASE WHEN starts_with(r.record, '{') AND (r.dv IS NOT NULL OR r.ttd IS NOT NULL OR r.meta IS NOT NULL) THEN false
            ELSE json_type(try_cast(r.record AS JSON)) IS DISTINCT FROM 'OBJECT'
        END AS is_bad_record,
        nullif(trim(CASE r.source WHEN 'dv360' THEN r.dv.advertiserId WHEN 'ttd' THEN r.ttd.AdvertiserId ELSE r.meta.account_id END), '') AS account_id,
        nullif(trim(CASE r.source WHEN 'dv360' THEN r.dv.campaignId WHEN 'ttd' THEN r.ttd.CampaignId ELSE r.meta.campaign_id END), '') AS campaign_id,
        nullif(trim(CASE r.source WHEN 'dv360' THEN r.dv.insertionOrderId WHEN 'ttd' THEN r.ttd.CampaignId ELSE r.meta.campaign_id END), '') AS insertion_order_id,
        nullif(trim(CASE r.source WHEN 'dv360' THEN r.dv.lineItemId WHEN 'ttd' THEN r.ttd.AdGroupId ELSE r.meta.id END), '') AS line_item_id,
        CASE r.source WHEN 'dv360' THEN r.dv.displayName WHEN 'ttd' THEN r.ttd.AdGroupName ELSE r.meta.name END AS name,
        CASE r.source
            WHEN 'dv360' THEN r.dv.entityStatus
            WHEN 'ttd' THEN CASE r.ttd.IsEnabled WHEN 'true' THEN 'ENABLED' WHEN 'false' THEN 'DISABLED' END
            ELSE r.meta.effective_status
        END AS status,
        CASE r.source
            WHEN 'dv360' THEN try_cast(make_date(
                try_cast(r.dv.flight.dateRange.startDate.year AS BIGINT),
                try_cast(r.dv.flight.dateRange.startDate.month AS BIGINT),
                try_cast(r.dv.flight.dateRange.startDate.day AS BIGINT)) AS DATE)
            WHEN 'ttd' THEN f.flight_start
            ELSE try_cast(left(r.meta.start_time, 10) AS DATE)
        END AS flight_start,
        CASE r.source
            WHEN 'dv360' THEN try_cast(make_date(
                try_cast(r.dv.flight.dateRange.endDate.year AS BIGINT),
                try_cast(r.dv.flight.dateRange.endDate.month AS BIGINT),
                try_cast(r.dv.flight.dateRange.endDate.day AS BIGINT)) AS DATE)
            WHEN 'ttd' THEN f.flight_end
            ELSE try_cast(left(r.meta.end_time, 10) AS DATE)
        END AS flight_end,
        CASE r.source
            WHEN 'dv360' THEN CASE WHEN r.dv.budget.budgetUnit = 'BUDGET_UNIT_CURRENCY'
                THEN coalesce(try_cast(r.dv.budget.maxAmount AS DECIMAL(18, 6)), try_cast(r.dv.budget.maxAmount AS DECIMAL(38, 6))) * 0.000001 END
            WHEN 'ttd' THEN coalesce(try_cast(r.ttd.RTBAttributes.BudgetSettings.Budget.Amount AS DECIMAL(18, 6)), try_cast(r.ttd.RTBAttributes.BudgetSettings.Budget.Amount AS DECIMAL(38, 6)))
            ELSE nullif(coalesce(try_cast(r.meta.lifetime_budget AS DECIMAL(18, 6)), try_cast(r.meta.lifetime_budget AS DECIMAL(38, 6))), 0) * 0.01
        END AS budget_exact,
        CASE r.source
            WHEN 'dv360' THEN coalesce(try_cast(r.dv.pacing.dailyMaxMicros AS DECIMAL(18, 6)), try_cast(r.dv.pacing.dailyMaxMicros AS DECIMAL(38, 6))) * 0.000001
            WHEN 'ttd' THEN coalesce(try_cast(r.ttd.RTBAttributes.BudgetSettings.DailyBudget.Amount AS DECIMAL(18, 6)), try_cast(r.ttd.RTBAttributes.BudgetSettings.DailyBudget.Amount AS DECIMAL(38, 6)))
            ELSE nullif(coalesce(try_cast(r.meta.daily_budget AS DECIMAL(18, 6)), try_cast(r.meta.daily_budget AS DECIMAL(38, 6))), 0) * 0.01
        END AS daily_exact,
        CASE r.source WHEN 'ttd' THEN upper(trim(r.ttd.RTBAttributes.BudgetSettings.Budget.CurrencyCode)) END AS currency,
        CASE r.source
            WHEN 'dv360' THEN r.dv.pacing.pacingType
            WHEN 'ttd' THEN r.ttd.RTBAttributes.BudgetSettings.PacingMode
            ELSE r.meta.pacing_type[1]
        END AS pacing_raw
    FROM entities AS r
    LEFT JOIN ttd_flights AS f
        ON f.org_id = r.org_id AND f.report_date = r.report_date AND f.flight_id = r.ttd_flight_id
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
