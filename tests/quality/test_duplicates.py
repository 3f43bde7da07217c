"""Duplicate customers: transitive merges, survivor choice, id map, flagged look-alikes."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from crmine.errors import CrmineError
from crmine.quality import find_duplicate_customers, remap_customer_ids_sql


def _customers(**columns: list) -> pd.DataFrame:
    n = len(columns["customer_id"])
    base = {"email": [None] * n, "phone": [None] * n, "name": [None] * n, "city": [None] * n}
    return pd.DataFrame({**base, **columns})


def test_transitive_merge_keeps_earliest_signup_and_fills_fields() -> None:
    customers = _customers(
        customer_id=["A", "B", "C", "D"],
        email=["a@x.com", "a@x.com", None, "d@x.com"],
        phone=[None, "+8613800138000", "+8613800138000", None],
        name=[None, "Ann Lee", "Ann Lee", "Dan Wu"],
        city=["Leeds", None, "Leeds", "York"],
        signup_date=pd.to_datetime(["2021-03-01", "2020-01-01", "2022-01-01", "2020-01-01"]),
        segment=[None, None, "vip", "new"],
    )
    result = find_duplicate_customers(customers)
    out = result.customers
    assert list(out.columns) == list(customers.columns)
    assert out["customer_id"].tolist() == ["B", "D"]
    b = out.iloc[0]
    assert (b["email"], b["phone"], b["name"], b["city"], b["segment"]) == (
        "a@x.com",
        "+8613800138000",
        "Ann Lee",
        "Leeds",
        "vip",
    )
    assert b["signup_date"] == pd.Timestamp("2020-01-01")
    id_map = result.id_map.sort_values("old_id").reset_index(drop=True)
    assert id_map.to_dict("list") == {
        "old_id": ["A", "C"],
        "new_id": ["B", "B"],
        "reason": ["same email", "same phone"],
    }
    assert (result.rows_in, result.customers_out) == (4, 2)
    assert (result.merged_by_email, result.merged_by_phone) == (1, 1)


def test_survivor_ties_most_complete_then_smallest_id() -> None:
    customers = _customers(
        customer_id=["z9", "m5", "a1"],
        email=["s@x.com", "s@x.com", "s@x.com"],
        name=["Sam", "Sam", None],
        city=[None, "Hull", None],
    )
    assert find_duplicate_customers(customers).customers["customer_id"].tolist() == ["m5"]
    customers["city"] = None  # now z9 and m5 are equally complete: smallest id wins
    assert find_duplicate_customers(customers).customers["customer_id"].tolist() == ["m5"]
    customers["name"] = None
    assert find_duplicate_customers(customers).customers["customer_id"].tolist() == ["a1"]


def test_result_does_not_depend_on_row_order() -> None:
    rng = np.random.default_rng(3)
    n = 300
    customers = _customers(
        customer_id=[f"c{i:03d}" for i in range(n)],
        email=[f"e{v}@x.com" for v in rng.integers(0, 200, n)],
        phone=[f"+4420{v:08d}" for v in rng.integers(0, 200, n)],
        signup_date=pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 30, n), "D"),
    )
    first = find_duplicate_customers(customers)
    shuffled = find_duplicate_customers(customers.sample(frac=1, random_state=1))
    key = ["customer_id"]
    pd.testing.assert_frame_equal(
        first.customers.sort_values(key).reset_index(drop=True),
        shuffled.customers.sort_values(key).reset_index(drop=True),
    )
    pd.testing.assert_frame_equal(
        first.id_map.sort_values("old_id").reset_index(drop=True),
        shuffled.id_map.sort_values("old_id").reset_index(drop=True),
    )
    # id_map covers every merged id exactly once and never maps to a merged id
    assert first.id_map["old_id"].is_unique
    assert set(first.id_map["old_id"]).isdisjoint(first.customers["customer_id"])
    assert set(first.id_map["new_id"]) <= set(first.customers["customer_id"])
    assert len(first.id_map) + len(first.customers) == n


def test_nothing_merged_when_nothing_matches() -> None:
    customers = _customers(
        customer_id=[1, 2, 3],
        email=["a@x.com", "b@x.com", None],
        phone=["+441", None, "+442"],
        name=["Ann", "Bob", "Cat"],
        city=["Leeds", "Leeds", "Leeds"],
    )
    result = find_duplicate_customers(customers)
    pd.testing.assert_frame_equal(result.customers, customers)
    assert result.id_map.empty and result.likely.empty
    assert list(result.id_map.columns) == ["old_id", "new_id", "reason"]
    assert list(result.likely.columns) == ["id_a", "id_b", "score", "reason"]


def test_repeated_id_rows_collapse_without_id_map_entry() -> None:
    customers = _customers(customer_id=["A", "A", "B"], email=[None, "a@x.com", "b@x.com"])
    result = find_duplicate_customers(customers)
    assert result.customers["customer_id"].tolist() == ["A", "B"]
    assert result.customers["email"].tolist() == ["a@x.com", "b@x.com"]
    assert result.id_map.empty


def test_placeholder_values_shared_by_many_are_ignored() -> None:
    n = 30
    customers = _customers(
        customer_id=list(range(n)), email=["none@none.com"] * n, phone=[None] * n
    )
    result = find_duplicate_customers(customers, max_shared=20)
    assert result.customers_out == n
    assert result.ignored_values == 1


def test_likely_pairs_flag_typo_in_same_city_not_other_cities() -> None:
    customers = _customers(
        customer_id=["c1", "c2", "c3", "c4", "c5", "c6"],
        name=["John Smith", "Jon Smith", "John Smith", "Katherine Jones", "Catherine Jones", "Li"],
        city=["Leeds", "leeds ", "York", "Hull", "Hull", "Hull"],
        email=["j1@x.com", "j2@x.com", "j3@x.com", None, None, None],
    )
    likely = find_duplicate_customers(customers).likely
    pairs = {(a, b): s for a, b, s in likely[["id_a", "id_b", "score"]].itertuples(index=False)}
    assert set(pairs) == {("c1", "c2"), ("c4", "c5")}  # c1/c3: same name, other city
    assert pairs[("c1", "c2")] == pytest.approx(94.1)
    assert likely["reason"].eq("similar name, same city").all()
    assert find_duplicate_customers(customers, name_city_threshold=95).likely.empty


def test_likely_pairs_are_between_survivors_only() -> None:
    customers = _customers(
        customer_id=["a", "b", "c"],
        email=["s@x.com", "s@x.com", None],
        name=["Ann Lee", "Ann Lee", "Ann Lee"],
        city=["Leeds", "Leeds", "Leeds"],
    )
    likely = find_duplicate_customers(customers).likely
    assert likely[["id_a", "id_b", "score", "reason"]].values.tolist() == [
        ["a", "c", 100.0, "same name and city"]
    ]


def test_missing_id_column_is_a_user_error() -> None:
    with pytest.raises(CrmineError, match="customer_id"):
        find_duplicate_customers(pd.DataFrame({"email": ["a@x.com"]}))


def test_remap_sql_runs_in_duckdb() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE orders (order_id INT, customer_id VARCHAR)")
    con.execute("INSERT INTO orders VALUES (1, 'A'), (2, 'B'), (3, 'C'), (4, NULL)")
    id_map = pd.DataFrame({"old_id": ["A", "C"], "new_id": ["B", "B"], "reason": ["x", "y"]})
    con.register("id_map_view", id_map)
    con.execute("CREATE TABLE id_map AS SELECT * FROM id_map_view")
    con.execute(remap_customer_ids_sql("main.orders", "id_map"))
    rows = con.execute("SELECT order_id, customer_id FROM orders ORDER BY order_id").fetchall()
    assert rows == [(1, "B"), (2, "B"), (3, "B"), (4, None)]


def test_remap_sql_rejects_unsafe_names() -> None:
    with pytest.raises(CrmineError):
        remap_customer_ids_sql('orders"; DROP TABLE x; --', "id_map")


def test_names_too_common_in_a_city_are_not_flagged() -> None:
    n = 25
    customers = _customers(
        customer_id=[f"c{i}" for i in range(n)] + ["x", "y"],
        name=["张伟"] * n + ["王芳", "王芳"],
        city=["北京"] * n + ["北京", "北京"],
    )
    result = find_duplicate_customers(customers, max_shared=20)
    assert result.likely[["id_a", "id_b"]].values.tolist() == [["x", "y"]]
    assert result.common_names == 1


def test_reason_ignores_placeholder_values() -> None:
    n = 25
    customers = _customers(
        customer_id=[f"c{i:02d}" for i in range(n)],
        email=["none@none.com"] * n,
        phone=["+441"] * 2 + [None] * (n - 2),
    )
    result = find_duplicate_customers(customers, max_shared=20)
    assert result.id_map.to_dict("list") == {
        "old_id": ["c01"],
        "new_id": ["c00"],
        "reason": ["same phone"],
    }
