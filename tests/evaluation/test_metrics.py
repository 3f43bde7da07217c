"""Metrics against scikit-learn and hand-computed values; grades by their documented rule."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from crmine.evaluation import grades, metrics


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auc_matches_sklearn_with_ties(seed):
    rng = np.random.default_rng(seed)
    y = rng.random(300) < 0.3
    s = np.round(rng.random(300) + y * 0.3, 1)  # many ties
    assert metrics.auc(y, s) == pytest.approx(roc_auc_score(y, s))


def test_pr_auc_matches_sklearn_without_ties():
    rng = np.random.default_rng(4)
    y = rng.random(500) < 0.2
    s = rng.random(500) + y * 0.5
    assert metrics.pr_auc(y, s) == pytest.approx(average_precision_score(y, s))


def test_constant_score_is_uninformative():
    y = np.r_[np.ones(20), np.zeros(80)]
    s = np.zeros(100)
    assert metrics.auc(y, s) == 0.5
    assert metrics.top_decile_lift(y, s) == pytest.approx(1.0)
    assert metrics.top_decile_capture(y, s) == pytest.approx(0.1)
    curve = metrics.gains_curve(y, s, points=10)
    assert all(gy == pytest.approx(gx) for gx, gy in curve)


def test_undefined_metrics_are_nan():
    assert math.isnan(metrics.auc([1, 1, 1], [0.1, 0.2, 0.3]))
    assert math.isnan(metrics.spearman([1, 1, 1], [0.1, 0.2, 0.3]))


def test_lift_and_capture_by_hand():
    y = np.zeros(100)
    y[:10] = 1  # 10 buyers, ranked on top by the score
    y[50:60] = 1  # 10 more, ranked in the middle
    score = -np.arange(100.0)
    assert metrics.top_decile_lift(y, score) == pytest.approx(1.0 / 0.2)
    value = np.zeros(100)
    value[0], value[99] = 30.0, 70.0
    assert metrics.top_decile_capture(value, score) == pytest.approx(0.3)


def test_gini_perfect_reversed_and_gains_endpoints():
    a = np.array([5.0, 0, 3, 0, 1, 8, 0, 2])
    assert metrics.normalised_gini(a, a) == pytest.approx(1.0)
    assert metrics.normalised_gini(a, -a) < 0
    curve = metrics.gains_curve(a, a)
    assert curve[0] == [0.0, 0.0] and curve[-1] == pytest.approx([1.0, 1.0])


def test_brier_mae_spearman():
    assert metrics.brier([1, 0], [0.8, 0.4]) == pytest.approx((0.04 + 0.16) / 2)
    assert metrics.mae([1, 2, 3], [2, 2, 2]) == pytest.approx(2 / 3)
    assert metrics.spearman([1, 2, 3, 4], [10, 20, 30, 50]) == pytest.approx(1.0)


def test_reliability_of_calibrated_probabilities():
    rng = np.random.default_rng(0)
    p = rng.random(20_000)
    y = rng.random(20_000) < p
    curve = metrics.reliability_curve(y, p, bins=10)
    assert sum(b["customers"] for b in curve) == 20_000
    for b in curve:
        assert abs(b["predicted"] - b["observed"]) < 0.03


def test_lengths_must_agree():
    with pytest.raises(ValueError):
        metrics.auc([1, 0], [0.5])


@pytest.mark.parametrize(
    ("metric", "model", "baseline", "expected"),
    [
        ("auc", 0.80, 0.75, "A"),
        ("auc", 0.76, 0.75, "B"),
        ("auc", 0.74, 0.75, "C"),
        ("mae", 90.0, 100.0, "A"),  # 10 % lower error
        ("mae", 100.3, 100.0, "B"),
        ("mae", 110.0, 100.0, "C"),
        ("brier", 0.20, 0.21, "A"),
        ("auc", 0.8, float("nan"), "–"),
    ],
)
def test_grade_rule(metric, model, baseline, expected):
    assert grades.grade(metric, model, {"base": baseline}) == expected


def test_grade_uses_the_strongest_baseline():
    assert grades.best_baseline("auc", {"a": 0.6, "b": 0.7}) == ("b", 0.7)
    assert grades.best_baseline("mae", {"a": 3.0, "b": 2.0}) == ("b", 2.0)
    assert grades.grade("auc", 0.71, {"a": 0.6, "b": 0.7}) == "B"
