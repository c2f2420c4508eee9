-- model: gold.dim_bookings
-- engine: clickhouse
-- inputs: silver.bookings
-- grain: one row per org, booking and CRM snapshot day (valid_from): the booking's history
-- tests: not_null(org_id, booking_id, valid_from, client_id, flight_start, flight_end, version), expression(flight_start <= flight_end)
-- version: 1
-- description: Bookings as the CRM showed them each snapshot day. The CRM mapping `line_items` (JSON array of "<source>:<line item id>") becomes an array; a value that is not a JSON array of strings becomes an empty array (the booking maps no delivery).

SELECT
    org_id,
    booking_id,
    report_date AS valid_from,
    client_id,
    JSONExtract(line_items, 'Array(String)') AS line_items,
    booked_impressions,
    toDecimal64(booked_revenue, 2) AS booked_revenue,
    currency,
    flight_start,
    flight_end,
    notes,
    toDateTime64(fetched_at, 3, 'UTC') AS fetched_at,
    toUInt64(toUnixTimestamp64Milli(toDateTime64(fetched_at, 3, 'UTC'))) AS version,
    transform_version
FROM silver.bookings
