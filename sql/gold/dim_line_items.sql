-- model: gold.dim_line_items
-- engine: clickhouse
-- inputs: silver.line_items
-- grain: one row per org, source and line item per silver snapshot; readers keep the highest version (latest fetch)
-- tests: not_null(org_id, source, line_item_id, version)
-- version: 1
-- description: Line item (DV360 line item, TTD ad group, Meta ad set) attributes, latest fetch wins.

SELECT
    org_id,
    source,
    line_item_id,
    line_item_type,
    campaign_id,
    insertion_order_id,
    account_id,
    name,
    status,
    flight_start,
    flight_end,
    budget,
    daily_budget,
    currency,
    pacing,
    report_date AS snapshot_date,
    toDateTime64(fetched_at, 3, 'UTC') AS fetched_at,
    toUInt64(toUnixTimestamp64Milli(toDateTime64(fetched_at, 3, 'UTC'))) AS version,
    transform_version
FROM silver.line_items
