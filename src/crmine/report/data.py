"""The report's figures, computed set-based in DuckDB SQL into small frames and dicts.

Conventions (the warehouse contract): ``amount`` is negative on return lines, returns never
count as purchases, and lines without a customer count in revenue and product figures but
not in customer figures. Every figure looks only at orders placed before ``as_of``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from crmine.engine.quoting import quote_identifier

if TYPE_CHECKING:
    import pandas as pd

    from crmine.engine.base import Engine

_PURCHASE = "NOT coalesce(is_return, false)"
_ORDERS_BEFORE = "o AS (SELECT * FROM orders WHERE order_ts < CAST($as_of AS TIMESTAMP))"


def inspect_tables(con: Engine, names: list[str]) -> dict[str, frozenset[str]]:
    """For each relation in ``names`` that exists: the columns holding at least one value."""
    found: dict[str, frozenset[str]] = {}
    present = con.tables()
    for name in names:
        if name not in present:
            continue
        cols = con.columns(name)
        counts = ", ".join(f"count({quote_identifier(c)})" for c in cols)
        row = con.execute(f"SELECT {counts} FROM {quote_identifier(name)}").fetchone() or ()
        found[name] = frozenset(c for c, n in zip(cols, row, strict=True) if n)
    return found


def default_as_of(con: Engine, tables: dict[str, frozenset[str]]) -> date:
    """DESIGN's default: the day after the last order; else the scores' date; else today."""
    if "order_ts" in tables.get("orders", ()):
        last = con.execute("SELECT max(order_ts) FROM orders").fetchone()[0]
        return last.date() + timedelta(days=1)
    if "as_of" in tables.get("customer_scores", ()):
        return con.execute("SELECT max(as_of) FROM customer_scores").fetchone()[0]
    return date.today()


def single_currency(con: Engine) -> str | None:
    """The currency code when every order line that has one agrees, else None."""
    rows = con.execute(
        "SELECT DISTINCT upper(trim(currency)) FROM orders WHERE currency IS NOT NULL LIMIT 2"
    ).fetchall()
    return rows[0][0] if len(rows) == 1 else None


def order_kpis(con: Engine, as_of: date, active_days: int) -> dict[str, Any]:
    """Headline order figures; see the module docstring for what counts."""
    sql = f"""
    WITH {_ORDERS_BEFORE},
    p AS (SELECT * FROM o WHERE {_PURCHASE}),
    per_customer AS (
        SELECT customer_id, count(DISTINCT order_id) AS orders, max(order_ts) AS last_ts
        FROM p WHERE customer_id IS NOT NULL GROUP BY customer_id
    )
    SELECT
        (SELECT count(*) FROM per_customer) AS customers,
        (SELECT count(DISTINCT order_id) FROM p) AS orders,
        (SELECT coalesce(sum(amount), 0) FROM o) AS revenue,
        (SELECT coalesce(sum(amount), 0) FROM p) AS gross_sales,
        (SELECT coalesce(-sum(amount), 0) FROM o WHERE NOT {_PURCHASE}) AS returned,
        (SELECT count(*) FROM per_customer
            WHERE last_ts >= CAST($as_of AS TIMESTAMP) - to_days($days)) AS active_customers,
        (SELECT count(*) FROM per_customer WHERE orders >= 2) AS repeat_customers,
        (SELECT min(order_ts) FROM o) AS first_ts,
        (SELECT max(order_ts) FROM o) AS last_ts,
        (SELECT count(*) FROM o) AS lines,
        (SELECT count(*) FROM o WHERE customer_id IS NULL) AS anonymous_lines,
        (SELECT coalesce(sum(amount), 0) FROM o WHERE customer_id IS NULL) AS anonymous_revenue
    """
    cur = con.execute(sql, {"as_of": as_of, "days": active_days})
    names = cur.columns
    k = dict(zip(names, cur.fetchone(), strict=True))
    k["repeat_rate"] = k["repeat_customers"] / k["customers"] if k["customers"] else None
    k["avg_order_value"] = k["gross_sales"] / k["orders"] if k["orders"] else None
    k["returns_share"] = k["returned"] / k["gross_sales"] if k["gross_sales"] > 0 else None
    return k


def anonymous_lines(con: Engine, as_of: date) -> dict[str, Any]:
    """Order lines, and lines (with their net revenue) that name no customer."""
    sql = f"""
    WITH {_ORDERS_BEFORE}
    SELECT count(*) AS lines, count(*) FILTER (WHERE customer_id IS NULL) AS anonymous_lines,
           coalesce(sum(amount) FILTER (WHERE customer_id IS NULL), 0) AS anonymous_revenue
    FROM o
    """
    cur = con.execute(sql, {"as_of": as_of})
    return dict(zip(cur.columns, cur.fetchone(), strict=True))


def last_order_ts(con: Engine, as_of: date) -> Any:
    """Timestamp of the last order line before ``as_of`` (None when there is none)."""
    sql = f"WITH {_ORDERS_BEFORE} SELECT max(order_ts) FROM o"
    return con.execute(sql, {"as_of": as_of}).fetchone()[0]


def count_rows(con: Engine, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {quote_identifier(table)}").fetchone()[0]


def monthly(con: Engine, as_of: date) -> pd.DataFrame:
    """Per calendar month (gaps filled): net revenue and purchase orders."""
    sql = f"""
    WITH {_ORDERS_BEFORE},
    per_month AS (
        SELECT date_trunc('month', order_ts) AS month, sum(amount) AS revenue,
               count(DISTINCT order_id) FILTER (WHERE {_PURCHASE}) AS orders
        FROM o GROUP BY ALL
    ),
    months AS (
        SELECT unnest(range(min(month), max(month) + INTERVAL 1 MONTH, INTERVAL 1 MONTH)) AS month
        FROM per_month
    )
    SELECT CAST(m.month AS DATE) AS month, coalesce(p.revenue, 0) AS revenue,
           coalesce(p.orders, 0) AS orders
    FROM months m LEFT JOIN per_month p USING (month) ORDER BY month
    """
    return con.execute(sql, {"as_of": as_of}).df()


def revenue_by_region(
    con: Engine, as_of: date, top: int, *, by_revenue: bool = True
) -> pd.DataFrame:
    """Net revenue and orders per region, the ``top`` largest (by revenue, else by orders)
    first, then one "Other" and one unknown row."""
    measure = "revenue DESC NULLS LAST, orders DESC" if by_revenue else "orders DESC"
    sql = f"""
    WITH {_ORDERS_BEFORE},
    per_region AS (
        SELECT nullif(trim(region), '') AS region, sum(amount) AS revenue,
               count(DISTINCT order_id) FILTER (WHERE {_PURCHASE}) AS orders
        FROM o GROUP BY ALL
    ),
    ranked AS (
        SELECT *, row_number() OVER (ORDER BY {measure}, region) AS rank
        FROM per_region WHERE region IS NOT NULL
    )
    SELECT region, revenue, orders, 1 AS regions, rank FROM ranked WHERE rank <= $top
    UNION ALL
    SELECT 'Other', sum(revenue), sum(orders), count(*), $top + 1 FROM ranked
        WHERE rank > $top HAVING count(*) > 0
    UNION ALL
    SELECT NULL, revenue, orders, 0, $top + 2 FROM per_region WHERE region IS NULL
    ORDER BY rank
    """
    return con.execute(sql, {"as_of": as_of, "top": top}).df()


def _latest_scores(tables: dict[str, frozenset[str]]) -> str:
    """customer_scores restricted to its latest as_of, should it hold several."""
    if "as_of" in tables.get("customer_scores", ()):
        return (
            "(SELECT * FROM customer_scores WHERE as_of IS NOT DISTINCT FROM "
            "(SELECT max(as_of) FROM customer_scores))"
        )
    return "customer_scores"


def rfm_segments(con: Engine, tables: dict[str, frozenset[str]]) -> pd.DataFrame:
    """Customers and revenue per RFM segment, with each one's share of the total."""
    revenue = "revenue_total" if "revenue_total" in tables["customer_scores"] else "NULL"
    sql = f"""
    SELECT rfm_segment AS segment, count(*) AS customers,
           coalesce(sum({revenue}), 0) AS revenue,
           count(*) / sum(count(*)) OVER () AS customer_share,
           coalesce(sum({revenue}), 0) / nullif(sum(sum({revenue})) OVER (), 0) AS revenue_share
    FROM {_latest_scores(tables)} WHERE rfm_segment IS NOT NULL GROUP BY rfm_segment
    """
    return con.execute(sql).df()


