-- model: gold.bookings_current
-- engine: clickhouse
-- inputs: gold.dim_bookings
-- grain: one row per org and booking in the org's latest CRM snapshot
-- tests: unique(org_id, booking_id)
-- version: 1
-- description: The bookings as the CRM shows them now: the org's latest snapshot day, latest fetch of that day. A booking removed from the sheet is not current; its history stays in gold.dim_bookings.

WITH latest AS (
    SELECT org_id, max(valid_from) AS valid_from
    FROM gold.dim_bookings
    GROUP BY org_id
)
SELECT
    org_id,
    booking_id,
    valid_from,
    argMax(client_id, version) AS client_id,
    argMax(line_items, version) AS line_items,
    argMax(booked_impressions, version) AS booked_impressions,
    argMax(booked_revenue, version) AS booked_revenue,
    argMax(currency, version) AS currency,
    argMax(flight_start, version) AS flight_start,
    argMax(flight_end, version) AS flight_end,
    argMax(notes, version) AS notes
FROM gold.dim_bookings
WHERE (org_id, valid_from) IN (SELECT org_id, valid_from FROM latest)
GROUP BY org_id, booking_id, valid_from
