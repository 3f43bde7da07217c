"""customer_features on a hand-computed order table (see _orders.ROWS)."""

from __future__ import annotations

import math
from datetime import date

import ibis
import ibis.config
import pandas as pd
import pytest

from crmine.engine.duck import DuckDBEngine
from crmine.features import (
    FEATURES,
    customer_features,
    describe,
    horizon_labels,
    known_customer_features,
    rfm_features,
)
from tests.features._orders import AS_OF, ROWS, frame, run, table


@pytest.fixture(scope="module")
def feats() -> pd.DataFrame:
    return run(customer_features(table(), AS_OF))


def test_one_row_per_customer_with_a_line_before_as_of(feats):
    # 'b' has only a return: kept; the line without a customer is left out.
    assert list(feats.index) == ["a", "b", "c", "f"]


def test_customer_a_every_feature(feats):
    a = feats.loc["a"]
    assert a.first_order_ts == pd.Timestamp("2024-01-01 10:00")
    assert a.last_order_ts == pd.Timestamp("2024-03-22")
    assert a.recency_days == pytest.approx(10.0)
    assert a.tenure_days == pytest.approx(91 - 10 / 24)
    assert a.orders_count == 3
    assert a.purchase_days == 3
    assert a.gross_revenue == pytest.approx(100.0)
    assert a.return_value == pytest.approx(10.0)
    assert a.revenue_total == pytest.approx(90.0)
    assert a.return_ratio == pytest.approx(0.1)
    assert a.avg_order_value == pytest.approx(30.0)
    # purchase days Jan 1, Jan 11, Mar 22 (2024 is a leap year): gaps 10 and 71
    assert a.gap_mean_days == pytest.approx(40.5)
    assert a.gap_median_days == pytest.approx(40.5)
    assert a.gap_std_days == pytest.approx(61 / math.sqrt(2))
    assert a.gap_ratio == pytest.approx(10 / 40.5)
    assert (a.orders_30d, a.revenue_30d) == (1, pytest.approx(30.0))
    assert (a.orders_90d, a.revenue_90d) == (2, pytest.approx(60.0))
    assert (a.orders_180d, a.revenue_180d) == (3, pytest.approx(90.0))
    assert (a.orders_365d, a.revenue_365d) == (3, pytest.approx(90.0))
    assert (a.orders_prev_90d, a.revenue_prev_90d) == (1, pytest.approx(30.0))
    assert a.orders_change_90d == 1
    assert a.spend_change_ratio == pytest.approx(1.0)
    assert a.lines_per_order == pytest.approx(4 / 3)
    assert a.units_per_order == pytest.approx(7 / 3)
    assert (a.distinct_products, a.distinct_categories, a.distinct_channels) == (3, 2, 2)


def test_returns_only_customer(feats):
    b = feats.loc["b"]
    assert b.orders_count == 0 and b.purchase_days == 0
    assert b.revenue_total == pytest.approx(-5.0) and b.return_value == pytest.approx(5.0)
    for col in ("first_order_ts", "recency_days", "avg_order_value", "return_ratio", "gap_ratio"):
        assert pd.isna(b[col]), col
    assert pd.isna(b.distinct_products)


def test_single_purchase_without_optional_columns(feats):
    c = feats.loc["c"]
    assert c.recency_days == pytest.approx(0.5)
    assert c.orders_count == 1 and c.revenue_total == pytest.approx(50.0)
    for col in ("gap_mean_days", "gap_std_days", "gap_ratio", "units_per_order"):
        assert pd.isna(c[col]), col
    for col in ("distinct_products", "distinct_categories", "distinct_channels"):
        assert pd.isna(c[col]), col
    assert c.lines_per_order == pytest.approx(1.0)


def test_missing_return_flag_falls_back_to_negative_amount(feats):
    f = feats.loc["f"]
    assert f.orders_count == 1 and f.purchase_days == 1
    assert f.revenue_total == pytest.approx(0.0) and f.return_value == pytest.approx(20.0)


