-- model: gold.bookings_priced
-- engine: clickhouse
-- inputs: gold.bookings_current, gold.orgs, gold.dim_exchange_rates, gold.dim_clients
-- grain: one row per org and current booking
-- tests: unique(org_id, booking_id), expression((revenue_fx_rate IS NULL) = (booking_revenue IS NULL))
-- version: 1
-- description: Current bookings with their client and their revenue in the org's reporting currency, rebuilt per org after each load (what gold.booking_pacing reads besides delivery).

-- Revenue converts at the latest rate on or before flight_start (the rate the
-- booking was sold at); same currency = 1 exactly; no rate = NULL, never 1.0.
WITH
rates AS (
    SELECT org_id, from_currency, to_currency, rate_date, argMax(rate, version) AS rate
    FROM gold.dim_exchange_rates
    GROUP BY org_id, from_currency, to_currency, rate_date
),
clients AS (
    SELECT org_id, client_id, argMax(client_name, version) AS client_name
    FROM gold.dim_clients
    GROUP BY org_id, client_id
),
priced AS (
    SELECT
        b.org_id AS org_id,
        b.booking_id AS booking_id,
        b.client_id AS client_id,
        b.flight_start AS flight_start,
        b.flight_end AS flight_end,
        b.booked_impressions AS booked_impressions,
        b.booked_revenue AS booked_revenue,
        b.currency AS booking_currency,
        o.reporting_currency AS reporting_currency,
        multiIf(b.currency = o.reporting_currency, toDecimal64(1, 6), r.rate > 0, r.rate, NULL) AS revenue_fx_rate
    FROM gold.bookings_current AS b
    INNER JOIN gold.orgs AS o ON o.org_id = b.org_id
    ASOF LEFT JOIN rates AS r
        ON r.org_id = b.org_id AND r.from_currency = b.currency
        AND r.to_currency = o.reporting_currency AND b.flight_start >= r.rate_date
)
SELECT
    p.org_id AS org_id,
    p.booking_id AS booking_id,
    p.client_id AS client_id,
    nullIf(c.client_name, '') AS client_name,
    p.flight_start AS flight_start,
    p.flight_end AS flight_end,
    p.booked_impressions AS booked_impressions,
    p.booked_revenue AS booked_revenue,
    p.booking_currency AS booking_currency,
    p.reporting_currency AS reporting_currency,
    p.revenue_fx_rate AS revenue_fx_rate,
    CAST(round(toDecimal128(p.booked_revenue, 2) * p.revenue_fx_rate, 2) AS Nullable(Decimal(18, 2))) AS booking_revenue
FROM priced AS p
LEFT JOIN clients AS c ON c.org_id = p.org_id AND c.client_id = p.client_id
