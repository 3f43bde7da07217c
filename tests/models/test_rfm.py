"""RFMScorer against a readable gold implementation, plus the segment map's partition rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmine.errors import ConfigError
from crmine.models.base import NotFittedError
from crmine.models.rfm import DEFAULT_SEGMENT_RULES, RFMScorer, SegmentMap


def _gold_scores(values: np.ndarray, bins: int = 5) -> np.ndarray:
    """Mid-rank percentile score, written out plainly."""
    below = (values[None, :] < values[:, None]).sum(axis=1)
    equal = (values[None, :] == values[:, None]).sum(axis=1)
    pct = (below + equal / 2) / values.size
    return np.minimum(np.floor(pct * bins).astype(int) + 1, bins)


def _frame(recency, orders, revenue) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(len(orders))],
            "recency_days": recency,
            "orders_count": orders,
            "revenue_total": revenue,
        }
    )


@pytest.fixture
def hand() -> pd.DataFrame:
    return _frame(
        recency=[1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        orders=[1, 1, 1, 1, 1, 1, 2, 2, 3, 4],
        revenue=[10.0, 20, 30, 40, 50, 60, 70, 80, 90, 100],
    )


def test_scores_by_hand(hand):
    out = RFMScorer().fit_transform(hand)
    # distinct recencies spread evenly, most recent highest
    assert out.r_score.tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    # six customers tie on 1 order: mid-rank 0.3 -> score 2 for all of them
    assert out.f_score.tolist() == [2, 2, 2, 2, 2, 2, 4, 4, 5, 5]
    assert out.m_score.tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert str(out.r_score.dtype) == "Int64"


def test_new_customers_use_learned_edges(hand):
    scorer = RFMScorer().fit(hand)
    np.testing.assert_array_equal(scorer.edges_["orders_count"], [1, 2, 2, 3])
    new = _frame(recency=[0.5, 1.5, 100.0], orders=[2, 3, 50], revenue=[5.0, 75, 1e6])
    out = scorer.transform(new)
    # unseen values score like the nearest fitted value on their worse side
    assert out.r_score.tolist() == [5, 5, 1]
    assert out.f_score.tolist() == [4, 5, 5]
    assert out.m_score.tolist() == [1, 4, 5]


@pytest.mark.parametrize("seed", range(5))
def test_matches_gold_with_heavy_ties(seed):
    rng = np.random.default_rng(seed)
    n = 300
    frame = _frame(
        recency=rng.integers(0, 40, n).astype(float),
        orders=rng.geometric(0.5, n),
        revenue=np.round(rng.gamma(1.0, 50.0, n), 0) - 5,
    )
    out = RFMScorer().fit_transform(frame)
    np.testing.assert_array_equal(out.r_score, _gold_scores(-frame.recency_days.to_numpy()))
    np.testing.assert_array_equal(out.f_score, _gold_scores(frame.orders_count.to_numpy(float)))
    np.testing.assert_array_equal(out.m_score, _gold_scores(frame.revenue_total.to_numpy()))
    # deterministic and independent of row order
    shuffled = frame.sample(frac=1.0, random_state=seed)
    again = RFMScorer().fit_transform(shuffled).sort_index()
    pd.testing.assert_frame_equal(again, out)
    # fit_transform == fit().transform; refitted model scores its own data identically
    pd.testing.assert_frame_equal(RFMScorer().fit(frame).transform(frame), out)


def test_customers_without_purchases_get_empty_scores(hand):
    extra = _frame(recency=[np.nan, np.nan], orders=[0, 0], revenue=[0.0, -5.0])
    both = pd.concat([hand, extra], ignore_index=True)
    out = RFMScorer().fit_transform(both)
    assert out.loc[10:, ["r_score", "f_score", "m_score", "rfm_segment"]].isna().all().all()
    # they do not move the edges learned from buyers
    pd.testing.assert_frame_equal(out.iloc[:10], RFMScorer().fit_transform(hand))


def test_segments_of_known_cells():
    frame = _frame(
        recency=[1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        orders=[10, 1, 5, 5, 9, 4, 1, 10, 1, 9],
        revenue=[1.0] * 10,
    )
    out = RFMScorer().fit_transform(frame)
    got = dict(zip(zip(out.r_score, out.f_score, strict=True), out.rfm_segment, strict=True))
    assert got[(5, 5)] == "Champions"
    assert got[(5, 1)] == "New"
    assert got[(1, 1)] == "Lost"
    assert got[(2, 1)] == "Hibernating"
    assert got[(1, 4)] == "At risk"


def test_default_map_covers_each_rf_cell_once():
    smap = SegmentMap.default()
    r, f = np.meshgrid(np.arange(1, 6), np.arange(1, 6))
    r, f = r.ravel().astype(float), f.ravel().astype(float)
    hits = np.stack([rule.matches(r, f, np.ones_like(r)) for rule in smap.rules]).sum(axis=0)
    assert (hits == 1).all()
    assert len(smap.names) == 11
    assert SegmentMap.from_config(smap.to_config()).to_config() == smap.to_config()
    assert [d["name"] for d in DEFAULT_SEGMENT_RULES] == list(smap.names)


def test_config_rules_must_partition_the_grid():
    rules = [dict(d) for d in DEFAULT_SEGMENT_RULES]
    with pytest.raises(ConfigError, match="exactly once"):
        SegmentMap.from_config(rules[:-1])  # "Lost" cells uncovered
    with pytest.raises(ConfigError, match="exactly once"):
        SegmentMap.from_config([*rules, {"name": "Everyone", "r": [1, 5], "f": [1, 5]}])
    with pytest.raises(ConfigError, match="'f' or 'fm'"):
        SegmentMap.from_config([{"name": "X", "r": [1, 5]}])
    with pytest.raises(ConfigError, match="low <= high"):
        SegmentMap.from_config([{"name": "X", "r": [5, 1], "f": [1, 5]}])
    with pytest.raises(ValueError, match="exactly once"):
        SegmentMap([])


def test_fm_rules_and_three_bins():
    smap = SegmentMap.from_config(
        [
            {"name": "Top", "r": [2, 3], "fm": [2, 3]},
            {"name": "Low", "r": [2, 3], "fm": [1, 1.5]},
            {"name": "Gone", "r": 1, "f": [1, 3]},
        ],
        bins=3,
    )
    frame = _frame(recency=[1.0, 2, 3], orders=[3, 1, 2], revenue=[30.0, 10, 20])
    out = RFMScorer(bins=3, segment_map=smap).fit_transform(frame)
    assert out.rfm_segment.tolist() == ["Top", "Low", "Gone"]
    with pytest.raises(ValueError, match="different number of bins"):
        RFMScorer(bins=5, segment_map=smap).fit(frame)


def test_errors():
    with pytest.raises(NotFittedError, match="not fitted"):
        RFMScorer().transform(_frame([1.0], [1], [1.0]))
    with pytest.raises(ValueError, match="columns"):
        RFMScorer().fit(pd.DataFrame({"recency_days": [1.0]}))
    with pytest.raises(ValueError, match="at least one customer"):
        RFMScorer().fit(_frame([np.nan], [0], [0.0]))
