-- Gold tables (ClickHouse). `gold.` is the logical name of the warehouse
-- database; the migrator resolves it. Every table keeps 2 years (TTL on its
-- business date) and is a ReplacingMergeTree whose version is the silver
-- row's fetched_at in ms: a newer fetch of the same key replaces the older
-- row, the same row loaded twice is one row. Readers deduplicate (argMax by
-- version, or FINAL) because merges happen whenever ClickHouse likes.

-- Organisations, written by the gold worker from PACER_CONFIG.
CREATE TABLE IF NOT EXISTS gold.dim_orgs (
    org_id String,
    reporting_currency LowCardinality(String),
    timezone LowCardinality(String),
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY org_id;

-- Daily delivery: one row per org, source, line item and report date.
CREATE TABLE IF NOT EXISTS gold.fct_delivery_daily (
    org_id LowCardinality(String),
    report_date Date,
    source LowCardinality(String),
    account_id String,
    campaign_id String,
    insertion_order_id String,
    line_item_id String,
    line_item_type LowCardinality(String),
    impressions Int64,
    clicks Int64,
    conversions Int64,
    spend Decimal(15, 2),
    currency LowCardinality(String),
    fetched_at DateTime64(3, 'UTC'),
    request_id String,
    version UInt64,
    transform_version String,
    loaded_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(report_date)
ORDER BY (org_id, source, line_item_id, report_date)
TTL report_date + INTERVAL 2 YEAR;

CREATE TABLE IF NOT EXISTS gold.dim_campaigns (
    org_id LowCardinality(String),
    source LowCardinality(String),
    campaign_id String,
    account_id String,
    name Nullable(String),
    status Nullable(String),
    flight_start Nullable(Date),
    flight_end Nullable(Date),
    budget Nullable(Decimal(18, 2)),
    currency Nullable(String),
    pacing Nullable(String),
    snapshot_date Date,
    fetched_at DateTime64(3, 'UTC'),
    version UInt64,
    transform_version String
) ENGINE = ReplacingMergeTree(version)
ORDER BY (org_id, source, campaign_id)
TTL snapshot_date + INTERVAL 2 YEAR;

CREATE TABLE IF NOT EXISTS gold.dim_line_items (
    org_id LowCardinality(String),
    source LowCardinality(String),
    line_item_id String,
    line_item_type LowCardinality(String),
    campaign_id String,
    insertion_order_id String,
    account_id String,
    name Nullable(String),
    status Nullable(String),
    flight_start Nullable(Date),
    flight_end Nullable(Date),
    budget Nullable(Decimal(18, 2)),
    daily_budget Nullable(Decimal(18, 2)),
    currency Nullable(String),
    pacing Nullable(String),
    snapshot_date Date,
    fetched_at DateTime64(3, 'UTC'),
    version UInt64,
    transform_version String
) ENGINE = ReplacingMergeTree(version)
ORDER BY (org_id, source, line_item_id)
TTL snapshot_date + INTERVAL 2 YEAR;

CREATE TABLE IF NOT EXISTS gold.dim_clients (
    org_id LowCardinality(String),
    client_id String,
    client_name String,
    account_manager Nullable(String),
    currency LowCardinality(String),
    snapshot_date Date,
    fetched_at DateTime64(3, 'UTC'),
    version UInt64,
    transform_version String
) ENGINE = ReplacingMergeTree(version)
ORDER BY (org_id, client_id)
TTL snapshot_date + INTERVAL 2 YEAR;

-- Booking history: one row per booking per CRM snapshot day (valid_from);
-- gold.bookings_current picks the org's latest snapshot.
CREATE TABLE IF NOT EXISTS gold.dim_bookings (
    org_id LowCardinality(String),
    booking_id String,
    valid_from Date,
    client_id String,
    line_items Array(String),
    booked_impressions Int64,
    booked_revenue Decimal(15, 2),
    currency LowCardinality(String),
    flight_start Date,
    flight_end Date,
    notes Nullable(String),
    fetched_at DateTime64(3, 'UTC'),
    version UInt64,
    transform_version String
) ENGINE = ReplacingMergeTree(version)
ORDER BY (org_id, booking_id, valid_from)
TTL valid_from + INTERVAL 2 YEAR;

CREATE TABLE IF NOT EXISTS gold.dim_exchange_rates (
    org_id LowCardinality(String),
    from_currency LowCardinality(String),
    to_currency LowCardinality(String),
    rate_date Date,
    rate Decimal(18, 6),
    fetched_at DateTime64(3, 'UTC'),
    version UInt64,
    transform_version String
) ENGINE = ReplacingMergeTree(version)
ORDER BY (org_id, from_currency, to_currency, rate_date)
TTL rate_date + INTERVAL 2 YEAR;

-- Which silver snapshots the gold worker loaded (operators, idempotence checks).
CREATE TABLE IF NOT EXISTS gold.load_ledger (
    silver_table LowCardinality(String),
    snapshot_id String,
    org_id String,
    dates Array(Date),
    rows_loaded UInt64,
    loaded_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = MergeTree
ORDER BY (org_id, silver_table, loaded_at)
TTL toDate(loaded_at) + INTERVAL 2 YEAR;
