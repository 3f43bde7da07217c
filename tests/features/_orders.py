"""Small order tables for the feature tests, as Ibis tables on an in-memory DuckDB."""

from __future__ import annotations

from datetime import datetime

import ibis
import pandas as pd

ORDER_SCHEMA = ibis.schema(
    {
        "order_id": "string",
        "customer_id": "string",
        "order_ts": "timestamp",
        "product_id": "string",
        "category": "string",
        "channel": "string",
        "quantity": "float64",
        "amount": "float64",
        "is_return": "boolean",
    }
)

AS_OF = datetime(2024, 4, 1)

# (order_id, customer_id, order_ts, product_id, category, channel, quantity, amount, is_return)
ROWS: list[tuple] = [
    # a: three orders on three days, one return, and one order exactly at as_of (ignored)
    ("o1", "a", "2024-01-01 10:00", "p1", "X", "web", 1, 10.0, False),
    ("o1", "a", "2024-01-01 10:00", "p2", "Y", "web", 2, 20.0, False),
    ("o2", "a", "2024-01-11 00:00", "p1", "X", "store", 3, 30.0, False),
    ("o3", "a", "2024-03-22 00:00", "p3", None, "web", 1, 40.0, False),
    ("r1", "a", "2024-03-25 00:00", "p1", "X", "web", -1, -10.0, True),
    ("o4", "a", "2024-04-01 00:00", "p9", "Z", "app", 1, 1000.0, False),
    # b: only a return before as_of
    ("r2", "b", "2024-02-01 00:00", "p1", "X", "web", -1, -5.0, True),
    # c: one purchase half a day before as_of, no optional columns
    ("o5", "c", "2024-03-31 12:00", None, None, None, None, 50.0, False),
    # f: a purchase, then a return whose flag is missing (negative amount decides)
    ("o7", "f", "2024-02-10 00:00", "p2", "Y", "web", 1, 20.0, False),
    ("o8", "f", "2024-02-11 00:00", "p2", "Y", "web", -1, -20.0, None),
    # a line without a customer
    ("o6", None, "2024-02-01 00:00", "p1", "X", "web", 99, 999.0, False),
]


def frame(rows: list[tuple]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(ORDER_SCHEMA.names))
    df["order_ts"] = pd.to_datetime(df["order_ts"], format="ISO8601")
    return df


def table(rows: list[tuple] = ROWS) -> ibis.Table:
    return ibis.memtable(frame(rows), schema=ORDER_SCHEMA)


def run(expr: ibis.Table) -> pd.DataFrame:
    return expr.to_pandas().sort_values("customer_id").set_index("customer_id")
