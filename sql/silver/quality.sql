-- model: silver.quality
-- engine: duckdb
-- inputs: silver.stg_delivery, silver.delivery_daily, silver.stg_bookings, silver.bookings, silver.stg_clients, silver.clients, silver.stg_exchange_rates, silver.exchange_rates, silver.stg_campaigns, silver.campaigns, silver.stg_insertion_orders, silver.insertion_orders, silver.stg_line_items, silver.line_items
-- grain: one row per org, report date and silver table scored
-- tests: unique(org_id, report_date, table_name), expression(rows_in = rows_written + rows_superseded + rows_rejected), expression(score BETWEEN 0 AND 100 AND completeness BETWEEN 0 AND 100 AND validity BETWEEN 0 AND 100 AND uniqueness BETWEEN 0 AND 100 AND freshness BETWEEN 0 AND 100)
-- version: 3
-- description: Data quality of each silver partition (0-100 per dimension and overall); the worker publishes the row-weighted batch score with silver.data.processed.

-- Scored tables, each from its stg_ model: silver.delivery_daily (a row's identity is its source and line item);
-- silver.bookings, silver.clients and silver.exchange_rates (booking id, client id, or rate date and pair);
-- silver.campaigns, silver.insertion_orders and silver.line_items (source and campaign, insertion order, source and
-- line item; every entity record is a data record).
-- Column rules (per org, report date and table; "data records" = records minus the report and sheet structure rows
-- total_row, not_a_delivery_record and blank_row, which are excluded and counted but are not bad data):
--   rows_in            every bronze record of the partition and table's stream, every fetch.
--   rows_rejected      records with a reject_reason (see silver.rejected_records).
--   rows_superseded    valid records replaced by a later fetch of the same row identity and day (restatements).
--   rows_written       rows of the table; rows_in = rows_written + rows_superseded + rows_rejected.
--   rejected_by_reason JSON object reason → count, '{}' when none.
--   completeness       100 × data records with every required field present / data records.
--   validity           100 × valid records / data records.
--   uniqueness         100 × distinct (row identity, day, request) among valid records / valid records: a fetch that
--                      reports one line item (booking, campaign, ...) and day twice is a duplicate; a later fetch of
--                      it is a restatement.
--   freshness          100 × data records ingested within 15 minutes of the fetch (DESIGN.md §8's DSP → bronze
--                      ceiling) / data records.
--   score              the mean of the four, rounded half away from zero. Each share is rounded the same way;
--                      an empty denominator scores 100.
WITH staged AS (
    SELECT
        'silver.delivery_daily' AS table_name, org_id, report_date, reject_reason, is_complete, fetched_at, ingested_at,
        request_id, source || ':' || line_item_id AS row_key,
        reject_reason IS NULL OR reject_reason NOT IN ('total_row', 'not_a_delivery_record') AS is_data
    FROM silver.stg_delivery
    UNION ALL
    SELECT
        'silver.bookings', org_id, report_date, reject_reason, is_complete, fetched_at, ingested_at, request_id,
        booking_id, reject_reason IS DISTINCT FROM 'blank_row'
    FROM silver.stg_bookings
    UNION ALL
    SELECT
        'silver.clients', org_id, report_date, reject_reason, is_complete, fetched_at, ingested_at, request_id,
        client_id, reject_reason IS DISTINCT FROM 'blank_row'
    FROM silver.stg_clients
    UNION ALL
    SELECT
        'silver.exchange_rates', org_id, report_date, reject_reason, is_complete, fetched_at, ingested_at, request_id,
        concat_ws(':', rate_date, from_currency, to_currency), reject_reason IS DISTINCT FROM 'blank_row'
    FROM silver.stg_exchange_rates
    UNION ALL
    SELECT
        'silver.campaigns', org_id, report_date, reject_reason, is_complete, fetched_at, ingested_at, request_id,
        source || ':' || campaign_id, true
    FROM silver.stg_campaigns
    UNION ALL
    SELECT
        'silver.insertion_orders', org_id, report_date, reject_reason, is_complete, fetched_at, ingested_at, request_id,
        insertion_order_id, true
    FROM silver.stg_insertion_orders
    UNION ALL
    SELECT
        'silver.line_items', org_id, report_date, reject_reason, is_complete, fetched_at, ingested_at, request_id,
        source || ':' || line_item_id, true
    FROM silver.stg_line_items
),
reasons AS (
    SELECT table_name, org_id, report_date, '{' || string_agg(format('"{}":{}', reject_reason, n), ',' ORDER BY reject_reason) || '}' AS rejected_by_reason
    FROM (
        SELECT table_name, org_id, report_date, reject_reason, count(*) AS n
        FROM staged
        WHERE reject_reason IS NOT NULL
        GROUP BY ALL
    )
    GROUP BY ALL
),
counts AS (
    SELECT
        table_name,
        org_id,
        report_date,
        count(*) AS rows_in,
        count(*) FILTER (WHERE reject_reason IS NOT NULL) AS rows_rejected,
        count(*) FILTER (WHERE reject_reason IS NULL) AS rows_valid,
        count(*) FILTER (WHERE is_data) AS rows_data,
        count(*) FILTER (WHERE is_data AND is_complete) AS rows_complete,
        count(*) FILTER (WHERE is_data AND ingested_at <= fetched_at + INTERVAL 15 MINUTE) AS rows_fresh
    FROM staged
    GROUP BY ALL
),
distinct_keys AS (
    -- Distinct (row key, request) pairs among valid records; a plain GROUP BY is far cheaper than count(DISTINCT).
    SELECT table_name, org_id, report_date, count(*) AS rows_distinct
    FROM (SELECT DISTINCT table_name, org_id, report_date, row_key, request_id FROM staged WHERE reject_reason IS NULL)
    GROUP BY ALL
),
written AS (
    SELECT 'silver.delivery_daily' AS table_name, org_id, report_date, count(*) AS rows_written
    FROM silver.delivery_daily
    GROUP BY ALL
    UNION ALL
    SELECT 'silver.bookings', org_id, report_date, count(*)
    FROM silver.bookings
    GROUP BY ALL
    UNION ALL
    SELECT 'silver.clients', org_id, report_date, count(*)
    FROM silver.clients
    GROUP BY ALL
    UNION ALL
    SELECT 'silver.exchange_rates', org_id, report_date, count(*)
    FROM silver.exchange_rates
    GROUP BY ALL
    UNION ALL
    SELECT 'silver.campaigns', org_id, report_date, count(*)
    FROM silver.campaigns
    GROUP BY ALL
    UNION ALL
    SELECT 'silver.insertion_orders', org_id, report_date, count(*)
    FROM silver.insertion_orders
    GROUP BY ALL
    UNION ALL
    SELECT 'silver.line_items', org_id, report_date, count(*)
    FROM silver.line_items
    GROUP BY ALL
),
scored AS (
    SELECT
        c.*,
        coalesce(w.rows_written, 0) AS rows_written,
        coalesce(d.rows_distinct, 0) AS rows_distinct,
        coalesce(r.rejected_by_reason, '{}') AS rejected_by_reason,
        CAST(round(CASE WHEN rows_data = 0 THEN 100 ELSE 100.0 * rows_complete / rows_data END) AS INTEGER) AS completeness,
        CAST(round(CASE WHEN rows_data = 0 THEN 100 ELSE 100.0 * rows_valid / rows_data END) AS INTEGER) AS validity,
        CAST(round(CASE WHEN rows_valid = 0 THEN 100 ELSE 100.0 * rows_distinct / rows_valid END) AS INTEGER) AS uniqueness,
        CAST(round(CASE WHEN rows_data = 0 THEN 100 ELSE 100.0 * rows_fresh / rows_data END) AS INTEGER) AS freshness
    FROM counts AS c
    LEFT JOIN written AS w USING (table_name, org_id, report_date)
    LEFT JOIN distinct_keys AS d USING (table_name, org_id, report_date)
    LEFT JOIN reasons AS r USING (table_name, org_id, report_date)
)
SELECT
    org_id,
    report_date,
    table_name,
    rows_in,
    rows_rejected,
    rows_valid - rows_written AS rows_superseded,
    rows_written,
    rejected_by_reason,
    completeness,
    validity,
    uniqueness,
    freshness,
    CAST(round((completeness + validity + uniqueness + freshness) / 4.0) AS INTEGER) AS score,
    'silver.quality@v3' AS transform_version
FROM scored
