-- model: gold.orgs
-- engine: clickhouse
-- inputs: gold.dim_orgs
-- grain: one row per organisation
-- tests: unique(org_id), not_null(org_id, reporting_currency, timezone, today)
-- version: 1
-- description: Each organisation's reporting currency, time zone and today's date in that time zone (what "today" means for pacing).

-- toString(DateTime, tz) is the one conversion that takes a per-row time zone
-- (toDate/toTimeZone need a constant), so today's date is read from its text.
SELECT
    org_id,
    reporting_currency,
    timezone,
    toDate(substring(toString(now(), timezone), 1, 10)) AS today
FROM (
    SELECT
        org_id,
        argMax(reporting_currency, version) AS reporting_currency,
        argMax(timezone, version) AS timezone
    FROM gold.dim_orgs AS o
    GROUP BY org_id
)
