"""Demand series from order lines: levels, calendar, returns, point in time, what adds up."""

from __future__ import annotations

from datetime import date

import ibis
import numpy as np
import pandas as pd
import pytest

from crmine.features.demand import (
    as_keys,
    build_series,
    daily_sales,
    decide_freq,
    future_periods,
    period_starts,
    resolve_levels,
)

AS_OF = date(2024, 3, 1)  # a Friday: weeks run Friday to Thursday


def _orders(rows: list[tuple]) -> ibis.Table:
    frame = pd.DataFrame(rows, columns=["order_id", "customer_id", "order_ts", "product_id",
                                        "category", "region", "quantity", "amount",
                                        "is_return", "store"])  # fmt: skip
    frame["order_ts"] = pd.to_datetime(frame["order_ts"])
    frame["store"] = frame["store"].astype(float)
    return ibis.duckdb.connect().create_table("orders", frame)


def _lines() -> list[tuple]:
    """Daily sales from Wednesday 2024-01-03 (a partial first week) to as_of, and more."""
    rng = np.random.default_rng(0)
    rows = []
    for day in pd.date_range("2024-01-03", "2024-02-29"):
        for cat, reg, prod in (("A", "N", "p1"), ("A", "S", "p2"), ("B", "N", "p3")):
            if rng.random() < 0.8:
                qty = float(rng.integers(1, 5))
                rows.append((f"o{len(rows)}", None if rng.random() < 0.3 else "c1", day,
                             prod, cat, reg, qty, qty * 10.0, False, 1.0))  # fmt: skip
    rows.append(("r1", "c1", pd.Timestamp("2024-02-20"), "p1", "A", "N", -2.0, -20.0, True, 2.0))
    rows.append(("big", "c1", pd.Timestamp("2024-03-01"), "p1", "A", "N", 999.0, 1e6, False, 2.0))
    return rows


def _series(levels=("total", "category", "region", "category/region", "product"), top=2,
            freq="W"):  # fmt: skip
    orders = _orders(_lines())
    resolved, notes = resolve_levels(levels, list(orders.columns))
    daily = {c: as_keys(daily_sales(orders, AS_OF, c, "amount").to_pandas(), c)
             for c in dict.fromkeys([(), *(lv.columns for lv in resolved)])}  # fmt: skip
    return build_series(daily, resolved, freq, AS_OF, top, "amount", notes), _lines()


def test_every_line_counts_net_of_returns_and_nothing_at_or_after_as_of():
    series, rows = _series(("total",))
    frame = pd.DataFrame(rows, columns=["o", "c", "ts", "p", "cat", "reg", "q", "amount", "ret",
                                        "store"])  # fmt: skip
    first_full = pd.Timestamp("2024-01-05")  # the week from Wednesday 3 January is partial
    kept = frame[(frame["ts"] >= first_full) & (frame["ts"] < pd.Timestamp(AS_OF))]
    assert series.frame["y"].sum() == pytest.approx(kept["amount"].sum())  # customers or not
    assert series.frame["period_start"].max() == pd.Timestamp("2024-02-23")
    assert any("partial" in note for note in series.notes)


def test_weeks_start_on_the_as_of_weekday_and_the_forecast_starts_at_as_of():
    starts = period_starts(pd.Series(pd.to_datetime(["2024-02-29", "2024-02-23", "2024-02-22"])),
                           "W", AS_OF)  # fmt: skip
    assert list(starts) == [pd.Timestamp("2024-02-23")] * 2 + [pd.Timestamp("2024-02-16")]
    assert future_periods(pd.Timestamp("2024-02-23"), "W", 2)[0] == pd.Timestamp(AS_OF)
    assert list(future_periods(pd.Timestamp("2024-01-01"), "M", 2)) == [
        pd.Timestamp("2024-02-01"), pd.Timestamp("2024-03-01")]  # fmt: skip


def test_the_levels_add_up_and_the_map_says_into_what():
    series, _ = _series()
    f = series.frame
    total = f[f["level"] == "total"].set_index("period_start")["y"]
    for level in ("category", "region", "category/region", "product"):
        sums = f[f["level"] == level].groupby("period_start")["y"].sum()
        pd.testing.assert_series_equal(sums, total, check_names=False)
    assert set(f.loc[f["level"] == "product", "key"]) == {"p1", "p2", "other"}
    parents = series.parents
    cell = parents[(parents["level"] == "category/region") & (parents["key"] == "A/S")]
    assert set(zip(cell["parent_level"], cell["parent_key"], strict=True)) == {
        ("total", "all"), ("category", "A"), ("region", "S")}  # fmt: skip


def test_missing_periods_are_zeros_on_one_calendar():
    series, _ = _series(("total", "product"), top=5, freq="D")
    per_key = series.frame.groupby(["level", "key"]).size()
    assert per_key.nunique() == 1  # every series on every day
    assert (series.frame["y"] == 0).any()


def test_an_attribute_named_by_the_user_is_a_level_and_whole_numbers_read_as_keys():
    orders = _orders(_lines())
    levels, notes = resolve_levels(("total", "Store", "brand"), list(orders.columns))
    assert [lv.columns for lv in levels] == [(), ("store",)]
    assert notes == ["level 'brand' skipped: the orders have no brand column"]
    keys = as_keys(daily_sales(orders, AS_OF, ("store",), "amount").to_pandas(), ("store",))
    assert set(keys["store"]) == {"1", "2"}


@pytest.mark.parametrize(
    ("days", "freq"),
    [
        (pd.date_range("2024-01-01", "2024-03-31"), "D"),  # dense and short
        (pd.date_range("2021-01-01", "2024-01-01", freq="7D"), "W"),  # store-week totals
        (pd.date_range("2020-01-01", "2024-01-01"), "W"),  # long daily retail
        (pd.date_range("2020-01-15", "2024-01-01", freq="MS"), "M"),  # monthly invoices
    ],
)
def test_the_period_is_decided_from_the_data(days, freq):
    assert decide_freq(days.to_numpy())[0] == freq


def test_months_are_calendar_months_and_partial_ones_are_dropped():
    orders = _orders(_lines())
    as_of = date(2024, 3, 15)
    levels, _ = resolve_levels(("total",), list(orders.columns))
    daily = {(): as_keys(daily_sales(orders, as_of, (), "amount").to_pandas(), ())}
    series = build_series(daily, levels, "M", as_of, 5, "amount")
    assert list(series.frame["period_start"]) == [pd.Timestamp("2024-02-01")]
    notes = " ".join(series.notes)
    assert "first period (2024-01-01) partial" in notes  # sales from the 3rd
    assert "last period (2024-03-01, the month of as_of) partial" in notes
    lines = pd.DataFrame(_lines()).set_axis(["o", "c", "ts", "p", "cat", "reg", "q", "amount",
                                             "ret", "store"], axis=1)  # fmt: skip
    february = lines[(lines["ts"] >= "2024-02-01") & (lines["ts"] < "2024-03-01")]["amount"]
    assert series.frame["y"].iloc[0] == pytest.approx(february.sum())
