-- model: silver.bookings
-- engine: duckdb
-- inputs: silver.stg_bookings
-- grain: one row per org, snapshot day (report_date = bronze fetch day) and booking; the latest fetch of the day wins
-- tests: unique(org_id, report_date, booking_id), not_null(org_id, report_date, booking_id, client_id, line_items, booked_impressions, booked_revenue, currency, flight_start, flight_end, fetched_at, request_id), expression(flight_start <= flight_end AND booked_impressions >= 0 AND booked_revenue >= 0)
-- version: 1
-- description: CRM bookings from the Sheets "Bookings" tab (unformatted values, serial dates), one snapshot per fetch day, with the DSP line items each booking maps to.

-- Records are typed and checked in silver.stg_bookings; every excluded one lands in silver.rejected_records.
-- Column rules (Sheets stream `bookings`; headers matched as in clients.sql):
--   booking_id          "Booking ID" (alias "ID"); trimmed; empty → excluded (blank spacer rows end here).
--   client_id           "Client ID" (alias "Client"); trimmed; empty → excluded.
--   line_items          "DSP Line Items" (alias "Line Items"): split on commas, semicolons and newlines, each
--                       trimmed, empties dropped, as a JSON array of "<source>:<line item id>" in sheet order;
--                       an empty cell → "[]" (a booking not yet mapped is still a booking).
--   booked_impressions  "Booked Impressions" (alias "Impressions"): a number (thousands separators "," removed),
--                       rounded half away from zero to BIGINT; empty → 0; not a number or negative → excluded.
--   booked_revenue      "Booked Revenue" (alias "Revenue"): DECIMAL(15,2) from the number's text, rounded half
--                       away from zero; empty → 0; not a number or negative → excluded.
--   currency            "Currency"; upper-cased, trimmed; not three letters A-Z → excluded.
--   flight_start/end    "Flight Start" / "Flight End" (aliases "Start Date" / "End Date"): a Sheets serial date
--                       (days since 1899-12-30; a time-of-day fraction is dropped) or an ISO date text; missing,
--                       unparsable, outside 2000-01-01..2100-12-31, or start after end → excluded.
--   notes               "Notes"; trimmed; empty → NULL.
--   dedup               per (org, day, booking) the latest fetched_at wins, then the greater request_id, then the
--                       later row of the sheet.
WITH ranked AS (
    SELECT *, row_number() OVER (
        PARTITION BY org_id, report_date, booking_id ORDER BY fetched_at DESC, request_id DESC, record_index DESC
    ) AS fetch_rank
    FROM silver.stg_bookings
    WHERE reject_reason IS NULL
)
SELECT
    org_id,
    report_date,
    booking_id,
    client_id,
    CAST(to_json(list_filter(
        list_transform(regexp_split_to_array(coalesce(line_items_text, ''), '[,;\n]'), x -> trim(x)),
        x -> x <> ''
    )) AS VARCHAR) AS line_items,
    CAST(round(impressions_exact) AS BIGINT) AS booked_impressions,
    CAST(revenue_exact AS DECIMAL(15, 2)) AS booked_revenue,
    currency,
    flight_start,
    flight_end,
    notes,
    fetched_at,
    request_id,
    'silver.bookings@v1' AS transform_version
FROM ranked
WHERE fetch_rank = 1
