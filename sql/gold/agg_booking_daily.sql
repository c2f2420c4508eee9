-- model: gold.agg_booking_daily
-- engine: clickhouse
-- inputs: gold.fct_delivery_enriched
-- grain: one row per org, booking and report date (booked delivery only)
-- tests: unique(org_id, booking_id, report_date), expression(impressions >= 0)
-- version: 1
-- description: Booked delivery per booking and day, rebuilt per org with gold.fct_delivery_enriched; what pacing sums (a few thousand rows per org instead of every line item day).

-- spend_reporting_known sums the rows that have a rate; fx_missing_rows counts
-- the ones that do not, so a reader can refuse an incomplete total.
SELECT
    e.org_id AS org_id,
    assumeNotNull(e.booking_id) AS booking_id,
    e.report_date AS report_date,
    sum(e.impressions) AS impressions,
    sum(e.clicks) AS clicks,
    CAST(sum(ifNull(e.spend_reporting, 0)) AS Decimal(38, 2)) AS spend_reporting_known,
    toUInt64(countIf(e.is_fx_missing = 1)) AS fx_missing_rows
FROM gold.fct_delivery_enriched AS e
WHERE e.booking_id IS NOT NULL
GROUP BY e.org_id, e.booking_id, e.report_date
