"""UCI Online Retail mapped by hand onto the orders contract, for benchmarks and tests that
must not depend on ingest (they compare against the raw file, duplicates included)."""

ORDERS_SQL = """
CREATE OR REPLACE TABLE orders AS
SELECT
    InvoiceNo AS order_id,
    CAST(CAST(CustomerID AS BIGINT) AS VARCHAR) AS customer_id,
    CAST(InvoiceDate AS TIMESTAMP) AS order_ts,
    StockCode AS product_id,
    Description AS product_name,
    CAST(NULL AS VARCHAR) AS category,
    CAST(Quantity AS DOUBLE) AS quantity,
    UnitPrice AS unit_price,
    Quantity * UnitPrice AS amount,
    'GBP' AS currency,
    CAST(NULL AS VARCHAR) AS channel,
    Country AS region,
    (Quantity < 0 OR InvoiceNo LIKE 'C%') AS is_return,
    'online_retail' AS _source,
    row_number() OVER () AS _source_row
FROM read_parquet($path)
"""
