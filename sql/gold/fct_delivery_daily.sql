-- model: gold.fct_delivery_daily
-- engine: clickhouse
-- inputs: silver.delivery_daily
-- grain: one row per org, source, line item and report date per silver fetch; readers keep the highest version
-- tests: not_null(org_id, report_date, source, line_item_id, version), expression(impressions >= 0 AND clicks >= 0 AND spend >= 0)
-- version: 1
-- description: Loads the silver delivery partitions a snapshot changed into the ReplacingMergeTree fact. version = fetched_at in ms, so a restated day (a newer fetch) replaces the older row and the same row loaded twice stays one row.

-- Money stays in the source currency here; gold.fct_delivery_enriched adds the
-- reporting currency at read time, so a late exchange rate needs no reload.
SELECT
    org_id,
    report_date,
    source,
    account_id,
    campaign_id,
    insertion_order_id,
    line_item_id,
    line_item_type,
    impressions,
    clicks,
    conversions,
    toDecimal64(spend, 2) AS spend,
    currency,
    toDateTime64(fetched_at, 3, 'UTC') AS fetched_at,
    request_id,
    toUInt64(toUnixTimestamp64Milli(toDateTime64(fetched_at, 3, 'UTC'))) AS version,
    transform_version
FROM silver.delivery_daily
