"""Drift (PSI) and realised performance, on data whose answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmine.features.monitoring import PSI_DRIFT, drift, psi, realised_purchase


def test_psi_is_near_zero_for_the_same_distribution_and_large_for_a_shift():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=20_000), rng.normal(size=20_000)
    assert psi(a, b) < 0.01
    assert psi(a, b + 1.0) > PSI_DRIFT  # a one-sd shift is a large effect
    assert 0.0 < psi(a, b + 0.2) < PSI_DRIFT  # a small one is not drift
    assert np.isnan(psi(np.array([np.nan]), b))


def test_psi_handles_ties_and_constant_columns():
    counts = np.repeat([0, 1, 2], [800, 150, 50]).astype(float)
    assert psi(counts, counts.copy()) == pytest.approx(0.0, abs=1e-9)
    assert psi(np.zeros(100), np.ones(100)) > PSI_DRIFT


def test_drift_lists_numeric_columns_in_both_runs_only():
    rng = np.random.default_rng(1)
    before = pd.DataFrame({"x": rng.normal(size=500), "y": rng.normal(size=500), "label": "a"})
    now = pd.DataFrame({"x": rng.normal(size=500) + 2, "y": rng.normal(size=500), "label": "b",
                        "new": 1.0})  # fmt: skip
    rows = {r["subject"]: r for r in drift(before, now, ["x", "y", "label", "new"])}
    assert set(rows) == {"x", "y"}
    assert rows["x"]["status"] == "drift" and rows["y"]["status"] == "ok"


def test_realised_metrics_follow_what_happened():
    scores = pd.DataFrame({"customer_id": list("abcdef"),
                           "p_purchase": [0.9, 0.8, 0.7, 0.3, 0.2, np.nan],
                           "expected_revenue": [50.0, 40, 30, 5, 1, 0]})  # fmt: skip
    revenue = pd.Series({"a": 100.0, "b": 20.0, "e": 5.0, "z": 9.0})  # z was not scored
    got = realised_purchase(scores, revenue)
    assert got["n"] == 5 and got["observed_rate"] == pytest.approx(3 / 5)
    # bought a, b, e; not c, d: of the 6 (bought, not) pairs, 4 are ranked right
    assert got["realised_auc"] == pytest.approx(4 / 6)
    assert got["mean_predicted"] == pytest.approx(np.mean([0.9, 0.8, 0.7, 0.3, 0.2]))
    assert 0 < got["revenue_capture_top_decile"] <= 1
