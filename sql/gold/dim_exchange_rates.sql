-- model: gold.dim_exchange_rates
-- engine: clickhouse
-- inputs: silver.exchange_rates
-- grain: one row per org, currency pair and rate date per CRM snapshot; readers keep the highest version (latest fetch)
-- tests: not_null(org_id, from_currency, to_currency, rate_date, rate, version), expression(rate > 0)
-- version: 1
-- description: Dated exchange rates from the CRM sheet: 1 from_currency = rate to_currency. Non-positive rates are dropped (they would silently zero money).

SELECT
    org_id,
    from_currency,
    to_currency,
    rate_date,
    toDecimal64(rate, 6) AS rate,
    toDateTime64(fetched_at, 3, 'UTC') AS fetched_at,
    toUInt64(toUnixTimestamp64Milli(toDateTime64(fetched_at, 3, 'UTC'))) AS version,
    transform_version
FROM silver.exchange_rates
WHERE rate > 0
