-- model: bronze.checked_records
-- engine: duckdb
-- inputs: bronze.landed_records
-- grain: one row per record of one raw page (request_id, record_index), valid or not
-- tests: unique(request_id, record_index), not_null(org_id, source, stream, request_id, record_index, record, ingest_date), expression((reason IS NULL) = (report_date IS NOT NULL AND is_structure_ok AND is_complete AND is_valid_date AND is_fresh))
-- version: 1
-- description: The bronze checks of every landed record: structure, required ids, report date, freshness. An intermediate that bronze.raw_records (valid rows) and bronze.quarantine (the rest, with the reason) read; not written to the lake.

-- Input: bronze.landed_records, written by the bronze worker: one row per record of a page, `record` the
-- record's JSON text as received (a JSON list element, or a CSV/Sheets row keyed by its header), with the
-- envelope fields, fetch_date (the fetch day in the org's time zone), page_account (the page's account when
-- its records do not carry one: the Sheets spreadsheet id) and ingested_at (the batch's ingest time).
--
-- Column rules:
--   record             kept exactly as landed.
--   account            DV360 "Advertiser ID" (delivery) / advertiserId (entities); TTD "Advertiser ID" /
--                      AdvertiserId; Meta account_id; Sheets the spreadsheet id (page_account). Trimmed; '' when
--                      absent (then the record also fails the required-id check).
--   report_date        delivery streams: the record's own day. DV360 "Date" is YYYY/MM/DD, TTD "Date" is
--                      YYYY-MM-DD with an optional time (T00:00:00), Meta date_start is YYYY-MM-DD; anything else,
--                      or an impossible day (2026-02-30), is a bad date.
--                      Entity streams (advertisers, campaigns, insertion_orders, line_items, ad_groups, ad_sets)
--                      and CRM streams (clients, bookings, exchange_rates): the fetch day in the org's time zone.
--   ingest_date        the UTC day of ingested_at (the quarantine's partition).
-- Checks, each a boolean column, and the reason (the first failing check, as `<code>: <detail>`):
--   is_structure_ok    the record is a JSON object, and a CSV row has no more cells than its header
--                      → bad_record.
--   is_complete        every id the stream needs is present and non-blank → missing_id: <the missing fields>.
--                      DV360 delivery: Advertiser ID, Campaign ID, Insertion Order ID, Line Item ID; TTD delivery:
--                      Advertiser ID, Campaign ID, Ad Group ID; Meta delivery: account_id (campaign/ad set/ad ids
--                      depend on the connection's level, so silver checks them). Entities: their own id and their
--                      parents' (DV360 advertiserId, campaignId, insertionOrderId, lineItemId; TTD AdvertiserId,
--                      CampaignId, AdGroupId; Meta id, account_id, campaign_id). Sheets: client_id; booking_id and
--                      client_id; the exchange rate's date, from_currency and to_currency.
--   is_valid_date      a delivery record's date parses (above) → bad_date: <the text>.
--   is_fresh           a delivery record's day lies inside the fetch window the connector asked for
--                      (window_from..window_to) → date_out_of_range: <day> outside <window>. A day outside it
--                      is a stale or future row the source should not have sent.
WITH landed AS (
    SELECT *, try_cast(record AS JSON) AS j, source || '/' || stream AS kind
    FROM bronze.landed_records
),
fields AS (
    SELECT
        *,
        kind IN ('dv360/delivery', 'ttd/delivery', 'meta/delivery') AS is_delivery,
        CASE kind
            WHEN 'dv360/delivery' THEN j ->> 'Date'
            WHEN 'ttd/delivery' THEN j ->> 'Date'
            WHEN 'meta/delivery' THEN j ->> 'date_start'
        END AS date_text,
        trim(coalesce(CASE
            WHEN kind IN ('dv360/delivery', 'ttd/delivery') THEN j ->> 'Advertiser ID'
            WHEN source = 'dv360' THEN j ->> 'advertiserId'
            WHEN source = 'ttd' THEN j ->> 'AdvertiserId'
            WHEN source = 'meta' THEN j ->> 'account_id'
            WHEN source = 'sheets' THEN page_account
        END, '')) AS account,
        CASE kind
            WHEN 'dv360/delivery' THEN ['Advertiser ID', 'Campaign ID', 'Insertion Order ID', 'Line Item ID']
            WHEN 'dv360/advertisers' THEN ['advertiserId']
            WHEN 'dv360/campaigns' THEN ['advertiserId', 'campaignId']
            WHEN 'dv360/insertion_orders' THEN ['advertiserId', 'campaignId', 'insertionOrderId']
            WHEN 'dv360/line_items' THEN ['advertiserId', 'insertionOrderId', 'lineItemId']
            WHEN 'ttd/delivery' THEN ['Advertiser ID', 'Campaign ID', 'Ad Group ID']
            WHEN 'ttd/advertisers' THEN ['AdvertiserId']
            WHEN 'ttd/campaigns' THEN ['AdvertiserId', 'CampaignId']
            WHEN 'ttd/ad_groups' THEN ['AdvertiserId', 'CampaignId', 'AdGroupId']
            WHEN 'meta/delivery' THEN ['account_id']
            WHEN 'meta/campaigns' THEN ['id', 'account_id']
            WHEN 'meta/ad_sets' THEN ['id', 'account_id', 'campaign_id']
            WHEN 'sheets/clients' THEN ['client_id']
            WHEN 'sheets/bookings' THEN ['booking_id', 'client_id']
            WHEN 'sheets/exchange_rates' THEN ['date', 'from_currency', 'to_currency']
        END AS id_fields
    FROM landed
),
checked AS (
    SELECT
        *,
        coalesce(json_type(j) = 'OBJECT' AND (j -> '_extra_cells') IS NULL, false) AS is_structure_ok,
        CASE
            WHEN NOT is_delivery THEN fetch_date
            WHEN source = 'dv360' AND regexp_full_match(date_text, '\d{4}/\d{2}/\d{2}')
                THEN try_strptime(date_text, '%Y/%m/%d')::DATE
            WHEN source = 'ttd' AND regexp_full_match(date_text, '\d{4}-\d{2}-\d{2}(T[0-9:.]+)?')
                THEN try_cast(left(date_text, 10) AS DATE)
            WHEN source = 'meta' AND regexp_full_match(date_text, '\d{4}-\d{2}-\d{2}')
                THEN try_cast(date_text AS DATE)
        END AS record_date,
        list_filter(coalesce(id_fields, []), lambda k: coalesce(trim(j ->> k), '') = '') AS missing_ids
    FROM fields
),
judged AS (
    SELECT
        *,
        id_fields IS NOT NULL AND len(missing_ids) = 0 AS is_complete,
        record_date IS NOT NULL AS is_valid_date,
        coalesce(NOT is_delivery OR record_date BETWEEN window_from AND window_to, false) AS is_fresh
    FROM checked
)
SELECT
    org_id,
    CASE WHEN is_structure_ok AND is_complete AND is_valid_date AND is_fresh THEN record_date END AS report_date,
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
    ingested_at,
    CAST(timezone('UTC', ingested_at) AS DATE) AS ingest_date,
    is_structure_ok,
    is_complete,
    is_valid_date,
    is_fresh,
    CASE
        WHEN NOT is_structure_ok THEN 'bad_record: ' || CASE
            WHEN j IS NULL THEN 'not JSON'
            WHEN json_type(j) <> 'OBJECT' THEN 'not a JSON object'
            ELSE 'more cells than the header' END
        WHEN id_fields IS NULL THEN 'bad_record: no rules for ' || kind
        WHEN NOT is_complete THEN 'missing_id: ' || array_to_string(missing_ids, ', ')
        WHEN NOT is_valid_date THEN 'bad_date: ' || coalesce('''' || date_text || '''', 'no date')
        WHEN NOT is_fresh THEN 'date_out_of_range: ' || strftime(record_date, '%Y-%m-%d') || ' outside the window '
            || strftime(window_from, '%Y-%m-%d') || '..' || strftime(window_to, '%Y-%m-%d')
    END AS reason
FROM judged
