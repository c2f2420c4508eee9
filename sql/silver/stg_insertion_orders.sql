-- model: silver.stg_insertion_orders
-- engine: duckdb
-- inputs: bronze.raw_records
-- grain: one row per bronze DV360 insertion_orders record (every fetch, valid or not), with its typed columns and why it is rejected
-- tests: not_null(org_id, report_date, source, stream, request_id, record_index), accepted_values(reject_reason: 'bad_record', 'missing_id')
-- version: 2
-- description: DV360 insertion order records typed per the column rules of silver.insertion_orders; an intermediate that silver.insertion_orders, silver.rejected_records and silver.quality read. Not written to the lake.

-- Column rules: see silver.insertion_orders. budget_exact is the summed currency budget before the sign check and
-- rounding; pacing_period and pacing_type are the source's pacing values. reject_reason is the first failing rule
-- (null = valid):
--   bad_record   the record is not a JSON object.
--   missing_id   empty advertiser, campaign or insertion order id.
--   is_complete  the three ids and the name present (for silver.quality).
-- Parsing: each record is parsed once, by json_transform into a struct (DuckDB's JSON type is text, so every ->>
-- would parse the whole record again). A segment's budgetAmountMicros is cast to DECIMAL(18, 0) and only when that
-- fails (10^18 or more, or not a number) to DECIMAL(38, 0): the same value, but the narrow cast is ~50x faster.
WITH records AS (
    -- A field the record lacks, or whose JSON type does not fit, is NULL (a budget segment that is not an object
    -- too), and TRY gives NULL for text that is not JSON. Leaves are VARCHAR, the text ->> gives (the JSON text of a
    -- number); lists are 1-based.
    SELECT
        org_id, report_date, source, stream, request_id, record_index, fetched_at, ingested_at, record,
        TRY(json_transform(record, '{
            "advertiserId": "VARCHAR", "campaignId": "VARCHAR", "insertionOrderId": "VARCHAR",
            "displayName": "VARCHAR", "entityStatus": "VARCHAR",
            "budget": {"budgetUnit": "VARCHAR", "budgetSegments": [{
                "budgetAmountMicros": "VARCHAR",
                "dateRange": {
                    "startDate": {"year": "VARCHAR", "month": "VARCHAR", "day": "VARCHAR"},
                    "endDate": {"year": "VARCHAR", "month": "VARCHAR", "day": "VARCHAR"}}}]},
            "pacing": {"pacingPeriod": "VARCHAR", "pacingType": "VARCHAR"}
        }')) AS dv
    FROM bronze.raw_records
    WHERE stream = 'insertion_orders' AND source = 'dv360'
),
typed AS (
    SELECT
        org_id, report_date, source, stream, request_id, record_index, fetched_at, ingested_at, record,
        -- A record that parsed and starts with '{' is an object; only the others (not JSON, an array, a scalar, or
        -- leading white space) are parsed again to tell.
        CASE WHEN starts_with(record, '{') AND dv IS NOT NULL THEN false
            ELSE json_type(try_cast(record AS JSON)) IS DISTINCT FROM 'OBJECT'
        END AS is_bad_record,
        nullif(trim(dv.advertiserId), '') AS account_id,
        nullif(trim(dv.campaignId), '') AS campaign_id,
        nullif(trim(dv.insertionOrderId), '') AS insertion_order_id,
        dv.displayName AS name,
        dv.entityStatus AS status,
        list_min(list_transform(
            dv.budget.budgetSegments,
            lambda seg: try_cast(make_date(
                try_cast(seg.dateRange.startDate.year AS BIGINT),
                try_cast(seg.dateRange.startDate.month AS BIGINT),
                try_cast(seg.dateRange.startDate.day AS BIGINT)) AS DATE)
        )) AS flight_start,
        list_max(list_transform(
            dv.budget.budgetSegments,
            lambda seg: try_cast(make_date(
                try_cast(seg.dateRange.endDate.year AS BIGINT),
                try_cast(seg.dateRange.endDate.month AS BIGINT),
                try_cast(seg.dateRange.endDate.day AS BIGINT)) AS DATE)
        )) AS flight_end,
        CASE WHEN dv.budget.budgetUnit = 'BUDGET_UNIT_CURRENCY' THEN list_sum(list_transform(
            dv.budget.budgetSegments,
            lambda seg: coalesce(try_cast(seg.budgetAmountMicros AS DECIMAL(18, 0)), try_cast(seg.budgetAmountMicros AS DECIMAL(38, 0)))
        )) * 0.000001 END AS budget_exact,
        dv.pacing.pacingPeriod AS pacing_period,
        dv.pacing.pacingType AS pacing_type
    FROM records
)
SELECT
    org_id, report_date, source, stream, request_id, record_index, fetched_at, ingested_at, record,
    account_id, campaign_id, insertion_order_id, name, status, flight_start, flight_end, budget_exact,
    pacing_period, pacing_type,
    account_id IS NOT NULL AND campaign_id IS NOT NULL AND insertion_order_id IS NOT NULL
        AND nullif(trim(name), '') IS NOT NULL AS is_complete,
    CASE
        WHEN is_bad_record THEN 'bad_record'
        WHEN account_id IS NULL OR campaign_id IS NULL OR insertion_order_id IS NULL THEN 'missing_id'
    END AS reject_reason
FROM typed
