-- model: silver.insertion_orders
-- engine: duckdb
-- inputs: silver.stg_insertion_orders
-- grain: one row per org, snapshot day (report_date = bronze fetch day) and DV360 insertion order; the latest fetch of the day wins
-- tests: unique(org_id, report_date, source, insertion_order_id), not_null(org_id, report_date, source, account_id, campaign_id, insertion_order_id, fetched_at, request_id), accepted_values(pacing: 'EVEN', 'AHEAD', 'ASAP')
-- version: 2
-- description: DV360 insertion orders with budget segments summed into a flight and a budget. TTD and Meta have no insertion-order level (their delivery names the campaign in its place), so they add no rows here.

-- Records are typed and checked in silver.stg_insertion_orders; every excluded one lands in silver.rejected_records.
-- Column rules (DV360 stream `insertion_orders`, API v4 JSON):
--   account_id, campaign_id, insertion_order_id   advertiserId, campaignId, insertionOrderId; trimmed strings;
--                 a record missing any of them, or not a JSON object, is excluded.
--   name, status  displayName, entityStatus.
--   flight_start, flight_end  earliest startDate and latest endDate of budget.budgetSegments[].dateRange
--                 ({year, month, day}); NULL when there are no segments.
--   budget        sum of budget.budgetSegments[].budgetAmountMicros / 1,000,000 when budgetUnit is
--                 BUDGET_UNIT_CURRENCY (impression budgets are not money: NULL); DECIMAL(18,2), half away from zero.
--   daily_budget  NULL (IOs pace over the flight).
--   currency      NULL (the advertiser's currency applies).
--   pacing        pacing.pacingType without the PACING_TYPE_ prefix (EVEN, AHEAD, ASAP); pacing_raw keeps
--                 "<pacingPeriod>/<pacingType>".
--   dedup         per (org, day, insertion order) the latest fetched_at wins, then the greater request_id.
WITH ranked AS (
    SELECT *, row_number() OVER (
        PARTITION BY org_id, report_date, insertion_order_id ORDER BY fetched_at DESC, request_id DESC, record_index DESC
    ) AS fetch_rank
    FROM silver.stg_insertion_orders
    WHERE reject_reason IS NULL
)
SELECT
    org_id,
    report_date,
    source,
    account_id,
    campaign_id,
    insertion_order_id,
    name,
    status,
    flight_start,
    flight_end,
    CAST(CASE WHEN budget_exact >= 0 THEN budget_exact END AS DECIMAL(18, 2)) AS budget,
    CAST(NULL AS DECIMAL(18, 2)) AS daily_budget,
    CAST(NULL AS VARCHAR) AS currency,
    CASE WHEN pacing_type IN ('PACING_TYPE_EVEN', 'PACING_TYPE_AHEAD', 'PACING_TYPE_ASAP')
        THEN replace(pacing_type, 'PACING_TYPE_', '') END AS pacing,
    concat_ws('/', pacing_period, pacing_type) AS pacing_raw,
    fetched_at,
    request_id,
    'silver.insertion_orders@v2' AS transform_version
FROM ranked
WHERE fetch_rank = 1
