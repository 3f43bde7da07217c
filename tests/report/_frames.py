"""Small generated warehouses for report tests: orders, customers and customer_scores."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmine.engine import Engine
from crmine.engine.duck import DuckDBEngine

PRODUCTS = [
    ("P1", "Mug"),
    ("P2", '<script>alert("x")</script>'),
    ("P3", "保温杯"),
    ("P4", "Tea & Biscuits"),
    ("P5", None),
]
REGIONS = ["United Kingdom", "France", "华东", None]
SEGMENTS = ["Champions", "Loyal", "At risk", "Lost", "New"]


def orders_frame(seed: int = 7, n_orders: int = 120) -> pd.DataFrame:
    """Order lines over 2024-01..2024-08: guests, returns, a few regions, awkward names."""
    rng = np.random.default_rng(seed)
    customers = np.array([f"C{i:03d}" for i in range(25)] + [None], dtype=object)
    start = pd.Timestamp("2024-01-01")
    order_cust = rng.choice(customers, n_orders)
    order_ts = start + pd.to_timedelta(rng.integers(0, 240 * 24, n_orders), unit="h")
    order_region = rng.choice(np.array(REGIONS, dtype=object), n_orders)
    lines_per = rng.integers(1, 4, n_orders)
    idx = np.repeat(np.arange(n_orders), lines_per)
    prod = rng.integers(0, len(PRODUCTS), len(idx))
    qty = rng.integers(1, 6, len(idx)).astype(float)
    price = np.round(rng.uniform(1, 50, len(idx)), 2)
    df = pd.DataFrame(
        {
            "order_id": [f"O{i:04d}" for i in idx],
            "customer_id": order_cust[idx],
            "order_ts": order_ts[idx],
            "product_id": [PRODUCTS[p][0] for p in prod],
            "product_name": [PRODUCTS[p][1] for p in prod],
            "category": None,
            "quantity": qty,
            "unit_price": price,
            "currency": "GBP",
            "channel": None,
            "region": order_region[idx],
            "is_return": False,
        }
    )
    # Every 9th order is returned in full a week later, as a separate cancellation order.
    returned = df[df["order_id"].isin([f"O{i:04d}" for i in range(0, n_orders, 9)])].copy()
    returned["order_id"] = "C" + returned["order_id"]
    returned["order_ts"] = returned["order_ts"] + pd.Timedelta(days=7)
    returned["quantity"] = -returned["quantity"]
    returned["is_return"] = True
    df = pd.concat([df, returned], ignore_index=True)
    df["amount"] = df["quantity"] * df["unit_price"]
    df["_source"] = "generated"
    df["_source_row"] = np.arange(len(df), dtype=np.int64)
    return df


def scores_frame(orders: pd.DataFrame, seed: int = 7) -> pd.DataFrame:
    """A customer_scores stand-in: one row per named customer with arbitrary scores."""
    rng = np.random.default_rng(seed)
    ids = sorted(orders["customer_id"].dropna().unique())
    n = len(ids)
    return pd.DataFrame(
        {
            "customer_id": ids,
            "as_of": pd.Timestamp("2024-09-01").date(),
            "revenue_total": np.round(rng.uniform(10, 500, n), 2),
            "r_score": rng.integers(1, 6, n),
            "f_score": rng.integers(1, 6, n),
            "m_score": rng.integers(1, 6, n),
            "rfm_segment": rng.choice(SEGMENTS, n),
        }
    )


def customers_frame(orders: pd.DataFrame) -> pd.DataFrame:
    ids = sorted(orders["customer_id"].dropna().unique())
    return pd.DataFrame({"customer_id": ids, "name": [f"顾客 {i}" for i in ids]})


def warehouse(*tables: str, orders: pd.DataFrame | None = None) -> Engine:
    """An in-memory DuckDB holding the named tables, built from the generated frames."""
    con = DuckDBEngine.memory()
    o = orders if orders is not None else orders_frame()
    frames = {"orders": o, "customer_scores": scores_frame(o), "customers": customers_frame(o)}
    for name in tables:
        con.write(name, frames[name])
    if "orders" in tables:
        for column, sql_type in [
            ("order_ts", "TIMESTAMP"),
            ("category", "VARCHAR"),
            ("channel", "VARCHAR"),
        ]:
            con.execute(f"ALTER TABLE orders ALTER {column} TYPE {sql_type}")
    return con
