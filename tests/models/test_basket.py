"""Association rules: hand-made baskets, a brute-force gold, mlxtend parity, real data."""

from __future__ import annotations

import math
import warnings
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from crmine.models._basket_mining import min_count
from crmine.models.basket import (
    ITEMSET_COLUMNS,
    RULE_COLUMNS,
    AssociationRuleMiner,
    RuleSettings,
)
from tests.conftest import dataset_file

METRICS = [c for c in RULE_COLUMNS if c not in ("antecedents", "consequents")]


def _pairs(baskets: list[list]) -> tuple[list, list]:
    """Aligned (basket id, item id) arrays from a list of baskets."""
    b = [i for i, items in enumerate(baskets) for _ in items]
    it = [x for items in baskets for x in items]
    return b, it


def _fit(baskets: list[list], **kw) -> AssociationRuleMiner:
    return AssociationRuleMiner(**kw).fit(*_pairs(baskets))


def _keyed(rules: pd.DataFrame, ante: str = "antecedents", cons: str = "consequents"):
    """Rules indexed by (sorted antecedent tuple, sorted consequent tuple), sorted by key."""
    keys = [
        (tuple(sorted(a)), tuple(sorted(c))) for a, c in zip(rules[ante], rules[cons], strict=True)
    ]
    order = sorted(range(len(keys)), key=lambda i: keys[i])
    return [keys[i] for i in order], rules.iloc[order].reset_index(drop=True)


# --- gold: brute force over every itemset, Python sets -----------------------------------


def _gold(baskets, min_support, min_confidence, min_lift, max_len):
    sets = [frozenset(b) for b in baskets]
    n = len(sets)
    universe = sorted(set().union(*sets)) if sets else []
    count = {}
    top = len(universe) if max_len is None else min(max_len, len(universe))
    for k in range(1, top + 1):
        for combo in combinations(universe, k):
            c = sum(1 for s in sets if s.issuperset(combo))
            if c / n >= min_support:
                count[frozenset(combo)] = c
    rules = []
    for itemset, c in count.items():
        for r in range(1, len(itemset)):
            for ante in combinations(sorted(itemset), r):
                a = frozenset(ante)
                cons = itemset - a
                s_ac, s_a, s_c = c / n, count[a] / n, count[cons] / n
                conf = (s_ac * n) / (s_a * n)
                lift = conf / s_c
                if conf >= min_confidence and lift >= min_lift:
                    conv = np.inf if conf >= 1.0 else (1.0 - s_c) / (1.0 - conf)
                    rules.append(
                        (
                            sorted(a),
                            sorted(cons),
                            s_a,
                            s_c,
                            s_ac,
                            conf,
                            lift,
                            s_ac - s_a * s_c,
                            conv,
                            c,
                        )
                    )
    itemsets = {tuple(sorted(k)): v for k, v in count.items()}
    return itemsets, pd.DataFrame(rules, columns=list(RULE_COLUMNS))


def _assert_same_rules(ours: pd.DataFrame, ref: pd.DataFrame, metrics=METRICS) -> None:
    k1, a = _keyed(ours)
    k2, b = _keyed(ref)
    assert k1 == k2
    for m in metrics:
        np.testing.assert_array_equal(a[m].to_numpy(float), b[m].to_numpy(float), err_msg=m)


# --- hand-made baskets with known figures ------------------------------------------------

GROCERY = [["milk", "bread"], ["bread", "butter"], ["milk", "bread", "butter"], ["milk"]]


def test_known_figures_on_four_baskets():
    m = _fit(GROCERY, min_support=0.5, min_confidence=0.0, min_lift=0.0, max_len=None)
    assert m.n_baskets_ == 4
    sets = {tuple(s): (sup, c) for s, sup, c in m.itemsets_.itertuples(index=False)}
    assert sets == {
        ("bread",): (0.75, 3),
        ("milk",): (0.75, 3),
        ("butter",): (0.5, 2),
        ("bread", "butter"): (0.5, 2),
        ("bread", "milk"): (0.5, 2),
    }
    rules = {(tuple(r.antecedents), tuple(r.consequents)): r for r in m.rules_.itertuples()}
    assert set(rules) == {
        (("bread",), ("butter",)),
        (("butter",), ("bread",)),
        (("bread",), ("milk",)),
        (("milk",), ("bread",)),
    }
    r = rules[("butter",), ("bread",)]
    assert (r.confidence, r.support, r.baskets) == (1.0, 0.5, 2)
    assert r.lift == pytest.approx(4 / 3)
    assert r.leverage == pytest.approx(0.5 - 0.5 * 0.75)
    assert r.conviction == np.inf
    r = rules[("bread",), ("milk",)]
    assert r.confidence == pytest.approx(2 / 3)
    assert r.lift == pytest.approx(8 / 9)
    assert r.conviction == pytest.approx((1 - 0.75) / (1 - 2 / 3))


