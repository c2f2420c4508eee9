-- model: silver.campaigns
-- engine: duckdb
-- inputs: bronze.raw_records
-- grain: one row per org, snapshot day (report_date = bronze fetch day), source and campaign; the latest fetch of the day wins
-- tests: unique(org_id, report_date, source, campaign_id), not_null(org_id, report_date, source, account_id, campaign_id, fetched_at, request_id), accepted_values(source: 'dv360', 'ttd', 'meta'), accepted_values(pacing: 'EVEN', 'AHEAD', 'ASAP')
-- version: 1
-- description: DSP campaigns with flights, budgets and pacing, one snapshot per fetch day: DV360 API v4 campaigns, TTD campaigns, Meta campaigns.

-- Column rules (stream `campaigns` of each DSP):
--   account_id    DV360 advertiserId, TTD AdvertiserId, Meta account_id; trimmed string.
--   campaign_id   DV360 campaignId, TTD CampaignId, Meta id; trimmed string. Empty → the record is excluded
--                 (an entity without an id cannot be joined to anything).
--   name, status  DV360 displayName / entityStatus, TTD CampaignName / Availability, Meta name / effective_status.
--   flight_start, flight_end  DV360 campaignFlight.plannedDates {year, month, day}; TTD StartDate / EndDate (date
--                 part); Meta start_time / stop_time, date part in the account's own time zone (as written).
--                 Unparsable → NULL (kept: a campaign without a flight is still a campaign).
--   budget        DV360: none at campaign level (NULL); TTD Budget.Amount; Meta lifetime_budget if > 0, else
--                 spend_cap, in minor units / 100. DECIMAL(18,2), rounded half away from zero; negative → NULL.
--   daily_budget  TTD DailyBudget.Amount; Meta daily_budget / 100 when > 0; DV360 NULL.
--   currency      TTD Budget.CurrencyCode; DV360 and Meta name none here (NULL: the advertiser's currency applies).
--   pacing        TTD PacingMode conformed (PaceEvenly → EVEN, PaceAhead → AHEAD, PaceAsSoonAsPossible → ASAP);
--                 DV360 and Meta pace below the campaign (NULL). pacing_raw keeps the source value.
--   dedup         per (org, day, source, campaign) the latest fetched_at wins, then the greater request_id.
WITH records AS (
    SELECT org_id, report_date, source, request_id, record_index, fetched_at, try_cast(record AS JSON) AS j
    FROM bronze.raw_records
    WHERE stream = 'campaigns' AND source IN ('dv360', 'ttd', 'meta')
),
typed AS (
    SELECT
        org_id,
        report_date,
        source,
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
                nullif(try_cast(j ->> 'spend_cap' AS DECIMAL(38, 6)), 0)) / 100
        END AS budget_exact,
        CASE source
            WHEN 'ttd' THEN try_cast(j ->> '$.DailyBudget.Amount' AS DECIMAL(38, 6))
            WHEN 'meta' THEN nullif(try_cast(j ->> 'daily_budget' AS DECIMAL(38, 6)), 0) / 100
        END AS daily_exact,
        CASE source WHEN 'ttd' THEN upper(trim(j ->> '$.Budget.CurrencyCode')) END AS currency,
        CASE source WHEN 'ttd' THEN j ->> 'PacingMode' END AS pacing_raw,
        fetched_at,
        request_id,
        record_index
    FROM records
),
ranked AS (
    SELECT *, row_number() OVER (
        PARTITION BY org_id, report_date, source, campaign_id ORDER BY fetched_at DESC, request_id DESC, record_index DESC
    ) AS fetch_rank
    FROM typed
    WHERE campaign_id IS NOT NULL AND account_id IS NOT NULL
)
SELECT
    org_id,
    report_date,
    source,
    account_id,
    campaign_id,
    name,
    status,
    flight_start,
    flight_end,
    CAST(CASE WHEN budget_exact >= 0 THEN budget_exact END AS DECIMAL(18, 2)) AS budget,
    CAST(CASE WHEN daily_exact >= 0 THEN daily_exact END AS DECIMAL(18, 2)) AS daily_budget,
    currency,
    CASE pacing_raw WHEN 'PaceEvenly' THEN 'EVEN' WHEN 'PaceAhead' THEN 'AHEAD' WHEN 'PaceAsSoonAsPossible' THEN 'ASAP' END AS pacing,
    pacing_raw,
    fetched_at,
    request_id,
    'silver.campaigns@v1' AS transform_version
FROM ranked
WHERE fetch_rank = 1
