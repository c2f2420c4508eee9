-- model: silver.campaigns
-- engine: duckdb
-- inputs: silver.stg_campaigns
-- grain: one row per org, snapshot day (report_date = bronze fetch day), source and campaign; the latest fetch of the day wins
-- tests: unique(org_id, report_date, source, campaign_id), not_null(org_id, report_date, source, account_id, campaign_id, fetched_at, request_id), accepted_values(source: 'dv360', 'ttd', 'meta'), accepted_values(pacing: 'EVEN', 'AHEAD', 'ASAP')
-- version: 2
-- description: DSP campaigns with flights, budgets and pacing, one snapshot per fetch day: DV360 API v4 campaigns, TTD campaigns, Meta campaigns.

-- Records are typed and checked in silver.stg_campaigns; every excluded one lands in silver.rejected_records.
-- Column rules (stream `campaigns` of each DSP):
--   account_id    DV360 advertiserId, TTD AdvertiserId, Meta account_id; trimmed string. Empty → excluded.
--   campaign_id   DV360 campaignId, TTD CampaignId, Meta id; trimmed string. Empty → excluded
--                 (an entity without an id cannot be joined to anything). A record that is not a JSON object
--                 → excluded.
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
WITH ranked AS (
    SELECT *, row_number() OVER (
        PARTITION BY org_id, report_date, source, campaign_id ORDER BY fetched_at DESC, request_id DESC, record_index DESC
    ) AS fetch_rank
    FROM silver.stg_campaigns
    WHERE reject_reason IS NULL
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
    'silver.campaigns@v2' AS transform_version
FROM ranked
WHERE fetch_rank = 1
