-- model: silver.stg_delivery
-- engine: duckdb
-- inputs: bronze.raw_records
-- grain: one row per bronze delivery record (every fetch, valid or not), with its typed columns and why it is rejected
-- tests: not_null(org_id, report_date, source, request_id, record_index), accepted_values(reject_reason: 'bad_record', 'total_row', 'not_a_delivery_record', 'missing_id', 'bad_date', 'date_mismatch', 'date_out_of_range', 'bad_number', 'negative_value', 'unknown_currency')
-- version: 4
-- description: Delivery records of DV360 (Bid Manager CSV rows), TTD (My Reports CSV rows) and Meta (Insights rows) parsed and typed; an intermediate that silver.delivery_daily, silver.rejected_records and silver.quality read. Not written to the lake.

-- Column rules (one source column per DSP, named as the raw record names it):
--   report_date        the bronze partition date; a record whose own date differs is rejected (date_mismatch),
--                      so every output row lands in the partition it was read from.
--   record_date        DV360 "Date" (YYYY/MM/DD), TTD "Date" (YYYY-MM-DDT00:00:00), Meta date_start (YYYY-MM-DD);
--                      unparsable → bad_date; before 2000-01-01 or after the fetch day + 1 → date_out_of_range.
--   account_id         DV360 "Advertiser ID", TTD "Advertiser ID", Meta account_id; trimmed string.
--   campaign_id        DV360 "Campaign ID", TTD "Campaign ID", Meta campaign_id; trimmed string.
--   insertion_order_id DV360 "Insertion Order ID"; TTD and Meta have no IO level: the campaign id.
--   line_item_id       DV360 "Line Item ID", TTD "Ad Group ID", Meta adset_id; trimmed. Any of account, campaign,
--                      line item (or DV360 IO) empty → missing_id. A DV360 row with every id empty is the report's
--                      grand-total row → total_row; a Meta record without date_start and metrics is a report-run
--                      status page → not_a_delivery_record.
--   impressions        DV360 "Impressions", TTD "Impressions", Meta impressions; BIGINT; empty/absent → 0;
--                      not an integer → bad_number; negative → negative_value.
--   clicks             same rules as impressions (DV360/TTD "Clicks", Meta clicks).
--   spend              DV360 "Revenue (Advertiser Currency)" (what the advertiser is billed), TTD "Advertiser Cost
--                      (Adv Currency)", Meta spend; parsed exactly as DECIMAL(18,6), then cast to DECIMAL(15,2),
--                      which rounds half away from zero; empty → 0; not a number, or 10^12 or more for one line
--                      item and day → bad_number; < 0 → negative_value. (DECIMAL(18,6) parses ~50× faster than
--                      DECIMAL(38,6), which mattered at millions of rows.)
--   conversions        DV360 "Total Conversions", TTD "All Last Click + View Conversions", Meta the value of the
--                      offsite_conversion.fb_pixel_purchase action (0 when absent); rounded half away from zero
--                      to BIGINT; not a number → bad_number; negative → negative_value.
--   currency           DV360 "Advertiser Currency", TTD "Advertiser Currency Code", Meta account_currency;
--                      upper-cased and trimmed; not in the ISO 4217 list below → unknown_currency.
--   is_complete        every required field present (date, the four ids, spend, currency), for silver.quality.
--   record             not JSON → bad_record.
--   reject_reason      the first failing rule in the order above (null = valid).
WITH records AS (
    -- Each record is parsed once: Meta's JSON rows into m, the DV360 and TTD CSV rows (keyed by their header)
    -- into c; a field the record lacks is NULL. (Two structs because DuckDB field names ignore case, and Meta's
    -- "impressions" and the CSVs' "Impressions" must stay apart.)
    SELECT
        org_id, report_date, source, stream, request_id, record_index, fetched_at, ingested_at,
        CASE WHEN source = 'meta' THEN TRY(json_transform(record, '{
            "date_start": "VARCHAR", "account_id": "VARCHAR", "campaign_id": "VARCHAR", "adset_id": "VARCHAR",
            "impressions": "VARCHAR", "clicks": "VARCHAR", "spend": "VARCHAR", "account_currency": "VARCHAR",
            "actions": [{"action_type": "VARCHAR", "value": "VARCHAR"}]
        }')) END AS m,
        CASE WHEN source <> 'meta' THEN TRY(json_transform(record, '{
            "Date": "VARCHAR", "Advertiser ID": "VARCHAR", "Campaign ID": "VARCHAR", "Insertion Order ID": "VARCHAR",
            "Line Item ID": "VARCHAR", "Ad Group ID": "VARCHAR", "Impressions": "VARCHAR", "Clicks": "VARCHAR",
            "Revenue (Advertiser Currency)": "VARCHAR", "Advertiser Cost (Adv Currency)": "VARCHAR",
            "Total Conversions": "VARCHAR", "All Last Click + View Conversions": "VARCHAR",
            "Advertiser Currency": "VARCHAR", "Advertiser Currency Code": "VARCHAR"
        }')) END AS c
    FROM bronze.raw_records
    WHERE stream = 'delivery' AND source IN ('dv360', 'ttd', 'meta')
),
fields AS (
    SELECT
        org_id, report_date, source, stream, request_id, record_index, fetched_at, ingested_at,
        coalesce(m, c) IS NULL AS is_bad_record,
        nullif(trim(CASE source WHEN 'meta' THEN m.date_start ELSE c."Date" END), '') AS date_text,
        nullif(trim(CASE source WHEN 'meta' THEN m.account_id ELSE c."Advertiser ID" END), '') AS account_id,
        nullif(trim(CASE source WHEN 'meta' THEN m.campaign_id ELSE c."Campaign ID" END), '') AS campaign_id,
        nullif(trim(CASE source
            WHEN 'dv360' THEN c."Insertion Order ID"
            WHEN 'ttd' THEN c."Campaign ID"
            ELSE m.campaign_id END), '') AS insertion_order_id,
        nullif(trim(CASE source
            WHEN 'dv360' THEN c."Line Item ID"
            WHEN 'ttd' THEN c."Ad Group ID"
            ELSE m.adset_id END), '') AS line_item_id,
        nullif(trim(CASE source WHEN 'meta' THEN m.impressions ELSE c."Impressions" END), '') AS impressions_text,
        nullif(trim(CASE source WHEN 'meta' THEN m.clicks ELSE c."Clicks" END), '') AS clicks_text,
        nullif(trim(CASE source
            WHEN 'dv360' THEN c."Revenue (Advertiser Currency)"
            WHEN 'ttd' THEN c."Advertiser Cost (Adv Currency)"
            ELSE m.spend END), '') AS spend_text,
        nullif(trim(CASE source
            WHEN 'dv360' THEN c."Total Conversions"
            WHEN 'ttd' THEN c."All Last Click + View Conversions"
            ELSE list_filter(m.actions, lambda a: a.action_type = 'offsite_conversion.fb_pixel_purchase')[1].value
            END), '') AS conversions_text,
        nullif(upper(trim(CASE source
            WHEN 'dv360' THEN c."Advertiser Currency"
            WHEN 'ttd' THEN c."Advertiser Currency Code"
            ELSE m.account_currency END)), '') AS currency
    FROM records
),
typed AS (
    SELECT
        *,
        -- The source's own format first; the list (slower: it tries each in turn) only when that fails.
        CAST(coalesce(CASE source
            WHEN 'dv360' THEN try_strptime(date_text, '%Y/%m/%d')
            WHEN 'ttd' THEN try_strptime(date_text, '%Y-%m-%dT%H:%M:%S')
            ELSE try_strptime(date_text, '%Y-%m-%d') END,
            try_strptime(date_text, ['%Y/%m/%d', '%Y-%m-%d', '%Y-%m-%dT%H:%M:%S'])) AS DATE) AS record_date,
        coalesce(try_cast(impressions_text AS BIGINT), CASE WHEN impressions_text IS NULL THEN 0 END) AS impressions,
        coalesce(try_cast(clicks_text AS BIGINT), CASE WHEN clicks_text IS NULL THEN 0 END) AS clicks,
        coalesce(try_cast(spend_text AS DECIMAL(18, 6)), CASE WHEN spend_text IS NULL THEN 0 END) AS spend_exact,
        coalesce(try_cast(conversions_text AS DECIMAL(18, 6)), CASE WHEN conversions_text IS NULL THEN 0 END) AS conversions_exact
    FROM fields
)
SELECT
    org_id,
    report_date,
    source,
    stream,
    account_id,
    campaign_id,
    insertion_order_id,
    line_item_id,
    CASE source WHEN 'dv360' THEN 'line_item' WHEN 'ttd' THEN 'ad_group' ELSE 'ad_set' END AS line_item_type,
    record_date,
    impressions,
    clicks,
    CAST(spend_exact AS DECIMAL(15, 2)) AS spend,
    currency,
    CAST(round(conversions_exact) AS BIGINT) AS conversions,
    fetched_at,
    ingested_at,
    request_id,
    record_index,
    date_text IS NOT NULL AND account_id IS NOT NULL AND campaign_id IS NOT NULL AND insertion_order_id IS NOT NULL
        AND line_item_id IS NOT NULL AND spend_text IS NOT NULL AND currency IS NOT NULL AS is_complete,
    CASE
        WHEN is_bad_record THEN 'bad_record'
        WHEN source = 'dv360' AND date_text IS NULL AND account_id IS NULL AND line_item_id IS NULL THEN 'total_row'
        WHEN source = 'meta' AND date_text IS NULL AND impressions_text IS NULL AND spend_text IS NULL
            THEN 'not_a_delivery_record'
        WHEN account_id IS NULL OR campaign_id IS NULL OR insertion_order_id IS NULL OR line_item_id IS NULL
            THEN 'missing_id'
        WHEN record_date IS NULL THEN 'bad_date'
        WHEN record_date <> report_date THEN 'date_mismatch'
        WHEN record_date < DATE '2000-01-01' OR record_date > CAST(fetched_at AS DATE) + 1 THEN 'date_out_of_range'
        WHEN impressions IS NULL OR clicks IS NULL OR spend_exact IS NULL OR conversions_exact IS NULL THEN 'bad_number'
        WHEN impressions < 0 OR clicks < 0 OR spend_exact < 0 OR conversions_exact < 0 THEN 'negative_value'
        WHEN currency IS NULL OR currency NOT IN (
            'USD', 'EUR', 'GBP', 'JPY', 'CHF', 'CAD', 'AUD', 'NZD', 'SEK', 'NOK', 'DKK', 'PLN', 'CZK', 'HUF',
            'RON', 'BGN', 'TRY', 'ILS', 'AED', 'SAR', 'ZAR', 'INR', 'SGD', 'HKD', 'CNY', 'KRW', 'TWD', 'THB',
            'MYR', 'IDR', 'PHP', 'VND', 'MXN', 'BRL', 'ARS', 'CLP', 'COP', 'PEN'
        ) THEN 'unknown_currency'
    END AS reject_reason
FROM typed
