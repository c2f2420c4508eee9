-- model: silver.stg_campaigns
-- engine: duckdb
-- inputs: bronze.raw_records
-- grain: one row per bronze campaigns record of DV360, TTD and Meta (every fetch, valid or not), with its typed columns and why it is rejected
-- tests: not_null(org_id, report_date, source, stream, request_id, record_index), accepted_values(source: 'dv360', 'ttd', 'meta'), accepted_values(reject_reason: 'bad_record', 'missing_id')
-- version: 1
-- description: DSP campaign records typed per the column rules of silver.campaigns; an intermediate that silver.campaigns, silver.rejected_records and silver.quality read. Not written to the lake.

-- Column rules: see silver.campaigns. budget_exact and daily_exact are the budgets before the sign check and
-- rounding; pacing_raw is the source's pacing value. reject_reason is the first failing rule (null = valid):
--   bad_record   the record is not a JSON object.
--   missing_id   empty campaign id or account id (an entity without an id cannot be joined to anything).
--   is_complete  account id, campaign id and name present (for silver.quality).
WITH records AS (
    SELECT
        org_id, report_date, source, stream, request_id, record_index, fetched_at, ingested_at, record,
        try_cast(record AS JSON) AS j
    FROM bronze.raw_records
    WHERE stream = 'campaigns' AND source IN ('dv360', 'ttd', 'meta')
),
typed AS (
    SELECT
        org_id, report_date, source, stream, request_id, record_index, fetched_at, ingested_at, record,
        json_type(j) IS DISTINCT FROM 'OBJECT' AS is_bad_record,
        nullif(trim(CASE source WHEN 'dv360' THEN j ->> 'advertiserId' WHEN 'ttd' THEN j ->> 'AdvertiserId' ELSE j ->> 'account_id' END), '') AS account_id,
        nullif(trim(CASE source WHEN 'dv360' THEN j ->> 'campaignId' WHEN 'ttd' THEN j ->> 'CampaignId' ELSE j ->> 'id' END), '') AS campaign_id,
        CASE source WHEN 'dv360' THEN j ->> 'displayName' WHEN 'ttd' THEN j ->> 'CampaignName' ELSE j ->> 'name' END AS name,
        CASE source WHEN 'dv360' THEN j ->> 'entityStatus' WHEN 'ttd' THEN j ->> 'Availability' ELSE j ->> 'effective_status' END AS status,
        CASE source
            WHEN 'dv360' THEN try_cast(make_date(
                try_cast(j ->> '$.campaignFlight.plannedDates.startDate.year' AS BIGINT),
                try_cast(j ->> '$.campaignFlight.plannedDates.startDate.month' AS BIGINT),
                try_cast(j ->> '$.campaignFlight.plannedDates.startDate.day' AS BIGINT)) AS DATE)
            WHEN 'ttd' THEN try_cast(left(j ->> 'StartDate', 10) AS DATE)
            ELSE try_cast(left(j ->> 'start_time', 10) AS DATE)
        END AS flight_start,
        CASE source
            WHEN 'dv360' THEN try_cast(make_date(
                try_cast(j ->> '$.campaignFlight.plannedDates.endDate.year' AS BIGINT),
                try_cast(j ->> '$.campaignFlight.plannedDates.endDate.month' AS BIGINT),
                try_cast(j ->> '$.campaignFlight.plannedDates.endDate.day' AS BIGINT)) AS DATE)
            WHEN 'ttd' THEN try_cast(left(j ->> 'EndDate', 10) AS DATE)
            ELSE try_cast(left(coalesce(j ->> 'stop_time', j ->> 'end_time'), 10) AS DATE)
        END AS flight_end,
        CASE source
            WHEN 'ttd' THEN try_cast(j ->> '$.Budget.Amount' AS DECIMAL(38, 6))
            WHEN 'meta' THEN coalesce(
                nullif(try_cast(j ->> 'lifetime_budget' AS DECIMAL(38, 6)), 0),
                nullif(try_cast(j ->> 'spend_cap' AS DECIMAL(38, 6)), 0)) * 0.01
        END AS budget_exact,
        CASE source
            WHEN 'ttd' THEN try_cast(j ->> '$.DailyBudget.Amount' AS DECIMAL(38, 6))
            WHEN 'meta' THEN nullif(try_cast(j ->> 'daily_budget' AS DECIMAL(38, 6)), 0) * 0.01
        END AS daily_exact,
        CASE source WHEN 'ttd' THEN upper(trim(j ->> '$.Budget.CurrencyCode')) END AS currency,
        CASE source WHEN 'ttd' THEN j ->> 'PacingMode' END AS pacing_raw
    FROM records
)
SELECT
    org_id, report_date, source, stream, request_id, record_index, fetched_at, ingested_at, record,
    account_id, campaign_id, name, status, flight_start, flight_end, budget_exact, daily_exact, currency, pacing_raw,
    account_id IS NOT NULL AND campaign_id IS NOT NULL AND nullif(trim(name), '') IS NOT NULL AS is_complete,
    CASE
        WHEN is_bad_record THEN 'bad_record'
        WHEN account_id IS NULL OR campaign_id IS NULL THEN 'missing_id'
    END AS reject_reason
FROM typed