def test_order_is_lift_then_confidence_then_ids():
    m = _fit(GROCERY, min_support=0.5, min_confidence=0.0, min_lift=0.0, max_len=None)
    got = [(r.antecedents, r.consequents) for r in m.rules_.itertuples()]
    # butter→bread and bread→butter share lift 4/3; higher confidence first
    assert got == [
        (["butter"], ["bread"]),
        (["bread"], ["butter"]),
        (["bread"], ["milk"]),
        (["milk"], ["bread"]),
    ]
    assert list(m.rules_.columns) == list(RULE_COLUMNS)


def test_thresholds_are_inclusive_and_lift_filters():
    m = _fit(GROCERY, min_support=0.5, min_confidence=2 / 3, min_lift=1.0, max_len=None)
    assert [(r.antecedents, r.consequents) for r in m.rules_.itertuples()] == [
        (["butter"], ["bread"]),
        (["bread"], ["butter"]),
    ]


def test_duplicates_within_a_basket_and_row_order_do_not_matter():
    b, it = _pairs(GROCERY)
    rng = np.random.default_rng(0)
    idx = rng.permutation(np.r_[np.arange(len(b)), np.arange(len(b))])  # every row twice
    shuffled = AssociationRuleMiner(0.25, 0.0, 0.0, None).fit(
        np.asarray(b)[idx], np.asarray(it, dtype=object)[idx]
    )
    plain = AssociationRuleMiner(0.25, 0.0, 0.0, None).fit(b, it)
    pd.testing.assert_frame_equal(shuffled.rules_, plain.rules_)
    pd.testing.assert_frame_equal(shuffled.itemsets_, plain.itemsets_)


def test_max_len_limits_itemsets_and_one_means_no_rules():
    m = _fit(GROCERY, min_support=0.25, min_confidence=0.0, min_lift=0.0, max_len=2)
    assert m.itemsets_["itemset"].map(len).max() == 2
    assert m.rules_[["antecedents", "consequents"]].map(len).max().max() == 1
    m1 = _fit(GROCERY, min_support=0.25, max_len=1)
    assert len(m1.itemsets_) == 3 and m1.rules_.empty


def test_unicode_names_numeric_ids_single_items_and_one_basket():
    names = [["Tasse à café ☕", "牛奶 milk"], ["Tasse à café ☕", "牛奶 milk"], ["solo item"]]
    m = _fit(names, min_support=0.5, min_confidence=0.5, min_lift=1.0)
    assert m.rules_["antecedents"].tolist() == [["Tasse à café ☕"], ["牛奶 milk"]]
    assert m.rules_["baskets"].tolist() == [2, 2]

    nums = _fit([[3, 10], [10, 3], [3]], min_support=0.5, min_confidence=0.0, min_lift=0.0)
    assert nums.rules_["antecedents"].tolist() == [[10], [3]]  # lift ties; conf 1 first
    assert all(type(x) is int for x in nums.itemsets_["itemset"].explode())

    one = _fit([["a", "b", "c"]], min_support=1.0, min_confidence=1.0, max_len=None)
    assert one.n_baskets_ == 1
    assert len(one.itemsets_) == 7 and len(one.rules_) == 12
    assert (one.rules_["lift"] == 1.0).all() and np.isinf(one.rules_["conviction"]).all()


def test_mixed_id_types_are_ordered_not_rejected():
    m = _fit([[1, "a"], [1, "a"]], min_support=0.5, min_confidence=0.0, min_lift=0.0)
    assert m.itemsets_["itemset"].tolist()[-1] == [1, "a"]  # int before str by type name
    assert len(m.rules_) == 2
    same_text = _fit([[3, "3"], [np.int64(3)]], min_support=0.5, min_confidence=0.0)
    assert same_text.itemsets_["itemset"].tolist() == [[3], ["3"], [3, "3"]]  # two items
    assert type(same_text.itemsets_["itemset"][0][0]) is int


