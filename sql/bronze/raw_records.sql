-- model: bronze.raw_records
-- engine: duckdb
-- inputs: bronze.checked_records
-- grain: one row per valid record of one raw page (request_id, record_index), partitioned by org_id and report_date
-- tests: unique(request_id, record_index), not_null(org_id, report_date, source, stream, connection_id, account, request_id, record_index, record, fetched_at, window_from, window_to, ingested_at)
-- version: 1
-- description: The records that passed every bronze check, kept as received (schema-on-read) with the envelope fields and the report date. The worker appends them to the lake table bronze.raw_records, adding transform_version.

-- Columns are those of lib/pipeline/bronze-tables.ts (BRONZE_RAW_RECORDS) without transform_version, which
-- the worker fills with the versions of the bronze models that produced the row.
SELECT
    org_id,
    report_date,
    source,
    stream,
    connection_id,
    account,
    request_id,
    record_index,
    record,
    fetched_at,
    window_from,
    window_to,
    page,
    ingested_at
FROM bronze.checked_records
WHERE reason IS NULL
