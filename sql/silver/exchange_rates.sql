-- model: silver.exchange_rates
-- engine: duckdb
-- inputs: silver.stg_exchange_rates
-- grain: one row per org, snapshot day (report_date = bronze fetch day), rate date and currency pair; the latest fetch of the day wins
-- tests: unique(org_id, report_date, rate_date, from_currency, to_currency), not_null(org_id, report_date, rate_date, from_currency, to_currency, rate, fetched_at, request_id), expression(rate > 0 AND from_currency <> to_currency)
-- version: 1
-- description: Daily exchange rates from the Sheets "FX Rates" tab (1 unit of from_currency in to_currency), one snapshot per fetch day.

-- Column rules (Sheets stream `exchange_rates`; headers matched as in clients.sql):
--   rate_date       "Date": a Sheets serial date (days since 1899-12-30, fraction dropped) or an ISO date text;
--                   missing, unparsable or outside 2000-01-01..2100-12-31 → excluded.
--   from_currency   "From" (alias "From Currency"); upper-cased, trimmed; not three letters A-Z → excluded.
--   to_currency     "To" (alias "To Currency"); same rule; equal to from_currency → excluded.
--   rate            "Rate": DECIMAL(18,6) from the number's text, rounded half away from zero; not a positive
--                   number → excluded.
--   dedup           per (org, day, rate date, pair) the latest fetched_at wins, then the greater request_id,
--                   then the later row of the sheet.
-- Records are typed and checked in silver.stg_exchange_rates; every excluded one lands in silver.rejected_records.
WITH ranked AS (
    SELECT *, row_number() OVER (
        PARTITION BY org_id, report_date, rate_date, from_currency, to_currency
        ORDER BY fetched_at DESC, request_id DESC, record_index DESC
    ) AS fetch_rank
    FROM silver.stg_exchange_rates
    WHERE reject_reason IS NULL
)
SELECT
    org_id,
    report_date,
    rate_date,
    from_currency,
    to_currency,
    CAST(rate_exact AS DECIMAL(18, 6)) AS rate,
    fetched_at,
    request_id,
    'silver.exchange_rates@v1' AS transform_version
FROM ranked
WHERE fetch_rank = 1