def test_nothing_frequent_gives_empty_frames_with_columns():
    m = _fit([["a"], ["b"], ["c"]], min_support=0.5)
    assert m.n_baskets_ == 3
    assert m.itemsets_.empty and list(m.itemsets_.columns) == list(ITEMSET_COLUMNS)
    assert m.rules_.empty and list(m.rules_.columns) == list(RULE_COLUMNS)
    assert m.rules_["lift"].dtype == np.float64 and m.rules_["baskets"].dtype == np.int64
    empty = AssociationRuleMiner().fit([], [])
    assert empty.n_baskets_ == 0 and empty.rules_.empty and empty.itemsets_.empty


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_support": 0},
        {"min_support": 1.5},
        {"min_confidence": -0.1},
        {"min_lift": -1},
        {"max_len": 0},
        {"max_len": 2.5},
    ],
)
def test_bad_parameters_are_rejected(kwargs):
    with pytest.raises(ValueError):
        AssociationRuleMiner(**kwargs).fit(["t1"], ["a"])


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="length"):
        AssociationRuleMiner().fit(["t1", "t2"], ["a"])
    with pytest.raises(ValueError, match="item_ids contain missing"):
        AssociationRuleMiner().fit(["t1", "t2"], ["a", None])
    with pytest.raises(ValueError, match="basket_ids contain missing"):
        AssociationRuleMiner().fit([np.nan, 1.0], ["a", "b"])


def test_settings_are_the_defaults():
    s = RuleSettings()
    m = AssociationRuleMiner.from_settings(s)
    assert (m.min_support, m.min_confidence, m.min_lift, m.max_len) == (
        s.min_support,
        s.min_confidence,
        s.min_lift,
        s.max_len,
    )
    assert AssociationRuleMiner().get_params() == m.get_params()


def test_min_count_is_exact_support_threshold():
    # 0.07 * 100 = 7.000000000000001 in floating point; 7 / 100 >= 0.07 still holds
    assert min_count(0.07, 100) == 7
    assert min_count(0.005, 20728) == 104
    assert min_count(1.0, 3) == 3


# --- properties: brute-force gold and mlxtend --------------------------------------------

