-- model: gold.dim_campaigns
-- engine: clickhouse
-- inputs: silver.campaigns
-- grain: one row per org, source and campaign per silver snapshot; readers keep the highest version (latest fetch)
-- tests: not_null(org_id, source, campaign_id, version)
-- version: 1
-- description: Campaign attributes from the DSPs, latest fetch wins.

SELECT
    org_id,
    source,
    campaign_id,
    account_id,
    name,
    status,
    flight_start,
    flight_end,
    budget,
    currency,
    pacing,
    report_date AS snapshot_date,
    toDateTime64(fetched_at, 3, 'UTC') AS fetched_at,
    toUInt64(toUnixTimestamp64Milli(toDateTime64(fetched_at, 3, 'UTC'))) AS version,
    transform_version
FROM silver.campaigns
