"""Backtest sections: baselines, grades and curves; the Online Retail and CDNOW backtests."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

from crmine.evaluation import backtest


def _base(n: int, rng) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "recency_days": rng.uniform(0, 300, n),
            "last_period_days": rng.poisson(1, n).astype(float),
            "last_period_revenue": rng.gamma(2, 50, n),
            "btyd_p_purchase": rng.random(n),
            "btyd_expected_orders": rng.random(n),
            "btyd_expected_revenue": rng.gamma(2, 50, n),
        }
    )


def test_an_oracle_beats_every_baseline():
    rng = np.random.default_rng(0)
    base = _base(1000, rng)
    bought = rng.random(1000) < 0.3
    section = backtest.purchase_section(bought, bought * 0.9 + 0.05, base)
    rows = {r["metric"]: r for r in section["metrics"]}
    assert rows["auc"]["model"] == pytest.approx(1.0)
    assert all(r["grade"] == "A" for r in rows.values())
    assert section["base_rate"] == pytest.approx(bought.mean())
    json.dumps(section)


def test_a_random_model_gets_c_against_an_informative_baseline():
    rng = np.random.default_rng(1)
    base = _base(2000, rng)
    bought = rng.random(2000) < 1 / (1 + np.exp((base["recency_days"] - 100) / 30))
    section = backtest.purchase_section(bought, rng.random(2000), base)
    auc = next(r for r in section["metrics"] if r["metric"] == "auc")
    assert auc["best_baseline"] == "recency" and auc["grade"] == "C"
    assert "recency rank" in auc["sentence"]


def test_value_section_metrics_and_bgnbd_flag():
    rng = np.random.default_rng(2)
    base = _base(500, rng)
    actual = rng.gamma(1, 100, 500)
    section = backtest.value_section(actual, actual, base, "revenue")
    rows = {r["metric"]: r for r in section["metrics"]}
    assert rows["mae"]["model"] == 0 and rows["spearman"]["model"] == pytest.approx(1.0)
    assert set(rows["mae"]["baselines"]) == {"last_period", "bgnbd"}
    orders = backtest.value_section(actual, actual, base, "orders", model_is_bgnbd=True)
    assert "bgnbd" not in orders["metrics"][0]["baselines"]


def test_best_single_attribute_learns_column_and_direction():
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"noise": rng.normal(size=600), "signal": rng.normal(size=600)})
    y = (X["signal"] + rng.normal(scale=0.5, size=600)) < 0  # low signal = churn
    name, score = backtest.best_single_attribute(X[:400], y[:400].to_numpy(), X[400:])
    assert name == "signal"
    assert (score == -X["signal"][400:].to_numpy()).all()


@pytest.mark.realdata
@pytest.mark.slow
def test_online_retail_backtest_beats_bgnbd(datasets_dir, tmp_path):
    from crmine.engine import Workspace
    from crmine.pipeline.evaluate import evaluate_workspace
    from crmine.pipeline.ingest_all import ingest_sources

    ws = Workspace.init(tmp_path / "ws")
    ingest_sources(ws, [("orders", datasets_dir / "online_retail" / "online_retail.parquet")])
    result = evaluate_workspace(ws, date(2011, 9, 1), 90)
    purchase = {r["metric"]: r for r in result["sections"]["purchase"]["metrics"]}
    assert purchase["auc"]["model"] >= purchase["auc"]["baselines"]["bgnbd"]
    revenue = {r["metric"]: r for r in result["sections"]["revenue"]["metrics"]}
    assert revenue["spearman"]["model"] >= revenue["spearman"]["baselines"]["bgnbd"]
    assert revenue["top_decile_capture"]["model"] >= (
        revenue["top_decile_capture"]["baselines"]["bgnbd"] - 0.005
    )


def test_margin_interval_tells_a_real_gain_from_noise():
    from crmine.evaluation import metrics

    rng = np.random.default_rng(3)
    n = 2000
    signal = rng.normal(size=n)
    bought = rng.random(n) < 1 / (1 + np.exp(-2 * signal))
    good, weak = signal + rng.normal(0, 0.3, n), signal + rng.normal(0, 1.5, n)
    lo, hi = backtest.margin_interval("auc", metrics.auc, bought, good, weak)
    assert 0 < lo < hi
    assert backtest.margin_interval("auc", metrics.auc, bought, weak, weak) == [0.0, 0.0]
    noisy = weak + rng.normal(0, 0.05, n)  # a different but no better score
    lo, hi = backtest.margin_interval("auc", metrics.auc, bought, noisy, weak)
    assert lo < 0 < hi
    assert backtest.margin_interval("auc", metrics.auc, bought[:10], good[:10], weak[:10]) is None
    section = backtest.purchase_section(bought, good, _base(n, rng))
    auc = next(r for r in section["metrics"] if r["metric"] == "auc")
    assert auc["margin_interval"][0] <= auc["margin"] <= auc["margin_interval"][1]
    assert "bootstrap interval" in auc["sentence"]
