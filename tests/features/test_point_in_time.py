"""Leakage guards: features never read at/after as_of, labels never read outside the horizon."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmine.features import customer_features, horizon_labels, known_customer_features
from tests.features._orders import AS_OF, ROWS, run, table

_START = datetime(2023, 1, 1)

_line = st.tuples(
    st.sampled_from(["o1", "o2", "o3", "o4", "o5"]),
    st.sampled_from(["a", "b", "c", None]),
    st.integers(min_value=0, max_value=500 * 24),  # hours after _START
    st.sampled_from(["p1", "p2", None]),
    st.sampled_from(["X", None]),
    st.sampled_from(["web", "app"]),
    st.integers(min_value=-3, max_value=5),
    st.booleans(),
)


def _rows(lines: list[tuple]) -> list[tuple]:
    out = []
    for order_id, cust, hours, product, cat, channel, qty, is_ret in lines:
        ts = (_START + timedelta(hours=hours)).isoformat(sep=" ")
        amount = float(-abs(qty) if is_ret else qty) * 2.5
        out.append((order_id, cust, ts, product, cat, channel, qty, amount, is_ret))
    return out


def _split(rows: list[tuple], at: datetime) -> tuple[list[tuple], list[tuple]]:
    before = [r for r in rows if datetime.fromisoformat(r[2]) < at]
    return before, [r for r in rows if datetime.fromisoformat(r[2]) >= at]


_SETTINGS = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(st.lists(_line, min_size=1, max_size=25), st.integers(min_value=24, max_value=480 * 24))
def test_lines_at_or_after_as_of_never_change_features(lines, as_of_hours):
    as_of = _START + timedelta(hours=as_of_hours)
    rows = _rows(lines)
    before, _after = _split(rows, as_of)
    full = run(customer_features(table(rows), as_of))
    if not before:
        assert full.empty
        return
    past = run(customer_features(table(before), as_of))
    pd.testing.assert_frame_equal(full, past)


@_SETTINGS
@given(
    st.lists(_line, min_size=1, max_size=25),
    st.integers(min_value=0, max_value=400 * 24),
    st.integers(min_value=1, max_value=90),
)
def test_labels_only_read_the_horizon(lines, cutoff_hours, horizon):
    cutoff = _START + timedelta(hours=cutoff_hours)
    rows = _rows(lines)
    end = cutoff + timedelta(days=horizon)
    inside = [r for r in rows if cutoff <= datetime.fromisoformat(r[2]) < end]
    full = run(horizon_labels(table(rows), cutoff, horizon))
    if not inside:
        assert full.empty
        return
    pd.testing.assert_frame_equal(full, run(horizon_labels(table(inside), cutoff, horizon)))


def test_exactly_at_as_of_is_excluded():
    shifted = [r for r in ROWS if r[0] != "o4"]
    pd.testing.assert_frame_equal(
        run(customer_features(table(ROWS), AS_OF)), run(customer_features(table(shifted), AS_OF))
    )
    one_us_later = AS_OF + timedelta(microseconds=1)
    assert run(customer_features(table(ROWS), one_us_later)).loc["a", "orders_count"] == 4


def test_known_customers_ignore_future_lines():
    future = [("z1", "z", "2024-06-01 00:00", "p1", "X", "web", 1, 5.0, False)]
    out = run(known_customer_features(table(ROWS + future), AS_OF))
    assert "z" not in out.index


@pytest.mark.parametrize("with_return", [False, True])
def test_returns_reduce_revenue_but_never_count(with_return):
    rows = [("o1", "a", "2024-01-05 00:00", "p1", "X", "web", 2, 40.0, False)]
    if with_return:
        rows.append(("o1", "a", "2024-01-06 00:00", "p1", "X", "web", -1, -20.0, True))
    a = run(customer_features(table(rows), AS_OF)).loc["a"]
    assert (a.orders_count, a.purchase_days, a.lines_per_order) == (1, 1, 1.0)
    assert a.revenue_total == pytest.approx(20.0 if with_return else 40.0)
    assert a.last_order_ts == pd.Timestamp("2024-01-05")
