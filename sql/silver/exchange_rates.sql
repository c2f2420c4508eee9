-- model: silver.exchange_rates
-- engine: duckdb
-- inputs: bronze.raw_records
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
WITH records AS (
    SELECT
        org_id, report_date, request_id, record_index, fetched_at,
        (SELECT list({
            'k': regexp_replace(lower(regexp_replace(trim(key), '[^a-zA-Z0-9]+', '_', 'g')), '^_+|_+$', '', 'g'),
            'v': nullif(trim(value ->> '$'), '')
        }) FROM json_each(try_cast(record AS JSON))) AS cells
    FROM bronze.raw_records
    WHERE source = 'sheets' AND stream = 'exchange_rates'
),
typed AS (
    SELECT
        org_id, report_date, request_id, record_index, fetched_at,
        coalesce(
            DATE '1899-12-30' + CAST(floor(try_cast(list_filter(cells, c -> c.k = 'date')[1].v AS DOUBLE)) AS INTEGER),
            try_cast(list_filter(cells, c -> c.k = 'date')[1].v AS DATE)
        ) AS rate_date,
        upper(list_filter(cells, c -> c.k IN ('from_currency', 'from'))[1].v) AS from_currency,
        upper(list_filter(cells, c -> c.k IN ('to_currency', 'to'))[1].v) AS to_currency,
        try_cast(list_filter(cells, c -> c.k = 'rate')[1].v AS DECIMAL(38, 10)) AS rate_exact
    FROM records
),
ranked AS (
    SELECT *, row_number() OVER (
        PARTITION BY org_id, report_date, rate_date, from_currency, to_currency
        ORDER BY fetched_at DESC, request_id DESC, record_index DESC
    ) AS fetch_rank
    FROM typed
    WHERE rate_date BETWEEN DATE '2000-01-01' AND DATE '2100-12-31'
        AND regexp_full_match(coalesce(from_currency, ''), '[A-Z]{3}')
        AND regexp_full_match(coalesce(to_currency, ''), '[A-Z]{3}')
        AND from_currency <> to_currency
        AND rate_exact > 0
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
