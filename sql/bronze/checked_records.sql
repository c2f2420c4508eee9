-- model: bronze.checked_records
-- engine: duckdb
-- inputs: bronze.landed_records
-- grain: one row per record of one raw page (request_id, record_index), valid or not
-- tests: unique(request_id, record_index), not_null(org_id, source, stream, request_id, record_index, record, ingest_date), expression((reason IS NULL) = (report_date IS NOT NULL AND is_structure_ok AND is_complete AND is_valid_date AND is_fresh))
-- version: 3
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
--   is_structure_ok    the record is a JSON object, and a CSV row has no more cells than its header (no
--                      non-null _extra_cells member) → bad_record.
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
WITH parsed AS (
    -- Each record is parsed once, into the fields its source's checks read (absent → NULL): one struct per
    -- source, because DuckDB field names ignore case (DV360 advertiserId, TTD AdvertiserId). TRY turns text
    -- that is not JSON into a NULL struct instead of failing the batch.
    SELECT
        *,
        source || '/' || stream AS kind,
        CASE WHEN source = 'dv360' THEN TRY(json_transform(record, '{
            "Date": "VARCHAR", "Advertiser ID": "VARCHAR", "Campaign ID": "VARCHAR", "Insertion Order ID": "VARCHAR",
            "Line Item ID": "VARCHAR", "advertiserId": "VARCHAR", "campaignId": "VARCHAR",
            "insertionOrderId": "VARCHAR", "lineItemId": "VARCHAR", "_extra_cells": "JSON"
        }')) END AS dv,
        CASE WHEN source = 'ttd' THEN TRY(json_transform(record, '{
            "Date": "VARCHAR", "Advertiser ID": "VARCHAR", "Campaign ID": "VARCHAR", "Ad Group ID": "VARCHAR",
            "AdvertiserId": "VARCHAR", "CampaignId": "VARCHAR", "AdGroupId": "VARCHAR", "_extra_cells": "JSON"
        }')) END AS ttd,
        CASE WHEN source = 'meta' THEN TRY(json_transform(record, '{
            "date_start": "VARCHAR", "account_id": "VARCHAR", "id": "VARCHAR", "campaign_id": "VARCHAR",
            "_extra_cells": "JSON"
        }')) END AS meta,
        CASE WHEN source = 'sheets' THEN TRY(json_transform(record, '{
            "client_id": "VARCHAR", "booking_id": "VARCHAR", "date": "VARCHAR", "from_currency": "VARCHAR",
            "to_currency": "VARCHAR", "_extra_cells": "JSON"
        }')) END AS sh
    FROM bronze.landed_records
),
shaped AS (
    -- A record that parsed and starts with '{' is an object; only the rest (not JSON, another JSON type, a
    -- leading space, an unknown source) is parsed again to tell which. (A non-object parses into a struct of
    -- NULLs, so the struct alone cannot tell.)
    SELECT
        *,
        CASE
            WHEN coalesce(dv, ttd, meta, sh) IS NOT NULL AND starts_with(record, '{') THEN 'OBJECT'
            WHEN json_valid(record) THEN json_type(record)
        END AS json_kind,
        coalesce(dv._extra_cells, ttd._extra_cells, meta._extra_cells, sh._extra_cells) IS NOT NULL AS has_extra_cells
    FROM parsed
),
fields AS (
    SELECT
        *,
        kind IN ('dv360/delivery', 'ttd/delivery', 'meta/delivery') AS is_delivery,
        CASE kind
            WHEN 'dv360/delivery' THEN dv."Date"
            WHEN 'ttd/delivery' THEN ttd."Date"
            WHEN 'meta/delivery' THEN meta.date_start
        END AS date_text,
        trim(coalesce(CASE
            WHEN kind = 'dv360/delivery' THEN dv."Advertiser ID"
            WHEN kind = 'ttd/delivery' THEN ttd."Advertiser ID"
            WHEN source = 'dv360' THEN dv.advertiserId
            WHEN source = 'ttd' THEN ttd.AdvertiserId
            WHEN source = 'meta' THEN meta.account_id
            WHEN source = 'sheets' THEN page_account
        END, '')) AS account,
        -- The required ids that are absent or blank, comma-separated ('' = none; NULL = no rules for the kind).
        CASE kind
            WHEN 'dv360/delivery' THEN concat_ws(', ',
                CASE WHEN coalesce(trim(dv."Advertiser ID"), '') = '' THEN 'Advertiser ID' END,
                CASE WHEN coalesce(trim(dv."Campaign ID"), '') = '' THEN 'Campaign ID' END,
                CASE WHEN coalesce(trim(dv."Insertion Order ID"), '') = '' THEN 'Insertion Order ID' END,
                CASE WHEN coalesce(trim(dv."Line Item ID"), '') = '' THEN 'Line Item ID' END)
            WHEN 'dv360/advertisers' THEN concat_ws(', ',
                CASE WHEN coalesce(trim(dv."advertiserId"), '') = '' THEN 'advertiserId' END)
            WHEN 'dv360/campaigns' THEN concat_ws(', ',
                CASE WHEN coalesce(trim(dv."advertiserId"), '') = '' THEN 'advertiserId' END,
                CASE WHEN coalesce(trim(dv."campaignId"), '') = '' THEN 'campaignId' END)
            WHEN 'dv360/insertion_orders' THEN concat_ws(', ',
                CASE WHEN coalesce(trim(dv."advertiserId"), '') = '' THEN 'advertiserId' END,
                CASE WHEN coalesce(trim(dv."campaignId"), '') = '' THEN 'campaignId' END,
                CASE WHEN coalesce(trim(dv."insertionOrderId"), '') = '' THEN 'insertionOrderId' END)
            WHEN 'dv360/line_items' THEN concat_ws(', ',
                CASE WHEN coalesce(trim(dv."advertiserId"), '') = '' THEN 'advertiserId' END,
                CASE WHEN coalesce(trim(dv."insertionOrderId"), '') = '' THEN 'insertionOrderId' END,
                CASE WHEN coalesce(trim(dv."lineItemId"), '') = '' THEN 'lineItemId' END)
            WHEN 'ttd/delivery' THEN concat_ws(', ',
                CASE WHEN coalesce(trim(ttd."Advertiser ID"), '') = '' THEN 'Advertiser ID' END,
                CASE WHEN coalesce(trim(ttd."Campaign ID"), '') = '' THEN 'Campaign ID' END,
                CASE WHEN coalesce(trim(ttd."Ad Group ID"), '') = '' THEN 'Ad Group ID' END)
            WHEN 'ttd/advertisers' THEN concat_ws(', ',
                CASE WHEN coalesce(trim(ttd."AdvertiserId"), '') = '' THEN 'AdvertiserId' END)
            WHEN 'ttd/campaigns' THEN concat_ws(', ',
                CASE WHEN coalesce(trim(ttd."AdvertiserId"), '') = '' THEN 'AdvertiserId' END,
                CASE WHEN coalesce(trim(ttd."CampaignId"), '') = '' THEN 'CampaignId' END)
            WHEN 'ttd/ad_groups' THEN concat_ws(', ',
                CASE WHEN coalesce(trim(ttd."AdvertiserId"), '') = '' THEN 'AdvertiserId' END,
                CASE WHEN coalesce(trim(ttd."CampaignId"), '') = '' THEN 'CampaignId' END,
                CASE WHEN coalesce(trim(ttd."AdGroupId"), '') = '' THEN 'AdGroupId' END)
            WHEN 'meta/delivery' THEN concat_ws(', ',
                CASE WHEN coalesce(trim(meta."account_id"), '') = '' THEN 'account_id' END)
            WHEN 'meta/campaigns' THEN concat_ws(', ',
                CASE WHEN coalesce(trim(meta."id"), '') = '' THEN 'id' END,
                CASE WHEN coalesce(trim(meta."account_id"), '') = '' THEN 'account_id' END)
            WHEN 'meta/ad_sets' THEN concat_ws(', ',
                CASE WHEN coalesce(trim(meta."id"), '') = '' THEN 'id' END,
                CASE WHEN coalesce(trim(meta."account_id"), '') = '' THEN 'account_id' END,
                CASE WHEN coalesce(trim(meta."campaign_id"), '') = '' THEN 'campaign_id' END)
            WHEN 'sheets/clients' THEN concat_ws(', ',
                CASE WHEN coalesce(trim(sh."client_id"), '') = '' THEN 'client_id' END)
            WHEN 'sheets/bookings' THEN concat_ws(', ',
                CASE WHEN coalesce(trim(sh."booking_id"), '') = '' THEN 'booking_id' END,
                CASE WHEN coalesce(trim(sh."client_id"), '') = '' THEN 'client_id' END)
            WHEN 'sheets/exchange_rates' THEN concat_ws(', ',
                CASE WHEN coalesce(trim(sh."date"), '') = '' THEN 'date' END,
                CASE WHEN coalesce(trim(sh."from_currency"), '') = '' THEN 'from_currency' END,
                CASE WHEN coalesce(trim(sh."to_currency"), '') = '' THEN 'to_currency' END)
        END AS missing_ids
    FROM shaped
),
checked AS (
    SELECT
        *,
        coalesce(json_kind = 'OBJECT' AND NOT has_extra_cells, false) AS is_structure_ok,
        CASE
            WHEN NOT is_delivery THEN fetch_date
            WHEN source = 'dv360' AND regexp_full_match(date_text, '\d{4}/\d{2}/\d{2}')
                THEN try_strptime(date_text, '%Y/%m/%d')::DATE
            WHEN source = 'ttd' AND regexp_full_match(date_text, '\d{4}-\d{2}-\d{2}(T[0-9:.]+)?')
                THEN try_cast(left(date_text, 10) AS DATE)
            WHEN source = 'meta' AND regexp_full_match(date_text, '\d{4}-\d{2}-\d{2}')
                THEN try_cast(date_text AS DATE)
        END AS record_date
    FROM fields
),
judged AS (
    SELECT
        *,
        coalesce(missing_ids = '', false) AS is_complete,
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
            WHEN json_kind IS NULL THEN 'not JSON'
            WHEN json_kind <> 'OBJECT' THEN 'not a JSON object'
            ELSE 'more cells than the header' END
        WHEN missing_ids IS NULL THEN 'bad_record: no rules for ' || kind
        WHEN NOT is_complete THEN 'missing_id: ' || missing_ids
        WHEN NOT is_valid_date THEN 'bad_date: ' || coalesce('''' || date_text || '''', 'no date')
        WHEN NOT is_fresh THEN 'date_out_of_range: ' || strftime(record_date, '%Y-%m-%d') || ' outside the window '
            || strftime(window_from, '%Y-%m-%d') || '..' || strftime(window_to, '%Y-%m-%d')
    END AS reason
FROM judged
