"""horizon_labels and training_frame on a hand-computed table."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from crmine.features import LABELS, horizon_labels, training_frame
from tests.features._orders import table

CUTOFF = datetime(2024, 3, 1)

ROWS: list[tuple] = [
    # history before the cutoff
    ("h1", "a", "2024-01-10 00:00", "p1", "X", "web", 1, 10.0, False),
    ("h2", "b", "2024-02-10 00:00", "p1", "X", "web", 1, 10.0, False),
    ("h3", "c", "2024-02-20 00:00", "p1", "X", "web", -1, -10.0, True),  # returns only
    # the 30-day horizon [Mar 1, Mar 31)
    ("l1", "a", "2024-03-01 00:00", "p1", "X", "web", 1, 20.0, False),
    ("l1", "a", "2024-03-01 00:00", "p2", "X", "web", 1, 5.0, False),
    ("l2", "a", "2024-03-15 00:00", "p1", "X", "web", 1, 30.0, False),
    ("l3", "a", "2024-03-15 12:00", "p1", "X", "web", -1, -20.0, True),
    ("l4", "c", "2024-03-05 00:00", "p1", "X", "web", -1, -7.0, True),
    ("l5", "d", "2024-03-30 23:59", "p1", "X", "web", 1, 8.0, False),  # new customer
    ("l6", None, "2024-03-05 00:00", "p1", "X", "web", 1, 9.0, False),
    # after the horizon
    ("x1", "b", "2024-03-31 00:00", "p1", "X", "web", 1, 99.0, False),
]


def test_horizon_labels_by_hand():
    labels = horizon_labels(table(ROWS), CUTOFF, 30).to_pandas().set_index("customer_id")
    assert list(labels.columns) == list(LABELS)
    assert sorted(labels.index) == ["a", "c", "d"]
    a = labels.loc["a"]
    assert (a.purchased, a.orders_in_horizon, a.purchase_days_in_horizon) == (True, 2, 2)
    assert a.revenue_in_horizon == pytest.approx(35.0)
    c = labels.loc["c"]
    assert (c.purchased, c.orders_in_horizon, c.purchase_days_in_horizon) == (False, 0, 0)
    assert c.revenue_in_horizon == pytest.approx(-7.0)


def test_horizon_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        horizon_labels(table(ROWS), CUTOFF, 0)


def test_training_frame_rows_and_labels():
    tf = training_frame(table(ROWS), [CUTOFF, datetime(2024, 2, 1)], 28)
    assert list(tf.columns[-5:]) == [*LABELS, "cutoff"]
    feb = tf[tf.cutoff == pd.Timestamp("2024-02-01")].set_index("customer_id")
    mar = tf[tf.cutoff == pd.Timestamp(CUTOFF)].set_index("customer_id")
    # Feb 1: only a has purchased before; b buys in [Feb 1, Feb 29), a does not.
    assert list(feb.index) == ["a"]
    assert not feb.loc["a", "purchased"] and feb.loc["a", "orders_in_horizon"] == 0
    # Mar 1: a and b have purchased before (c only returned, d is new): d and c are not rows.
    assert list(mar.index) == ["a", "b"]
    assert mar.loc["a", "purchased"] and mar.loc["a", "orders_in_horizon"] == 2
    assert mar.loc["a", "orders_count"] == 1 and mar.loc["a", "revenue_total"] == 10.0
    b = mar.loc["b"]
    assert (b.purchased, b.orders_in_horizon, b.revenue_in_horizon) == (False, 0, 0.0)
    assert tf.purchased.dtype == bool


def test_training_frame_needs_a_cutoff():
    with pytest.raises(ValueError, match="cutoff"):
        training_frame(table(ROWS), [], 30)
