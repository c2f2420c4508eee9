-- model: gold.fct_delivery_enriched
-- engine: clickhouse
-- inputs: gold.fct_delivery_daily, gold.orgs, gold.bookings_current, gold.dim_exchange_rates, gold.dim_clients
-- grain: one row per org, source, line item and report date (the latest version of each)
-- tests: unique(org_id, source, line_item_id, report_date), not_null(org_id, report_date, source, line_item_id, impressions, spend, is_unbooked, is_fx_missing), expression(is_fx_missing = (spend_reporting IS NULL)), expression(is_unbooked = (booking_id IS NULL))
-- version: 1
-- description: Delivery as dashboards read it: deduplicated by version (a restated day replaces the old numbers), mapped to the booking whose CRM line item list names it and whose flight covers the day (delivery with no such booking stays, is_unbooked = 1), with the client, and spend in the org's reporting currency.

-- Edge cases, decided:
--   dedup: argMax by version over (org, source, line item, date), so merges never matter; the worker
--          rebuilds this per org and swaps it in whole (REPLACE PARTITION), one row per key.
--   booking: the CRM maps "<source>:<line item id>"; if several current bookings name the line item and cover
--            the day, the smallest booking_id wins (one booking per delivery row, so nothing counts twice).
--   currency: same currency = rate 1 exactly; else the latest rate on or before the report date for
--             (delivery currency -> reporting currency); none = fx_rate, spend_reporting NULL and is_fx_missing = 1,
--             never 1.0. Inverse pairs are not derived: the CRM states the pair it means.
--   rounding: spend_reporting = spend x rate rounded to cents, half away from zero.
WITH
fact AS (
    SELECT
        org_id,
        source,
        line_item_id,
        report_date,
        argMax(account_id, version) AS account_id,
        argMax(campaign_id, version) AS campaign_id,
        argMax(insertion_order_id, version) AS insertion_order_id,
        argMax(impressions, version) AS impressions,
        argMax(clicks, version) AS clicks,
        argMax(conversions, version) AS conversions,
        argMax(spend, version) AS spend,
        argMax(currency, version) AS currency,
        max(version) AS latest_version
    FROM gold.fct_delivery_daily
    GROUP BY org_id, source, line_item_id, report_date
),
mapping AS (
    SELECT
        org_id,
        substring(item, 1, position(item, ':') - 1) AS source,
        substring(item, position(item, ':') + 1) AS line_item_id,
        arraySort(b -> tupleElement(b, 3), groupArray((flight_start, flight_end, booking_id, client_id))) AS bookings
    FROM gold.bookings_current
    ARRAY JOIN line_items AS item
    WHERE position(item, ':') > 1
    GROUP BY org_id, source, line_item_id
),
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
joined AS (
    SELECT
        f.org_id AS org_id,
        f.source AS source,
        f.line_item_id AS line_item_id,
        f.report_date AS report_date,
        f.account_id AS account_id,
        f.campaign_id AS campaign_id,
        f.insertion_order_id AS insertion_order_id,
        f.impressions AS impressions,
        f.clicks AS clicks,
        f.conversions AS conversions,
        f.spend AS spend,
        f.currency AS currency,
        f.latest_version AS latest_version,
        o.reporting_currency AS reporting_currency,
        arrayFirst(b -> tupleElement(b, 1) <= f.report_date AND f.report_date <= tupleElement(b, 2), m.bookings) AS booking
    FROM fact AS f
    LEFT JOIN gold.orgs AS o ON o.org_id = f.org_id
    LEFT JOIN mapping AS m ON m.org_id = f.org_id AND m.source = f.source AND m.line_item_id = f.line_item_id
)
SELECT
    j.org_id AS org_id,
    j.report_date AS report_date,
    j.source AS source,
    j.account_id AS account_id,
    j.campaign_id AS campaign_id,
    j.insertion_order_id AS insertion_order_id,
    j.line_item_id AS line_item_id,
    j.impressions AS impressions,
    j.clicks AS clicks,
    j.conversions AS conversions,
    j.spend AS spend,
    j.currency AS currency,
    nullIf(tupleElement(j.booking, 3), '') AS booking_id,
    nullIf(tupleElement(j.booking, 4), '') AS client_id,
    if(booking_id IS NULL, NULL, c.client_name) AS client_name,
    toUInt8(booking_id IS NULL) AS is_unbooked,
    j.reporting_currency AS reporting_currency,
    multiIf(j.currency = j.reporting_currency, toDecimal64(1, 6), r.rate > 0, r.rate, NULL) AS fx_rate,
    toUInt8(fx_rate IS NULL) AS is_fx_missing,
    CAST(round(toDecimal128(j.spend, 2) * fx_rate, 2) AS Nullable(Decimal(18, 2))) AS spend_reporting,
    j.latest_version AS version
FROM joined AS j
ASOF LEFT JOIN rates AS r
    ON r.org_id = j.org_id AND r.from_currency = j.currency AND r.to_currency = j.reporting_currency AND j.report_date >= r.rate_date
LEFT JOIN clients AS c ON c.org_id = j.org_id AND c.client_id = tupleElement(j.booking, 4)
