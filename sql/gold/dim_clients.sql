-- model: gold.dim_clients
-- engine: clickhouse
-- inputs: silver.clients
-- grain: one row per org and client per CRM snapshot; readers keep the highest version (latest fetch)
-- tests: not_null(org_id, client_id, client_name, version)
-- version: 1
-- description: Clients from the CRM sheet.

SELECT
    org_id,
    client_id,
    client_name,
    account_manager,
    currency,
    report_date AS snapshot_date,
    toDateTime64(fetched_at, 3, 'UTC') AS fetched_at,
    toUInt64(toUnixTimestamp64Milli(toDateTime64(fetched_at, 3, 'UTC'))) AS version,
    transform_version
FROM silver.clients