baskets_strategy = st.sampled_from([list("abcdef"), [0, 1, 2, 10, 11, 100]]).flatmap(
    lambda alphabet: st.lists(
        st.lists(st.sampled_from(alphabet), min_size=1, max_size=5), min_size=1, max_size=25
    )
)
thresholds = st.tuples(
    st.sampled_from([0.01, 0.05, 0.1, 0.15, 0.2, 0.25, 1 / 3, 0.4, 0.5, 0.7, 1.0]),
    st.sampled_from([0.0, 0.1, 0.3, 0.5, 2 / 3, 0.8, 1.0]),
    st.sampled_from([0.0, 0.5, 1.0, 1.2, 2.0]),
    st.sampled_from([None, 1, 2, 3, 4]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(baskets=baskets_strategy, params=thresholds)
def test_matches_brute_force_gold(baskets, params):
    min_support, min_conf, min_lift, max_len = params
    m = _fit(
        baskets,
        min_support=min_support,
        min_confidence=min_conf,
        min_lift=min_lift,
        max_len=max_len,
    )
    gold_sets, gold_rules = _gold(baskets, min_support, min_conf, min_lift, max_len)
    ours = {tuple(s): c for s, c in zip(m.itemsets_["itemset"], m.itemsets_["count"], strict=True)}
    assert ours == gold_sets
    assert m.n_baskets_ == len(baskets)
    _assert_same_rules(m.rules_, gold_rules)
    lift, conf = m.rules_["lift"].to_numpy(), m.rules_["confidence"].to_numpy()
    assert all((lift[i], conf[i]) >= (lift[i + 1], conf[i + 1]) for i in range(len(lift) - 1))


def _mlxtend(onehot: pd.DataFrame, min_support, min_conf, min_lift, max_len):
    """mlxtend's (itemset -> support) dict and its rules, in our column names."""
    from mlxtend.frequent_patterns import association_rules, fpgrowth

    fi = fpgrowth(onehot, min_support=min_support, use_colnames=True, max_len=max_len)
    if fi.empty:
        return {}, pd.DataFrame(columns=list(RULE_COLUMNS))
    with warnings.catch_warnings():  # mlxtend's certainty metric divides by zero
        warnings.simplefilter("ignore", RuntimeWarning)
        r = association_rules(fi, len(onehot), metric="confidence", min_threshold=min_conf)
    r = r[r["lift"] >= min_lift]
    r = r.rename(
        columns={
            "antecedent support": "antecedent_support",
            "consequent support": "consequent_support",
        }
    )
    counts = {s: round(v * len(onehot)) for s, v in zip(fi["itemsets"], fi["support"], strict=True)}
    r["baskets"] = [counts[a | c] for a, c in zip(r["antecedents"], r["consequents"], strict=True)]
    supports = {tuple(sorted(k)): v for k, v in zip(fi["itemsets"], fi["support"], strict=True)}
    return supports, r


def _supports(m: AssociationRuleMiner) -> dict:
    return {
        tuple(s): v for s, v in zip(m.itemsets_["itemset"], m.itemsets_["support"], strict=True)
    }


def _onehot(basket_ids, item_ids) -> pd.DataFrame:
    """Dense boolean one-hot frame, as mlxtend needs it (tests and bench only)."""
    b, _ = pd.factorize(pd.Series(basket_ids))
    i, items = pd.factorize(pd.Series(item_ids))
    dense = np.zeros((b.max() + 1, len(items)), dtype=bool)
    dense[b, i] = True
    return pd.DataFrame(dense, columns=list(items))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(baskets=baskets_strategy, params=thresholds)
def test_matches_mlxtend(baskets, params):
    min_support, min_conf, min_lift, max_len = params
    n = len(baskets)
    # mlxtend prunes itemsets of 2+ items at ceil(min_support * n), which float error can
    # push one basket above the exact threshold; compare where both agree on it.
    assume(math.ceil(min_support * n) == min_count(min_support, n))
    m = _fit(
        baskets,
        min_support=min_support,
        min_confidence=min_conf,
        min_lift=min_lift,
        max_len=max_len,
    )
    ref_sets, ref = _mlxtend(_onehot(*_pairs(baskets)), min_support, min_conf, min_lift, max_len)
    _assert_same_rules(m.rules_, ref)
    assert _supports(m) == ref_sets


def test_exact_threshold_where_mlxtend_rounds_up():
    # 7 of 100 baskets hold {a, b}: support 0.07 >= 0.07, but ceil(0.07 * 100) == 8
    baskets = [["a", "b"]] * 7 + [["c"]] * 93
    m = _fit(baskets, min_support=0.07, min_confidence=0.0, min_lift=0.0)
    assert ["a", "b"] in m.itemsets_["itemset"].tolist()
    assert len(m.rules_) == 2


# --- real data ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def retail_baskets() -> tuple[np.ndarray, np.ndarray]:
    df = pd.read_parquet(
        dataset_file("online_retail"), columns=["InvoiceNo", "StockCode", "Quantity"]
    )
    keep = ~df["InvoiceNo"].str.startswith("C") & (df["Quantity"] > 0)
    df = df[keep]
    return df["InvoiceNo"].to_numpy(), df["StockCode"].to_numpy()


@pytest.mark.realdata
@pytest.mark.parametrize("min_support", [0.02, pytest.param(0.01, marks=pytest.mark.slow)])
def test_online_retail_equals_mlxtend(retail_baskets, min_support):
    baskets, items = retail_baskets
    m = AssociationRuleMiner(min_support, min_confidence=0.1, min_lift=1.0, max_len=3).fit(
        baskets, items
    )
    ref_sets, ref = _mlxtend(_onehot(baskets, items), min_support, 0.1, 1.0, 3)
    assert _supports(m) == ref_sets  # same itemsets, bit-equal supports
    assert m.n_baskets_ == 20728
    assert len(m.rules_) > 100
    _assert_same_rules(m.rules_, ref)
    assert np.isinf(m.rules_["conviction"]).sum() == np.isinf(ref["conviction"]).sum()


def test_memory_follows_the_baskets_not_baskets_times_items():
    """100,000 baskets x 20,000 items: a dense 0/1 matrix would take 2 GB; we stay far below."""
    import tracemalloc

    rng = np.random.default_rng(7)
    n_rows, n_baskets, n_items = 500_000, 100_000, 20_000
    popularity = 1.0 / np.arange(1, n_items + 1) ** 0.8
    basket_ids = rng.integers(0, n_baskets, n_rows)
    item_ids = rng.choice(n_items, n_rows, p=popularity / popularity.sum())
    tracemalloc.start()
    try:
        m = AssociationRuleMiner(0.002, 0.0, 0.0, None).fit(basket_ids, item_ids)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert m.n_baskets_ == len(np.unique(basket_ids))
    assert len(m.itemsets_) > 100 and len(m.rules_) > 0
    assert peak < 150 * 2**20, f"peak {peak / 2**20:.0f} MiB"