def test_null_customer_lines_never_reach_anyone(feats):
    assert feats.gross_revenue.sum() == pytest.approx(100.0 + 50.0 + 20.0)


def test_rfm_features_agree_with_full_features(feats):
    rfm = run(rfm_features(table(), AS_OF))
    cols = ["first_order_ts", "last_order_ts", "recency_days", "orders_count", "revenue_total"]
    pd.testing.assert_frame_equal(rfm[cols], feats[cols], check_dtype=False)


def test_optional_columns_may_be_absent():
    minimal = table().select("order_id", "customer_id", "order_ts", "amount", "is_return")
    out = run(customer_features(minimal, AS_OF))
    assert out.loc["a", "orders_count"] == 3
    assert out.distinct_categories.isna().all() and out.units_per_order.isna().all()


def test_every_column_is_documented(feats):
    for col in feats.columns:
        assert describe(col)
    assert describe("orders_7d").startswith("orders in the last 7 days")
    assert "revenue_total" in FEATURES
    with pytest.raises(KeyError):
        describe("no_such_feature")


def test_customers_join_drops_pii_and_prefixes_clashes():
    customers = ibis.memtable(
        pd.DataFrame(
            {
                "customer_id": ["a", "c"],
                "name": ["Ann", "Cy"],
                "email": ["a@x", "c@x"],
                "phone": ["+1", "+2"],
                "country": ["UK", "FR"],
                "orders_count": [7.0, 8.0],
            }
        )
    )
    out = run(customer_features(table(), AS_OF, customers=customers))
    assert not {"name", "email", "phone"} & set(out.columns)
    assert out.loc["a", "country"] == "UK" and pd.isna(out.loc["b", "country"])
    assert out.loc["a", "customer_orders_count"] == 7.0 and out.loc["a", "orders_count"] == 3


def test_known_customers_get_zero_counts():
    customers = ibis.memtable(
        pd.DataFrame(
            {
                "customer_id": ["a", "d", "e"],
                "signup_date": [date(2023, 1, 1), None, date(2024, 5, 1)],
                "country": ["UK", "DE", "US"],
            }
        ),
        schema={"customer_id": "string", "signup_date": "date", "country": "string"},
    )
    out = run(known_customer_features(table(), AS_OF, customers))
    # e signs up after as_of: not known yet.
    assert list(out.index) == ["a", "b", "c", "d", "f"]
    d = out.loc["d"]
    assert (d.orders_count, d.purchase_days, d.revenue_total, d.orders_90d) == (0, 0, 0.0, 0)
    assert pd.isna(d.recency_days) and pd.isna(d.avg_order_value)
    assert d.country == "DE"
    assert out.loc["a", "orders_count"] == 3


def test_runs_on_a_plain_duckdb_connection():
    con = DuckDBEngine.memory()
    con.write("orders", frame(ROWS))
    backend = con.ibis()
    out = run(customer_features(backend.table("orders"), AS_OF))
    assert out.loc["a", "revenue_total"] == pytest.approx(90.0)


class _SparkOptions(ibis.config.Config):
    treat_nan_as_null: bool = False


@pytest.mark.parametrize("dialect", ["duckdb", "pyspark"])
def test_compiles_to_sql(dialect, monkeypatch):
    if dialect == "pyspark" and ibis.options.pyspark is None:
        # The Spark compiler reads its options, registered only when pyspark is installed.
        monkeypatch.setattr(ibis.options, "pyspark", _SparkOptions())
    for expr in (
        customer_features(table(), AS_OF),
        known_customer_features(table(), AS_OF),
        rfm_features(table(), AS_OF),
        horizon_labels(table(), AS_OF, 90),
    ):
        sql = ibis.to_sql(expr, dialect=dialect)
        assert "2024" in sql and "GROUP BY" in sql


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="amount"):
        customer_features(table().drop("amount"), AS_OF)
    with pytest.raises(ValueError, match="customer_id"):
        horizon_labels(table().drop("customer_id"), AS_OF, 30)
    with pytest.raises(ValueError, match="positive"):
        customer_features(table(), AS_OF, windows_days=(0, 30))
