-- model: silver.stg_clients
-- engine: duckdb
-- inputs: bronze.raw_records
-- grain: one row per bronze Sheets clients record (every fetch, valid or not), with its typed columns and why it is rejected
-- tests: not_null(org_id, report_date, source, request_id, record_index), accepted_values(reject_reason: 'bad_record', 'blank_row', 'missing_id', 'missing_name', 'unknown_currency')
-- version: 2
-- description: CRM client records typed per the column rules of silver.clients; an intermediate that silver.clients, silver.rejected_records and silver.quality read. Not written to the lake.

-- reject_reason is the first failing rule (null = valid): bad_record (not a JSON object), blank_row (every cell
-- empty: a spacer row of the sheet, counted as rejected but not a data record in silver.quality), missing_id (empty
-- client id), missing_name (empty client name), unknown_currency (not three letters A-Z).
-- is_complete: client id, name and currency present (for silver.quality).
WITH records AS (
    SELECT
        org_id, report_date, source, stream, request_id, record_index, fetched_at, ingested_at, record,
        (SELECT list({
            'k': regexp_replace(lower(regexp_replace(trim(key), '[^a-zA-Z0-9]+', '_', 'g')), '^_+|_+$', '', 'g'),
            'v': nullif(trim(value ->> '$'), '')
        }) FROM json_each(try_cast(record AS JSON))) AS cells
    FROM bronze.raw_records
    WHERE source = 'sheets' AND stream = 'clients'
),
typed AS (
    SELECT
        org_id, report_date, source, stream, request_id, record_index, fetched_at, ingested_at, record,
        list_filter(cells, c -> c.k IN ('client_id', 'id'))[1].v AS client_id,
        list_filter(cells, c -> c.k IN ('client_name', 'name', 'client'))[1].v AS client_name,
        list_filter(cells, c -> c.k IN ('account_manager', 'owner'))[1].v AS account_manager,
        upper(list_filter(cells, c -> c.k = 'currency')[1].v) AS currency
    FROM records
)
SELECT
    *,
    client_id IS NOT NULL AND client_name IS NOT NULL AND currency IS NOT NULL AS is_complete,
    CASE
        WHEN json_type(try_cast(record AS JSON)) IS DISTINCT FROM 'OBJECT' THEN 'bad_record'
        WHEN NOT EXISTS (
            SELECT 1 FROM json_each(try_cast(record AS JSON)) WHERE nullif(trim(value ->> '$'), '') IS NOT NULL
        ) THEN 'blank_row'
        WHEN client_id IS NULL THEN 'missing_id'
        WHEN client_name IS NULL THEN 'missing_name'
        WHEN NOT regexp_full_match(coalesce(currency, ''), '[A-Z]{3}') THEN 'unknown_currency'
    END AS reject_reason
FROM typed
