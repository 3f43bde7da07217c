"""Online Retail (UCI) in the warehouse contract, with a simple RFM table.

Test-only stand-ins for ingest/clean and the RFM model: enough to render a realistic report.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bench._online_retail import ORDERS_SQL

from crmine.engine import Engine
from crmine.engine.duck import DuckDBEngine

# Quintile RFM with the usual R×F segment map; the real scorer lives in crmine.models.
SCORES_SQL = """
CREATE OR REPLACE TABLE customer_scores AS
WITH c AS (
    SELECT customer_id,
           CAST(min(order_ts) AS DATE) AS first_order_date,
           CAST(max(order_ts) FILTER (WHERE NOT is_return) AS DATE) AS last_order_date,
           count(DISTINCT order_id) FILTER (WHERE NOT is_return) AS orders_count,
           sum(amount) AS revenue_total
    FROM orders
    WHERE customer_id IS NOT NULL AND order_ts < CAST($as_of AS TIMESTAMP)
    GROUP BY customer_id
    HAVING count(DISTINCT order_id) FILTER (WHERE NOT is_return) > 0
),
s AS (
    SELECT *, CAST($as_of AS DATE) AS as_of, 90 AS horizon_days,
           CAST($as_of AS DATE) - last_order_date AS recency_days,
           revenue_total / orders_count AS avg_order_value,
           ntile(5) OVER (ORDER BY CAST($as_of AS DATE) - last_order_date DESC) AS r_score,
           ntile(5) OVER (ORDER BY orders_count) AS f_score,
           ntile(5) OVER (ORDER BY revenue_total) AS m_score
    FROM c
)
SELECT *, CASE
    WHEN r_score = 5 AND f_score >= 4 THEN 'Champions'
    WHEN r_score >= 3 AND f_score >= 4 THEN 'Loyal'
    WHEN r_score >= 4 AND f_score >= 2 THEN 'Potential loyalist'
    WHEN r_score = 5 THEN 'New'
    WHEN r_score = 4 THEN 'Promising'
    WHEN r_score = 3 AND f_score = 3 THEN 'Need attention'
    WHEN r_score = 3 THEN 'About to sleep'
    WHEN f_score = 5 THEN 'Can''t lose them'
    WHEN f_score >= 3 THEN 'At risk'
    WHEN r_score = 2 THEN 'Hibernating'
    ELSE 'Lost'
END AS rfm_segment
FROM s
"""


def load_online_retail(
    path: Path, con: Engine | None = None
) -> tuple[Engine, date]:
    """A connection holding ``orders`` and ``customer_scores``, and the as-of date used."""
    con = con or DuckDBEngine.memory()
    con.execute(ORDERS_SQL, {"path": str(path)})
    last = con.execute("SELECT max(order_ts) FROM orders").fetchone()[0]
    as_of = date.fromordinal(last.date().toordinal() + 1)
    con.execute(SCORES_SQL, {"as_of": as_of})
    return con, as_of
