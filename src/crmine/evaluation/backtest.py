"""Compare forecasts made at a cutoff with what happened in the horizon after it.

Pure computation on frames: the caller (:mod:`crmine.pipeline.evaluate`) makes the
forecasts from data before the cutoff and reads the outcome. Every section reports each
metric for the model and for the obvious baselines, a grade
(:mod:`crmine.evaluation.grades`) and one plain sentence, plus curve points to plot.
The result is plain data (JSON-serialisable).

Baselines (all known at the cutoff):

* ``recency`` — the more recent the last purchase, the likelier the next;
* ``bgnbd`` — BG/NBD alone (× Gamma-Gamma for revenue) fitted on the same history; for
  purchases both its P(at least one purchase) and, as ``bgnbd_expected_orders``, its
  expected purchase days (a ranking only), whichever is stronger;
* ``last_period`` — "next period = last period": purchase days and revenue in the
  ``horizon_days`` before the cutoff.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from crmine.evaluation import grades, metrics

if TYPE_CHECKING:
    import pandas as pd

BASELINE_NAMES: dict[str, str] = {
    "recency": "recency rank",
    "bgnbd": "BG/NBD alone",
    "bgnbd_expected_orders": "BG/NBD expected purchase days",
    "last_period": "next period = last period",
    "best_attribute": "best single attribute",
}


def _clean(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def _row(metric: str, model: float, baselines: dict[str, float], words: dict[str, str],
         label: str) -> dict[str, Any]:
    best, base = grades.best_baseline(metric, baselines)
    meaning = metrics.MEANINGS[metric].format(**words)
    if best is None:
        sentence = f"{label} {model:.3f}: {meaning}."
    else:
        sentence = (f"{label} {model:.3f} against {base:.3f} for the {BASELINE_NAMES[best]}: "
                    f"{meaning}.")
    return {
        "metric": metric,
        "model": _clean(model),
        "baselines": {k: _clean(v) for k, v in baselines.items()},
        "best_baseline": best,
        "margin": _clean(grades.margin(metric, model, base)),
        "grade": grades.grade(metric, model, baselines),
        "sentence": sentence,
    }


def purchase_section(bought: np.ndarray, p_model: np.ndarray, base: pd.DataFrame) -> dict:
    """P(purchase in the horizon): AUC, PR-AUC, top-decile lift, Brier, curves."""
    y = np.asarray(bought, bool)
    scores = {
        "recency": -base["recency_days"].to_numpy(float),
        "last_period": base["last_period_days"].to_numpy(float),
    }
    probs = {"last_period": (base["last_period_days"].to_numpy(float) > 0).astype(float)}
    if "btyd_p_purchase" in base:
        scores["bgnbd"] = probs["bgnbd"] = base["btyd_p_purchase"].to_numpy(float)
    if "btyd_expected_orders" in base:  # BG/NBD's expected count sometimes ranks better
        scores["bgnbd_expected_orders"] = base["btyd_expected_orders"].to_numpy(float)
    words = {"event": "bought"}
    rows = [
        _row(m, f(y, p_model), {k: f(y, s) for k, s in scores.items()}, words, label)
        for m, f, label in (("auc", metrics.auc, "AUC"), ("pr_auc", metrics.pr_auc, "PR-AUC"),
                            ("top_decile_lift", metrics.top_decile_lift, "Top-decile lift"))
    ]
    rows.append(_row("brier", metrics.brier(y, p_model),
                     {k: metrics.brier(y, p) for k, p in probs.items()}, words, "Brier score"))
    return {
        "customers": len(y),
        "base_rate": float(y.mean()) if len(y) else None,
        "metrics": rows,
        "gains_curve": {"model": metrics.gains_curve(y, p_model),
                        **{k: metrics.gains_curve(y, s) for k, s in scores.items()}},
        "reliability_curve": metrics.reliability_curve(y, p_model),
    }


def value_section(actual: np.ndarray, predicted: np.ndarray, base: pd.DataFrame,
                  kind: str, model_is_bgnbd: bool = False) -> dict:
    """Orders or revenue in the horizon: MAE, Spearman, top-decile capture, Gini, gains."""
    a = np.asarray(actual, float)
    last = "last_period_days" if kind == "orders" else "last_period_revenue"
    btyd = "btyd_expected_orders" if kind == "orders" else "btyd_expected_revenue"
    forecasts = {"last_period": base[last].to_numpy(float)}
    if btyd in base and not model_is_bgnbd:
        forecasts["bgnbd"] = base[btyd].to_numpy(float)
    rankings = {"recency": -base["recency_days"].to_numpy(float), **forecasts}
    words = {"quantity": "purchase days" if kind == "orders" else "revenue"}
    rows = [_row("mae", metrics.mae(a, predicted),
                 {k: metrics.mae(a, f) for k, f in forecasts.items()}, words, "MAE")]
    rows += [
        _row(m, f(a, predicted), {k: f(a, s) for k, s in rankings.items()}, words, label)
        for m, f, label in (("spearman", metrics.spearman, "Spearman"),
                            ("top_decile_capture", metrics.top_decile_capture,
                             "Top-decile capture"),
                            ("gini", metrics.normalised_gini, "Normalised Gini"))
    ]
    return {
        "customers": len(a),
        "actual_total": float(np.clip(a, 0, None).sum()),
        "predicted_total": float(np.nansum(predicted)),
        "model_is_bgnbd": model_is_bgnbd,
        "metrics": rows,
        "gains_curve": {"model": metrics.gains_curve(a, predicted),
                        **{k: metrics.gains_curve(a, s) for k, s in rankings.items()}},
    }


def churn_section(churned: np.ndarray, risk: np.ndarray, baselines: dict[str, np.ndarray],
                  definition: str) -> dict:
    """Churn AUC against the given baseline scores (higher = more at risk)."""
    y = np.asarray(churned, bool)
    row = _row("auc", metrics.auc(y, risk),
               {k: metrics.auc(y, s) for k, s in baselines.items()},
               {"event": "churned"}, "Churn AUC")
    return {
        "definition": definition,
        "customers": len(y),
        "base_rate": float(y.mean()) if len(y) else None,
        "metrics": [row],
        "gains_curve": {"model": metrics.gains_curve(y, risk),
                        **{k: metrics.gains_curve(y, s) for k, s in baselines.items()}},
    }


def best_single_attribute(X_train: pd.DataFrame, y_train: np.ndarray, X_test: pd.DataFrame
                          ) -> tuple[str, np.ndarray]:
    """The encoded column that alone ranks the training labels best, applied to the test.

    Its direction (higher = riskier or the reverse) is learned on the training rows too.
    """
    best, best_auc, sign = None, 0.5, 1.0
    for col in X_train.columns:
        value = metrics.auc(y_train, X_train[col].to_numpy(float))
        if math.isfinite(value) and abs(value - 0.5) > abs(best_auc - 0.5):
            best, best_auc, sign = col, value, (1.0 if value >= 0.5 else -1.0)
    if best is None:
        return "none", np.zeros(len(X_test))
    return best, sign * X_test[best].to_numpy(float)
