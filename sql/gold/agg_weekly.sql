-- model: gold.agg_weekly
-- engine: clickhouse
-- inputs: gold.fct_delivery_enriched
-- grain: one row per org, week_start, source, client and campaign
-- tests: unique(org_id, week_start, source, client_id, campaign_id), expression(impressions >= 0), expression((fx_missing_rows > 0) = (spend_reporting IS NULL))
-- version: 1
-- description: Delivery per ISO week (Monday to Sunday; iso_year/iso_week as ISO 8601 numbers them). A view over the deduplicated fact, so a restated or reloaded day replaces its numbers and nothing is summed twice.

-- spend_reporting is NULL when any row of the group lacks an exchange rate
-- (fx_missing_rows says how many): a partial total would read as a real one.
-- client_id is NULL for unbooked delivery (unbooked_impressions counts it).
SELECT
    org_id,
    toMonday(report_date) AS week_start,
    toISOYear(report_date) AS iso_year,
    toISOWeek(report_date) AS iso_week,
    source,
    client_id,
    campaign_id,
    any(e.reporting_currency) AS reporting_currency,
    sum(e.impressions) AS impressions,
    sum(e.clicks) AS clicks,
    sum(e.conversions) AS conversions,
    if(countIf(e.is_fx_missing = 1) > 0, NULL, sum(ifNull(e.spend_reporting, 0))) AS spend_reporting,
    toUInt64(countIf(e.is_fx_missing = 1)) AS fx_missing_rows,
    sumIf(e.impressions, e.is_unbooked = 1) AS unbooked_impressions
FROM gold.fct_delivery_enriched AS e
GROUP BY org_id, week_start, iso_year, iso_week, source, client_id, campaign_id