def rf_grid(con: Engine, tables: dict[str, frozenset[str]]) -> pd.DataFrame:
    """Customers and their average revenue for each of the 5 × 5 recency/frequency cells."""
    revenue = "revenue_total" if "revenue_total" in tables["customer_scores"] else "NULL"
    sql = f"""
    WITH cells AS (
        SELECT CAST(r_score AS INTEGER) AS r, CAST(f_score AS INTEGER) AS f,
               count(*) AS customers, avg({revenue}) AS avg_revenue
        FROM {_latest_scores(tables)}
        WHERE r_score BETWEEN 1 AND 5 AND f_score BETWEEN 1 AND 5
        GROUP BY ALL
    ),
    grid AS (SELECT CAST(r AS INTEGER) AS r, CAST(f AS INTEGER) AS f
             FROM range(1, 6) AS rr(r), range(1, 6) AS ff(f))
    SELECT g.r, g.f, coalesce(c.customers, 0) AS customers, c.avg_revenue
    FROM grid g LEFT JOIN cells c USING (r, f)
    WHERE EXISTS (SELECT 1 FROM cells)
    ORDER BY g.r, g.f
    """
    return con.execute(sql).df()


def cohort_retention(
    con: Engine, as_of: date, max_cohorts: int, max_months: int
) -> pd.DataFrame:
    """Share of each first-purchase-month cohort that buys again k months later.

    One row per observable (cohort, k): k = 0 is the cohort month itself (always 100%);
    cells after the last month with data are absent rather than zero.
    """
    sql = f"""
    WITH {_ORDERS_BEFORE},
    active AS (
        SELECT DISTINCT customer_id, CAST(date_trunc('month', order_ts) AS DATE) AS month
        FROM o WHERE customer_id IS NOT NULL AND {_PURCHASE}
    ),
    firsts AS (SELECT customer_id, min(month) AS cohort FROM active GROUP BY customer_id),
    sizes AS (
        SELECT cohort, count(*) AS size FROM firsts GROUP BY cohort
        ORDER BY cohort DESC LIMIT $max_cohorts
    ),
    last_month AS (SELECT max(month) AS m FROM active),
    grid AS (
        SELECT s.cohort, s.size, k.k
        FROM sizes s, range(0, $max_months + 1) AS k(k), last_month
        WHERE s.cohort + to_months(CAST(k.k AS INTEGER)) <= last_month.m
    ),
    buyers AS (
        SELECT f.cohort, datediff('month', f.cohort, a.month) AS k, count(*) AS buyers
        FROM active a JOIN firsts f USING (customer_id) GROUP BY ALL
    )
    SELECT g.cohort, g.size, CAST(g.k AS INTEGER) AS k, coalesce(b.buyers, 0) AS buyers,
           coalesce(b.buyers, 0) / g.size AS share
    FROM grid g LEFT JOIN buyers b ON b.cohort = g.cohort AND b.k = g.k
    ORDER BY g.cohort, g.k
    """
    params = {"as_of": as_of, "max_cohorts": max_cohorts, "max_months": max_months}
    return con.execute(sql, params).df()


