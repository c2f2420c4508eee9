-- model: silver.clients
-- engine: duckdb
-- inputs: bronze.raw_records
-- grain: one row per org, snapshot day (report_date = bronze fetch day) and client; the latest fetch of the day wins
-- tests: unique(org_id, report_date, client_id), not_null(org_id, report_date, client_id, client_name, currency, fetched_at, request_id), expression(length(currency) = 3)
-- version: 1
-- description: CRM clients from the Sheets "Clients" tab, one snapshot per fetch day.

-- Column rules (Sheets stream `clients`; a record is one sheet row keyed by its header cells). People edit the
-- header by hand, so it is matched as the connector matches it (workers/connector/sources/sheets/header.ts):
-- lower case, runs of non-alphanumerics → "_", in any order, the first of duplicate headers wins, with aliases.
-- (The same header CTE is repeated in bookings.sql and exchange_rates.sql, deliberately: one model per file.)
--   client_id        "Client ID" (alias "ID"); trimmed; empty → excluded (blank spacer rows end here too).
--   client_name      "Client Name" (aliases "Name", "Client"); trimmed; empty → excluded.
--   account_manager  "Account Manager" (alias "Owner"); trimmed; empty → NULL.
--   currency         "Currency"; upper-cased, trimmed; not three letters A-Z → excluded.
--   dedup            per (org, day, client) the latest fetched_at wins, then the greater request_id, then the
--                    later row of the sheet.
WITH records AS (
    SELECT
        org_id, report_date, request_id, record_index, fetched_at,
        (SELECT list({
            'k': regexp_replace(lower(regexp_replace(trim(key), '[^a-zA-Z0-9]+', '_', 'g')), '^_+|_+$', '', 'g'),
            'v': nullif(trim(value ->> '$'), '')
        }) FROM json_each(try_cast(record AS JSON))) AS cells
    FROM bronze.raw_records
    WHERE source = 'sheets' AND stream = 'clients'
),
typed AS (
    SELECT
        org_id, report_date, request_id, record_index, fetched_at,
        list_filter(cells, c -> c.k IN ('client_id', 'id'))[1].v AS client_id,
        list_filter(cells, c -> c.k IN ('client_name', 'name', 'client'))[1].v AS client_name,
        list_filter(cells, c -> c.k IN ('account_manager', 'owner'))[1].v AS account_manager,
        upper(list_filter(cells, c -> c.k = 'currency')[1].v) AS currency
    FROM records
),
ranked AS (
    SELECT *, row_number() OVER (
        PARTITION BY org_id, report_date, client_id ORDER BY fetched_at DESC, request_id DESC, record_index DESC
    ) AS fetch_rank
    FROM typed
    WHERE client_id IS NOT NULL AND client_name IS NOT NULL AND regexp_full_match(coalesce(currency, ''), '[A-Z]{3}')
)
SELECT
    org_id,
    report_date,
    client_id,
    client_name,
    account_manager,
    currency,
    fetched_at,
    request_id,
    'silver.clients@v1' AS transform_version
FROM ranked
WHERE fetch_rank = 1
