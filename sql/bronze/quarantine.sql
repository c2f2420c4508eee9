-- model: bronze.quarantine
-- engine: duckdb
-- inputs: bronze.checked_records
-- grain: one row per record that failed a bronze check (request_id, record_index), partitioned by org_id and ingest_date
-- tests: unique(request_id, record_index), not_null(org_id, ingest_date, source, stream, request_id, record_index, reason, raw, ingested_at), expression(record_index >= 0)
-- version: 1
-- description: Records that failed a bronze check, with the reason (bad_record, missing_id, bad_date, date_out_of_range) and the record as received. Whole pages that cannot be split are quarantined by the worker itself (record_index -1).

-- Columns are those of lib/pipeline/bronze-tables.ts (BRONZE_QUARANTINE).
SELECT
    org_id,
    ingest_date,
    source,
    stream,
    request_id,
    record_index,
    reason,
    record AS raw,
    ingested_at
FROM bronze.checked_records
WHERE reason IS NOT NULL
