-- model: silver.stg_bookings
-- engine: duckdb
-- inputs: bronze.raw_records
-- grain: one row per bronze Sheets bookings record (every fetch, valid or not), with its typed columns and why it is rejected
-- tests: not_null(org_id, report_date, source, request_id, record_index), accepted_values(reject_reason: 'bad_record', 'blank_row', 'missing_id', 'bad_number', 'negative_value', 'unknown_currency', 'bad_date')
-- version: 2
-- description: CRM bookings records typed per the column rules of silver.bookings; an intermediate that silver.bookings, silver.rejected_records and silver.quality read. Not written to the lake.

-- Column rules: see silver.bookings. reject_reason is the first failing rule (null = valid):
--   bad_record        the record is not a JSON object.
--   blank_row         every cell empty (a spacer row of the sheet): counted as rejected, but not a data record
--                     in silver.quality, like delivery's total_row.
--   missing_id        empty booking id or client id.
--   bad_number        booked impressions or revenue not a number.
--   negative_value    booked impressions or revenue negative.
--   unknown_currency  currency not three letters A-Z.
--   bad_date          a flight date missing, unparsable, outside 2000-01-01..2100-12-31, or start after end.
--   is_complete       booking id, client id, currency and both flight dates present (for silver.quality).
WITH records AS (
    SELECT
        org_id, report_date, source, stream, request_id, record_index, fetched_at, ingested_at, record,
        (SELECT list({
            'k': regexp_replace(lower(regexp_replace(trim(key), '[^a-zA-Z0-9]+', '_', 'g')), '^_+|_+$', '', 'g'),
            'v': nullif(trim(value ->> '$'), '')
        }) FROM json_each(try_cast(record AS JSON))) AS cells
    FROM bronze.raw_records
    WHERE source = 'sheets' AND stream = 'bookings'
),
fields AS (
    SELECT
        org_id, report_date, source, stream, request_id, record_index, fetched_at, ingested_at, record,
        list_filter(cells, c -> c.k IN ('booking_id', 'id'))[1].v AS booking_id,
        list_filter(cells, c -> c.k IN ('client_id', 'client'))[1].v AS client_id,
        list_filter(cells, c -> c.k IN ('line_items', 'dsp_line_items'))[1].v AS line_items_text,
        replace(list_filter(cells, c -> c.k IN ('booked_impressions', 'impressions'))[1].v, ',', '') AS impressions_text,
        replace(list_filter(cells, c -> c.k IN ('booked_revenue', 'revenue'))[1].v, ',', '') AS revenue_text,
        upper(list_filter(cells, c -> c.k = 'currency')[1].v) AS currency,
        list_filter(cells, c -> c.k IN ('flight_start', 'start_date'))[1].v AS start_text,
        list_filter(cells, c -> c.k IN ('flight_end', 'end_date'))[1].v AS end_text,
        list_filter(cells, c -> c.k = 'notes')[1].v AS notes
    FROM records
),
typed AS (
    SELECT
        *,
        coalesce(try_cast(impressions_text AS DECIMAL(38, 6)), CASE WHEN impressions_text IS NULL THEN 0 END) AS impressions_exact,
        coalesce(try_cast(revenue_text AS DECIMAL(38, 6)), CASE WHEN revenue_text IS NULL THEN 0 END) AS revenue_exact,
        coalesce(
            DATE '1899-12-30' + CAST(floor(try_cast(start_text AS DOUBLE)) AS INTEGER),
            try_cast(start_text AS DATE)
        ) AS flight_start,
        coalesce(
            DATE '1899-12-30' + CAST(floor(try_cast(end_text AS DOUBLE)) AS INTEGER),
            try_cast(end_text AS DATE)
        ) AS flight_end
    FROM fields
)
SELECT
    *,
    booking_id IS NOT NULL AND client_id IS NOT NULL AND currency IS NOT NULL
        AND start_text IS NOT NULL AND end_text IS NOT NULL AS is_complete,
    CASE
        WHEN json_type(try_cast(record AS JSON)) IS DISTINCT FROM 'OBJECT' THEN 'bad_record'
        WHEN NOT EXISTS (
            SELECT 1 FROM json_each(try_cast(record AS JSON)) WHERE nullif(trim(value ->> '$'), '') IS NOT NULL
        ) THEN 'blank_row'
        WHEN booking_id IS NULL OR client_id IS NULL THEN 'missing_id'
        WHEN impressions_exact IS NULL OR revenue_exact IS NULL THEN 'bad_number'
        WHEN impressions_exact < 0 OR revenue_exact < 0 THEN 'negative_value'
        WHEN NOT regexp_full_match(coalesce(currency, ''), '[A-Z]{3}') THEN 'unknown_currency'
        WHEN flight_start IS NULL OR flight_end IS NULL
            OR flight_start NOT BETWEEN DATE '2000-01-01' AND DATE '2100-12-31'
            OR flight_end NOT BETWEEN DATE '2000-01-01' AND DATE '2100-12-31'
            OR flight_start > flight_end THEN 'bad_date'
    END AS reject_reason
FROM typed
