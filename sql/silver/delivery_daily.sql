-- model: silver.delivery_daily
-- engine: duckdb
-- inputs: silver.stg_delivery
-- grain: one row per org, source, line item (DV360 line item / TTD ad group / Meta ad set) and report date; the latest fetch wins
-- tests: unique(org_id, source, line_item_id, report_date), not_null(org_id, report_date, source, account_id, campaign_id, insertion_order_id, line_item_id, impressions, clicks, spend, currency, conversions, fetched_at, request_id), expression(impressions >= 0 AND clicks >= 0 AND spend >= 0 AND conversions >= 0), accepted_values(source: 'dv360', 'ttd', 'meta')
-- version: 1
-- description: Daily delivery of every DSP line item, typed and deduplicated. A restated day (a newer fetch of the same line item and date) replaces the older numbers; it is never added to them.

-- Column rules (types, defaults and exclusions are stated in silver.stg_delivery):
--   only valid records (reject_reason IS NULL); rejected ones go to silver.rejected_records with their reason.
--   dedup: per (org_id, source, line_item_id, report_date) the record with the latest fetched_at wins; ties
--          (one fetch answering twice) go to the greater request_id, then the later record_index, so the choice
--          is deterministic and a rerun over the same bronze rows picks the same row.
--   transform_version: 'silver.delivery_daily@v<version>'; the worker writes the full file version
--          (`@v<version>+<sha>`) in its place.
WITH ranked AS (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY org_id, source, line_item_id, report_date
            ORDER BY fetched_at DESC, request_id DESC, record_index DESC
        ) AS fetch_rank
    FROM silver.stg_delivery
    WHERE reject_reason IS NULL
)
SELECT
    org_id,
    report_date,
    source,
    account_id,
    campaign_id,
    insertion_order_id,
    line_item_id,
    line_item_type,
    impressions,
    clicks,
    spend,
    currency,
    conversions,
    fetched_at,
    request_id,
    'silver.delivery_daily@v1' AS transform_version
FROM ranked
WHERE fetch_rank = 1
