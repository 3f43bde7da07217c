"""NextProductRecommender on small generated data with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmine.models.base import NotFittedError
from crmine.models.recommend import REC_COLUMNS, NextProductRecommender
from crmine.quality.products import code_shape, detect_non_products

AS_OF = pd.Timestamp("2025-01-01")


@pytest.fixture(scope="module")
def demo_lines() -> pd.DataFrame:
    from crmine.demo import generate

    return generate(300, seed=3, dirty=False).truth.orders


def _lines(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """(customer, order, day, product) tuples as order lines without prices."""
    df = pd.DataFrame(rows, columns=["customer_id", "order_id", "order_ts", "product_id"])
    df["order_ts"] = pd.to_datetime(df["order_ts"], format="ISO8601")
    return df


def _cycle_shop() -> pd.DataFrame:
    """Customer c0 buys 'milk' every 30 days; others buy bread+jam together, one-off items."""
    rows = []
    for j, day in enumerate(pd.date_range("2024-06-01", "2024-12-15", freq="30D")):
        rows.append(("c0", f"o0-{j}", str(day), "milk"))
    for c in range(1, 30):
        d = f"2024-{1 + c % 11:02d}-{1 + c % 27:02d}"
        rows += [(f"c{c}", f"o{c}", d, "bread"), (f"c{c}", f"o{c}", d, "jam")]
        rows.append((f"c{c}", f"o{c}", d, f"thing {c % 5}"))
    rows.append(("c30", "o30", "2024-12-20", "bread"))
    return _lines(rows)


def test_code_shape() -> None:
    assert code_shape("85123A") == "9x5"
    assert code_shape("POST") == "Ax4"
    assert code_shape("gift_0001_10") == "Ax4"
    assert code_shape("") == ""


def test_non_products_found_in_demo_data(demo_lines: pd.DataFrame) -> None:
    from crmine.demo import generate

    truth = generate(300, seed=3, dirty=False).truth
    found = detect_non_products(
        demo_lines["product_id"], demo_lines["product_name"], demo_lines["unit_price"]
    )
    assert set(truth.non_product_codes) <= found
    real = set(demo_lines["product_id"]) - set(truth.non_product_codes)
    assert not found & real


def test_non_products_by_shape_name_and_price() -> None:
    ids = pd.Series([f"{10000 + i}" for i in range(200)] + ["POST", "BANK CHARGES", "22999"])
    names = pd.Series(["MUG"] * 200 + ["POSTAGE", "Bank Charges", "Next Day Carriage"])
    prices = pd.Series([1.0] * 203)
    prices.iloc[5] = 0.0
    found = detect_non_products(ids, names, prices)
    assert found == {"POST", "BANK CHARGES", "22999", "10005"}
    # Free-text ids have no dominant shape: nothing flagged for its shape alone.
    words = pd.Series(["whole milk", "yogurt", "rolls/buns", "soda", "UHT-milk", "a"])
    assert detect_non_products(words) == set()


def test_output_contract(demo_lines: pd.DataFrame) -> None:
    model = NextProductRecommender(k=5, random_state=0).fit(demo_lines, as_of=AS_OF)
    customers = model.history_.users[:50]
    recs = model.recommend(customers)
    assert list(recs.columns) == list(REC_COLUMNS)
    assert recs.groupby("customer_id").size().eq(5).all()
    assert (recs.groupby("customer_id")["rank"].apply(list) == [[1, 2, 3, 4, 5]] * 50).all()
    assert not recs.duplicated(["customer_id", "product_id"]).any()
    assert not recs["product_id"].isin(["POST", "DISCOUNT"]).any()
    assert recs.groupby("customer_id")["score"].apply(lambda s: s.is_monotonic_decreasing).all()
    assert recs["reason"].str.len().gt(10).all()
    assert set(recs["source"]) <= {"again", "cycle", "als", "ease", "items", "rules", "popular"}


def test_future_lines_are_ignored(demo_lines: pd.DataFrame) -> None:
    cut = pd.Timestamp("2024-06-01")
    params = dict(weights={"again": 1.0, "als": 0.3, "items": 0.2, "popular": 0.1})
    past = demo_lines[demo_lines["order_ts"] < cut]
    a = NextProductRecommender(**params).fit(demo_lines, as_of=cut)
    b = NextProductRecommender(**params).fit(past, as_of=cut)
    ids = a.history_.users[:40]
    pd.testing.assert_frame_equal(a.recommend(ids), b.recommend(ids))


def test_same_seed_same_recommendations(demo_lines: pd.DataFrame) -> None:
    ids = pd.Series(demo_lines["customer_id"].unique()[:30])
    a = NextProductRecommender(random_state=1).fit(demo_lines, as_of=AS_OF).recommend(ids)
    b = NextProductRecommender(random_state=1).fit(demo_lines, as_of=AS_OF).recommend(ids)
    pd.testing.assert_frame_equal(a, b)


def test_repurchase_cycle_and_reason() -> None:
    lines = _cycle_shop()
    model = NextProductRecommender(k=3, weights={"again": 1.0, "cycle": 1.0}).fit(lines, as_of=AS_OF)
    top = model.recommend(["c0"]).iloc[0]
    assert top["product_id"] == "milk"
    assert top["reason"].startswith("you buy this about every 30 days; last bought")


def test_rules_reason_names_the_partner() -> None:
    lines = _cycle_shop()
    model = NextProductRecommender(k=1, weights={"rules": 1.0}).fit(lines, as_of=AS_OF)
    rec = model.recommend(["c30"]).iloc[0]
    assert rec["product_id"] == "jam"
    assert rec["source"] == "rules"
    assert rec["reason"] == "bought with bread by 97 % of its buyers"


def test_without_repurchase_nothing_already_bought(demo_lines: pd.DataFrame) -> None:
    model = NextProductRecommender(
        repurchase=False, weights={"als": 1.0, "items": 0.5, "popular": 0.1}
    )
    model.fit(demo_lines, as_of=AS_OF)
    ids = model.history_.users[:40]
    recs = model.recommend(ids)
    bought = demo_lines[demo_lines["order_ts"] < AS_OF][["customer_id", "product_id"]]
    overlap = recs.merge(bought.drop_duplicates(), on=["customer_id", "product_id"])
    assert overlap.empty
    assert len(recs) == 40 * 10


def test_cold_start_gets_group_popularity() -> None:
    rows = [(f"n{c}", f"n{c}", "2024-11-01", "north item") for c in range(10)]
    rows += [(f"s{c}", f"s{c}", "2024-11-01", "south item") for c in range(6)]
    rows += [(f"s{c}", f"s{c}b", "2024-11-02", "everywhere") for c in range(6)]
    rows += [(f"n{c}", f"n{c}b", "2024-11-02", "everywhere") for c in range(10)]
    lines = _lines(rows)
    groups = pd.Series(
        ["north"] * 10 + ["south"] * 6,
        index=[f"n{c}" for c in range(10)] + [f"s{c}" for c in range(6)],
    )
    model = NextProductRecommender(k=2).fit(lines, as_of=AS_OF, customer_groups=groups)
    recs = model.recommend(["new1", "new2", "new3"], groups=["south", "north", None])
    first = recs[recs["rank"] == 1].set_index("customer_id")
    assert first.loc["new1", "product_id"] in {"south item", "everywhere"}
    assert "south item" in set(recs.loc[recs["customer_id"] == "new1", "product_id"])
    assert "north item" in set(recs.loc[recs["customer_id"] == "new2", "product_id"])
    assert first.loc["new1", "reason"] == "popular with customers in south"
    assert first.loc["new3", "reason"] == "popular with customers right now"
    assert first.loc["new3", "product_id"] == "everywhere"
    twice = model.recommend(["new1", "new1"], groups=["south", "south"])
    assert len(twice) == 2


def test_item_names_as_ids_one_order_customers() -> None:
    rng = np.random.default_rng(0)
    goods = np.array(
        [
            "whole milk",
            "rolls/buns",
            "soda",
            "yogurt",
            "bottled water",
            "tropical fruit",
            "root vegetables",
            "shopping bags",
        ]
    )
    rows = []
    for c in range(25):
        for j in range(1 + c % 2):
            for g in rng.choice(goods, 3, replace=False):
                rows.append((f"m{c}", f"m{c}-{j}", f"2024-{3 + j * 4:02d}-{1 + c:02d}", g))
    lines = _lines(rows)
    model = NextProductRecommender(k=4).fit(lines, as_of=AS_OF)
    recs = model.recommend(lines["customer_id"].unique())
    assert recs.groupby("customer_id").size().eq(4).all()
    assert set(recs["product_id"]) <= set(goods)
    assert model.non_products_ == []


def test_bad_parameters() -> None:
    with pytest.raises(ValueError, match="unknown sources"):
        NextProductRecommender(weights={"magic": 1.0}).fit(_cycle_shop(), as_of=AS_OF)
    with pytest.raises(ValueError, match="no purchases"):
        NextProductRecommender().fit(_cycle_shop(), as_of="2000-01-01")
    with pytest.raises(NotFittedError, match="not fitted"):
        NextProductRecommender().recommend(["c0"])


def test_ease_reason_names_one_of_the_customers_items(demo_lines: pd.DataFrame) -> None:
    model = NextProductRecommender(k=3, weights={"ease": 1.0}).fit(demo_lines, as_of=AS_OF)
    recs = model.recommend(model.history_.users[:20])
    assert (recs["source"] == "ease").all()
    partner = recs["reason"].str.removeprefix("often bought by the buyers of ")
    bought = demo_lines[demo_lines["order_ts"] < AS_OF][["customer_id", "product_name"]]
    pairs = set(zip(bought["customer_id"], bought["product_name"], strict=True))
    assert all((c, p) in pairs for c, p in zip(recs["customer_id"], partner, strict=True))


def test_fit_passes_csr_to_implicit(demo_lines: pd.DataFrame) -> None:
    import warnings

    from implicit.utils import ParameterWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", ParameterWarning)
        NextProductRecommender(factors=8).fit(demo_lines, as_of="2024-07-01")


def test_learned_blend_trains_on_earlier_windows(demo_lines: pd.DataFrame) -> None:
    one = NextProductRecommender(train_windows=1).fit(demo_lines, as_of=AS_OF)
    three = NextProductRecommender(train_windows=3).fit(demo_lines, as_of=AS_OF)
    assert one.training_["mode"] == three.training_["mode"] == "learned"
    assert three.training_["windows"][0] == one.training_["window"]
    assert len(three.training_["windows"]) == 3
    assert three.training_["candidates"] > one.training_["candidates"]
    # Held-out customers of the latest window measure the ranker it would have been.
    assert 0.0 <= one.training_["held_out_precision"] <= 1.0
    assert 0.0 <= one.training_["held_out_buy_again_precision"] <= 1.0
    # Windows stop at the first with too few customers; the ranker still trains on the rest.
    few = NextProductRecommender(train_windows=40, window_step_days=30).fit(demo_lines, as_of=AS_OF)
    assert few.training_["mode"] == "learned"
    assert 1 <= len(few.training_["windows"]) < 40
    with pytest.raises(ValueError, match="train_windows"):
        NextProductRecommender(train_windows=0).fit(demo_lines, as_of=AS_OF)
