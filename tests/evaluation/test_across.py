"""Backtests across cutoffs: means, the interval of the mean margin, cutoffs below zero."""

from __future__ import annotations

import math

import pytest

from crmine.evaluation.across import Z90, summarise


def _result(cutoff: str, margin: float, half: float, model: float = 0.7) -> dict:
    row = {"metric": "auc", "model": model, "best_baseline": "bgnbd", "margin": margin,
           "margin_interval": [margin - half, margin + half]}  # fmt: skip
    return {"cutoff": cutoff, "sections": {"purchase": {"metrics": [row]}}}


def test_mean_margin_and_its_interval_from_the_cutoffs_own_intervals():
    out = summarise([_result("2011-06-01", 0.01, 0.004), _result("2011-07-15", 0.02, 0.004),
                     _result("2011-09-01", 0.03, 0.004)])  # fmt: skip
    (row,) = out["metrics"]
    assert row["mean_margin"] == pytest.approx(0.02)
    se = 0.004 / Z90
    half = Z90 * math.sqrt(3 * se * se) / 3
    assert row["mean_margin_interval"] == pytest.approx([0.02 - half, 0.02 + half])
    assert row["below_at"] == [] and len(row["cutoffs"]) == 3


def test_a_cutoff_whose_interval_is_below_zero_is_named():
    out = summarise([_result("a", 0.02, 0.005), _result("b", -0.02, 0.005)])
    assert out["metrics"][0]["below_at"] == ["b"]


def test_a_metric_missing_at_one_cutoff_gets_no_mean():
    missing = {"cutoff": "b", "sections": {}}
    assert summarise([_result("a", 0.02, 0.005), missing])["metrics"] == []


def test_no_interval_when_a_cutoff_has_none():
    r = _result("b", 0.01, 0.0)
    r["sections"]["purchase"]["metrics"][0]["margin_interval"] = None
    row = summarise([_result("a", 0.02, 0.005), r])["metrics"][0]
    assert row["mean_margin"] == pytest.approx(0.015) and row["mean_margin_interval"] is None
