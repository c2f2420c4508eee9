-- model: silver.clients
-- engine: duckdb
-- inputs: silver.stg_clients
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
-- Records are typed and checked in silver.stg_clients; every excluded one lands in silver.rejected_records.
WITH ranked AS (
    SELECT *, row_number() OVER (
        PARTITION BY org_id, report_date, client_id ORDER BY fetched_at DESC, request_id DESC, record_index DESC
    ) AS fetch_rank
    FROM silver.stg_clients
    WHERE reject_reason IS NULL
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