def top_products(
    con: Engine,
    as_of: date,
    tables: dict[str, frozenset[str]],
    top: int,
    exclude: list[str] | None = None,
) -> pd.DataFrame:
    """Products by net revenue (by orders without prices): name (most common spelling),
    revenue, net units, orders.

    ``exclude`` lists codes that are not goods (postage, fees), left out of the ranking.
    """
    cols = tables["orders"]
    key = "product_id" if "product_id" in cols else "trim(product_name)"
    name = "mode(trim(product_name))" if "product_name" in cols else "NULL"
    units = "sum(quantity)" if "quantity" in cols else "NULL"
    sql = f"""
    WITH {_ORDERS_BEFORE}
    SELECT {key} AS product, {name} AS name, sum(amount) AS revenue, {units} AS units,
           count(DISTINCT order_id) FILTER (WHERE {_PURCHASE}) AS orders
    FROM o WHERE {key} IS NOT NULL AND NOT list_contains($exclude, {key})
    GROUP BY ALL ORDER BY revenue DESC NULLS LAST, orders DESC, product LIMIT $top
    """
    params = {"as_of": as_of, "top": top, "exclude": list(exclude or [])}
    return con.execute(sql, params).df()


def non_products(
    con: Engine, tables: dict[str, frozenset[str]]
) -> list[tuple[str, str]]:
    """(code, name) of products that look like postage, fees or adjustments, not goods.

    Judged on purchase lines, as the association rules and recommendations do; the ones
    carrying the most money come first, since those are the ones a reader would miss.
    """
    from crmine.quality.products import detect_non_products

    cols = tables["orders"]
    if "product_id" not in cols:
        return []
    name = "any_value(product_name)" if "product_name" in cols else "NULL"
    price = "max(unit_price)" if "unit_price" in cols else "NULL"
    df = con.execute(
        f"SELECT product_id, {name} AS name, {price} AS price, sum(abs(amount)) AS money "
        f"FROM orders WHERE product_id IS NOT NULL AND NOT is_return GROUP BY product_id"
    ).df()
    found = detect_non_products(
        df["product_id"],
        df["name"] if "product_name" in cols else None,
        df["price"] if "unit_price" in cols else None,
    )
    hits = df[df["product_id"].isin(found)].sort_values(["money", "product_id"], ascending=[False, True])
    return [
        (str(code), str(label) if label is not None and label == label else str(code))
        for code, label in zip(hits["product_id"], hits["name"], strict=True)
    ]
