"""Demand in ``crmine evaluate``: metrics against hand computations, and the sections a
workspace backtest adds."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from crmine.engine import Workspace
from crmine.evaluation.demand import level_section, mase, naive_scale, wape
from crmine.pipeline.evaluate import evaluate_workspace
from crmine.pipeline.ingest import ingest
from tests.pipeline.test_demand_step import _orders_csv


def test_the_metrics_match_their_definitions():
    actual = np.array([[10.0, 20.0], [0.0, 5.0]])
    forecast = np.array([[12.0, 18.0], [1.0, 5.0]])
    assert wape(actual, forecast) == pytest.approx(5 / 35)
    history = np.array([[1.0, 3.0, 2.0, 6.0], [0.0, 0.0, 0.0, 0.0]])
    scale = naive_scale(history, season=1)
    np.testing.assert_allclose(scale, [7 / 3, 0.0])
    assert mase(actual, forecast, scale) == pytest.approx(2 / (7 / 3))  # the flat series drops


def test_a_level_is_graded_against_its_best_baseline_and_its_band_is_checked():
    rng = np.random.default_rng(0)
    actual = rng.uniform(50, 100, (6, 8))
    good, bad = actual + rng.normal(0, 1, actual.shape), actual * 1.3
    section = level_section(actual, good, good - 5, good + 5, {"Naive": bad},
                            np.ones(6), "AutoTheta")  # fmt: skip
    rows = {r["metric"]: r for r in section["metrics"]}
    assert rows["wape"]["grade"] == "A" and rows["wape"]["best_baseline"] == "Naive"
    assert rows["wape"]["model"] == pytest.approx(wape(actual, good))
    assert rows["coverage_80"]["model"] == pytest.approx(
        float(((actual >= good - 5) & (actual <= good + 5)).mean()))
    worse = level_section(actual, bad, bad, bad, {"Naive": good}, np.ones(6), "x")
    assert {r["metric"]: r["grade"] for r in worse["metrics"]}["wape"] == "C"


def test_a_workspace_backtest_scores_each_level_on_the_weeks_after_the_cutoff(tmp_path: Path):
    ws = Workspace.init(tmp_path / "ws")
    ingest(ws, "orders", _orders_csv(tmp_path / "orders.csv", weeks=60))
    result = evaluate_workspace(ws, date(2023, 11, 3), horizon_days=56)
    sections = {k: v for k, v in result["sections"].items() if k.startswith("demand:")}
    assert set(sections) == {"demand:total", "demand:category", "demand:region",
                             "demand:category/region"}  # fmt: skip
    assert result["demand"]["freq"] == "W" and result["demand"]["periods"] == 8
    total = sections["demand:total"]
    assert total["series"] == 1 and total["periods"] == 8
    assert total["actual_total"] > 0
    metrics = {r["metric"] for r in total["metrics"]}
    assert metrics == {"wape", "mase", "bias", "coverage_80"}
    # 43 weeks of history: no season to repeat, so the simple baselines only
    assert set(total["metrics"][0]["baselines"]) == {"Naive", "HistoricAverage", "WindowAverage(4)"}
