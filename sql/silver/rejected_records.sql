-- model: silver.rejected_records
-- engine: duckdb
-- inputs: bronze.raw_records, silver.stg_delivery, silver.stg_bookings, silver.stg_clients, silver.stg_exchange_rates, silver.stg_campaigns, silver.stg_insertion_orders, silver.stg_line_items
-- grain: one row per bronze record a silver model excluded, with the reason
-- tests: unique(org_id, report_date, request_id, record_index), not_null(org_id, report_date, model, source, stream, request_id, record_index, reason, record)
-- version: 3
-- description: Bad input is never dropped silently: every excluded record is kept here, raw, with why, so operators can count and inspect it and rows in = rows written + rows superseded + rows rejected holds per partition.

-- Column rules:
--   model      the silver table the record was meant for.
--   reason     the staging model's reject_reason: stg_delivery (bad_record, total_row, not_a_delivery_record,
--              missing_id, bad_date, date_mismatch, date_out_of_range, bad_number, negative_value,
--              unknown_currency), stg_bookings (bad_record, blank_row, missing_id, bad_number, negative_value,
--              unknown_currency, bad_date), stg_clients (bad_record, blank_row, missing_id, missing_name,
--              unknown_currency), stg_exchange_rates (bad_record, blank_row, bad_date, unknown_currency, same_currency,
--              bad_number, non_positive_rate), stg_campaigns, stg_insertion_orders and stg_line_items (bad_record,
--              missing_id). total_row, not_a_delivery_record and blank_row are report or sheet structure, not bad
--              data: kept here and counted as rejected, but silver.quality does not score them as data records.
--   record     the bronze record as received (stg_delivery does not carry it, so a rejected delivery row takes
--              it back from bronze by request_id and record_index).
--   transform_version  'silver.rejected_records@v<version>' (the worker writes the full file version).
SELECT
    org_id,
    report_date,
    'silver.delivery_daily' AS model,
    source,
    stream,
    request_id,
    record_index,
    reject_reason AS reason,
    b.record,
    'silver.rejected_records@v3' AS transform_version
FROM silver.stg_delivery AS d
JOIN bronze.raw_records AS b USING (org_id, report_date, source, stream, request_id, record_index)
WHERE d.reject_reason IS NOT NULL
UNION ALL
SELECT
    org_id, report_date, 'silver.bookings', source, stream, request_id, record_index, reject_reason, record,
    'silver.rejected_records@v3'
FROM silver.stg_bookings
WHERE reject_reason IS NOT NULL
UNION ALL
SELECT
    org_id, report_date, 'silver.clients', source, stream, request_id, record_index, reject_reason, record,
    'silver.rejected_records@v3'
FROM silver.stg_clients
WHERE reject_reason IS NOT NULL
UNION ALL
SELECT
    org_id, report_date, 'silver.exchange_rates', source, stream, request_id, record_index, reject_reason, record,
    'silver.rejected_records@v3'
FROM silver.stg_exchange_rates
WHERE reject_reason IS NOT NULL
UNION ALL
SELECT
    org_id, report_date, 'silver.campaigns', source, stream, request_id, record_index, reject_reason, record,
    'silver.rejected_records@v3'
FROM silver.stg_campaigns
WHERE reject_reason IS NOT NULL
UNION ALL
SELECT
    org_id, report_date, 'silver.insertion_orders', source, stream, request_id, record_index, reject_reason, record,
    'silver.rejected_records@v3'
FROM silver.stg_insertion_orders
WHERE reject_reason IS NOT NULL
UNION ALL
SELECT
    org_id, report_date, 'silver.line_items', source, stream, request_id, record_index, reject_reason, record,
    'silver.rejected_records@v3'
FROM silver.stg_line_items
WHERE reject_reason IS NOT NULL
