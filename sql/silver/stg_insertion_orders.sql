-- model: silver.stg_insertion_orders
-- engine: duckdb
-- inputs: bronze.raw_records
-- grain: one row per bronze DV360 insertion_orders record (every fetch, valid or not), with its typed columns and why it is rejected
-- tests: not_null(org_id, report_date, source, stream, request_id, record_index), accepted_values(reject_reason: 'bad_record', 'missing_id')
-- version: 1
-- description: DV360 insertion order records typed per the column rules of silver.insertion_orders; an intermediate that silver.insertion_orders, silver.rejected_records and silver.quality read. Not written to the lake.

-- Column rules: see silver.insertion_orders. budget_exact is the summed currency budget before the sign check and
-- rounding; pacing_period and pacing_type are the source's pacing values. reject_reason is the first failing rule
-- (null = valid):
--   bad_record   the record is not a JSON object.
--   missing_id   empty advertiser, campaign or insertion order id.
--   is_complete  the three ids and the name present (for silver.quality).
WITH records AS (
    SELECT
        org_id, report_date, source, stream, request_id, record_index, fetched_at, ingested_at, record,
        try_cast(record AS JSON) AS j
    FROM bronze.raw_records
    WHERE stream = 'insertion_orders' AND source = 'dv360'
),
typed AS (
    SELECT
        org_id, report_date, source, stream, request_id, record_index, fetched_at, ingested_at, record,
        json_type(j) IS DISTINCT FROM 'OBJECT' AS is_bad_record,
        nullif(trim(j ->> 'advertiserId'), '') AS account_id,
        nullif(trim(j ->> 'campaignId'), '') AS campaign_id,
        nullif(trim(j ->> 'insertionOrderId'), '') AS insertion_order_id,
        j ->> 'displayName' AS name,
        j ->> 'entityStatus' AS status,
        list_min(list_transform(
            json_extract(j, '$.budget.budgetSegments[*].dateRange.startDate'),
            d -> try_cast(make_date(try_cast(d ->> 'year' AS BIGINT), try_cast(d ->> 'month' AS BIGINT), try_cast(d ->> 'day' AS BIGINT)) AS DATE)
        )) AS flight_start,
        list_max(list_transform(
            json_extract(j, '$.budget.budgetSegments[*].dateRange.endDate'),
            d -> try_cast(make_date(try_cast(d ->> 'year' AS BIGINT), try_cast(d ->> 'month' AS BIGINT), try_cast(d ->> 'day' AS BIGINT)) AS DATE)
        )) AS flight_end,
        CASE WHEN (j ->> '$.budget.budgetUnit') = 'BUDGET_UNIT_CURRENCY' THEN list_sum(list_transform(
            json_extract_string(j, '$.budget.budgetSegments[*].budgetAmountMicros'),
            m -> try_cast(m AS DECIMAL(38, 0))
        )) * 0.000001 END AS budget_exact,
        j ->> '$.pacing.pacingPeriod' AS pacing_period,
        j ->> '$.pacing.pacingType' AS pacing_type
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
