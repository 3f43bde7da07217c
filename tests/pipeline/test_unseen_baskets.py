"""Basket data crmine has never seen: Chinese headers, dates as 2024年3月5日, no prices,
product names as ids. Every step must still run, and the rules must be the planted ones."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from crmine.engine import Workspace
from crmine.pipeline.ingest import ingest
from crmine.pipeline.run import run
from crmine.pipeline.snapshots import SnapshotStore
from tests.pipeline.conftest import write

PRODUCTS = ["牛奶", "面包", "黄油", "鸡蛋", "苹果", "香蕉", "酸奶", "咖啡", "茶叶", "大米", "面条",
            "酱油"]  # fmt: skip


def _baskets(seed: int = 0, customers: int = 150) -> list[tuple[str, str, str, str]]:
    """面包 is bought with 黄油 (planted rule); 牛奶 is rebought by half the customers."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(customers):
        days = np.sort(rng.choice(330, size=int(rng.integers(2, 9)), replace=False))
        for j, day in enumerate(days):
            when = pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(day))
            items = set(rng.choice(PRODUCTS[3:], size=int(rng.integers(1, 4)), replace=False))
            if rng.random() < 0.4:
                items |= {"面包", "黄油"} if rng.random() < 0.8 else {"面包"}
            if c % 2 == 0:
                items.add("牛奶")
            for item in sorted(items):
                rows.append((f"VIP{c:04d}", f"T{c:04d}-{j}",
                             f"{when.year}年{when.month}月{when.day}日", item))
    return rows


def _support(baskets: list[frozenset[str]], items: frozenset[str]) -> float:
    return sum(items <= b for b in baskets) / len(baskets)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("unseen")
    ws = Workspace.init(tmp / "ws")
    rows = _baskets()
    text = "会员编号,小票号,购买日期,商品名称\n" + "".join(
        f"{c},{o},{d},{p}\n" for c, o, d, p in rows
    )
    result = ingest(ws, "orders", write(tmp / "小票.csv", text))
    run(ws)
    return rows, result, SnapshotStore(ws.snapshots_dir).require_current()


def test_every_line_loads_without_configuration(published):
    rows, result, _ = published
    assert result.read == len(rows) and result.loaded == len(rows)
    assert result.quarantined_total == 0


def test_rules_equal_brute_force_counts(published):
    rows, _, snap = published
    lines = pd.DataFrame(rows, columns=["customer", "order", "day", "item"])
    baskets = [frozenset(g) for _, g in lines.groupby("order")["item"]]
    rules = snap.read("association_rules")
    planted = rules[rules["antecedents"].map(lambda a: list(a) == ["面包"])
                    & rules["consequents"].map(lambda c: list(c) == ["黄油"])]  # fmt: skip
    assert len(planted) == 1
    both = _support(baskets, frozenset({"面包", "黄油"}))
    assert planted["support"].iloc[0] == pytest.approx(both)
    assert planted["confidence"].iloc[0] == pytest.approx(both / _support(baskets, frozenset({"面包"})))
    assert planted["lift"].iloc[0] > 2
    for _, rule in rules.iterrows():  # every published figure checks out against the baskets
        a, c = frozenset(rule["antecedents"]), frozenset(rule["consequents"])
        assert rule["support"] == pytest.approx(_support(baskets, a | c))
    items = sorted({i for b in baskets for i in b})
    pairs = [frozenset(p) for p in combinations(items, 2)]
    assert max(_support(baskets, p) for p in pairs) >= rules["support"].max() - 1e-12


def test_recommendations_and_scores_for_every_buyer(published):
    rows, _, snap = published
    buyers = {r[0] for r in rows}
    recs = snap.read("recommendations")
    assert set(recs["customer_id"]) == buyers
    assert set(recs["product_id"]) <= set(PRODUCTS)
    bread_only = {c for c, grp in pd.DataFrame(rows).groupby(0)[3] if "面包" in set(grp)
                  and "黄油" not in set(grp)}  # fmt: skip
    butter_for_bread = recs[recs["customer_id"].isin(bread_only) & recs["product_id"].eq("黄油")]
    assert butter_for_bread["customer_id"].nunique() >= 0.8 * len(bread_only)
    scores = snap.read("customer_scores")
    assert set(scores["customer_id"]) == buyers
    assert scores["p_purchase"].between(0, 1).all()
    assert scores["orders_count"].sum() == len({r[1] for r in rows})


def test_without_prices_spend_is_unknown_not_zero(published):
    _, _, snap = published
    scores = snap.read("customer_scores")
    assert scores["revenue_total"].isna().all() and scores["m_score"].isna().all()
    assert scores["rfm_segment"].notna().all() and scores["r_score"].notna().all()
    assert not {"expected_revenue", "clv"} & set(scores.columns)
    assert "next_categories" not in snap.tables()  # 12 products: no categories to derive
    tiers = scores.set_index("customer_id")["value_tier"]
    assert set(tiers) == {"high", "medium", "low"}
    orders = scores.set_index("customer_id")["expected_orders"]
    assert orders[tiers == "high"].min() >= orders[tiers == "low"].max()
