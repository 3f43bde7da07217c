"""Lineage columns never become customer attributes (nor model inputs)."""

from __future__ import annotations

from datetime import datetime

import ibis
import pandas as pd

from crmine.features import known_customer_features


def test_lineage_columns_are_not_attributes():
    orders = ibis.memtable(pd.DataFrame({
        "order_id": ["o1"], "customer_id": ["c1"], "order_ts": [datetime(2024, 1, 2)],
        "product_id": ["p"], "quantity": [1.0], "unit_price": [2.0], "amount": [2.0],
        "is_return": [False],
    }))  # fmt: skip
    customers = ibis.memtable(pd.DataFrame({
        "customer_id": ["c1", "c2"], "city": ["Paris", "Rome"], "email": ["a@b.c", "d@e.f"],
        "_source": ["customers.csv"] * 2, "_source_row": [1, 2],
    }))  # fmt: skip
    frame = known_customer_features(orders, datetime(2024, 2, 1), customers).to_pandas()
    assert "city" in frame and sorted(frame["customer_id"]) == ["c1", "c2"]
    assert not {"_source", "_source_row", "email"} & set(frame.columns)
