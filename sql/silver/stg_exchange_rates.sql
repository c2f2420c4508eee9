-- model: silver.stg_exchange_rates
-- engine: duckdb
-- inputs: bronze.raw_records
-- grain: one row per bronze Sheets exchange_rates record (every fetch, valid or not), with its typed columns and why it is rejected
-- tests: not_null(org_id, report_date, source, request_id, record_index), accepted_values(reject_reason: 'bad_record', 'blank_row', 'bad_date', 'unknown_currency', 'same_currency', 'bad_number', 'non_positive_rate')
-- version: 2
-- description: Exchange rate records typed per the column rules of silver.exchange_rates; an intermediate that silver.exchange_rates, silver.rejected_records and silver.quality read. Not written to the lake.

-- reject_reason is the first failing rule (null = valid): bad_record (not a JSON object), blank_row (every cell
-- empty: a spacer row of the sheet, counted as rejected but not a data record in silver.quality), bad_date (rate date
-- missing, unparsable or outside 2000-01-01..2100-12-31), unknown_currency (from or to not three letters A-Z),
-- same_currency (from = to), bad_number (rate missing or not a number), non_positive_rate (rate <= 0).
-- is_complete: rate date, both currencies and the rate present (for silver.quality).
WITH records AS (
    SELECT
        org_id, report_date, source, stream, request_id, record_index, fetched_at, ingested_at, record,
        (SELECT list({
            'k': regexp_replace(lower(regexp_replace(trim(key), '[^a-zA-Z0-9]+', '_', 'g')), '^_+|_+$', '', 'g'),
            'v': nullif(trim(value ->> '$'), '')
        }) FROM json_each(try_cast(record AS JSON))) AS cells
    FROM bronze.raw_records
    WHERE source = 'sheets' AND stream = 'exchange_rates'
),
typed AS (
    SELECT
        org_id, report_date, source, stream, request_id, record_index, fetched_at, ingested_at, record,
        coalesce(
            DATE '1899-12-30' + CAST(floor(try_cast(list_filter(cells, c -> c.k = 'date')[1].v AS DOUBLE)) AS INTEGER),
            try_cast(list_filter(cells, c -> c.k = 'date')[1].v AS DATE)
        ) AS rate_date,
        upper(list_filter(cells, c -> c.k IN ('from_currency', 'from'))[1].v) AS from_currency,
        upper(list_filter(cells, c -> c.k IN ('to_currency', 'to'))[1].v) AS to_currency,
        try_cast(list_filter(cells, c -> c.k = 'rate')[1].v AS DECIMAL(38, 10)) AS rate_exact
    FROM records
)
SELECT
    *,
    rate_date IS NOT NULL AND from_currency IS NOT NULL AND to_currency IS NOT NULL AND rate_exact IS NOT NULL
        AS is_complete,
    CASE
        WHEN json_type(try_cast(record AS JSON)) IS DISTINCT FROM 'OBJECT' THEN 'bad_record'
        WHEN NOT EXISTS (
            SELECT 1 FROM json_each(try_cast(record AS JSON)) WHERE nullif(trim(value ->> '$'), '') IS NOT NULL
        ) THEN 'blank_row'
        WHEN rate_date IS NULL OR rate_date NOT BETWEEN DATE '2000-01-01' AND DATE '2100-12-31' THEN 'bad_date'
        WHEN NOT regexp_full_match(coalesce(from_currency, ''), '[A-Z]{3}')
            OR NOT regexp_full_match(coalesce(to_currency, ''), '[A-Z]{3}') THEN 'unknown_currency'
        WHEN from_currency = to_currency THEN 'same_currency'
        WHEN rate_exact IS NULL THEN 'bad_number'
        WHEN rate_exact <= 0 THEN 'non_positive_rate'
    END AS reject_reason
FROM typed
