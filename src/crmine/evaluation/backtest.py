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

Each metric row also carries ``margin_interval``: a 90 % paired bootstrap interval of the
margin over the best baseline (customers resampled with replacement, model and baseline
scored on the same resample), so a margin can be told from noise. It is left out
(None) above :data:`BOOTSTRAP_MAX_ROWS` customers, where the margin is precise anyway.
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


BOOTSTRAP_SAMPLES = 100
BOOTSTRAP_MAX_ROWS = 20_000
BOOTSTRAP_LEVEL = 0.9


def _clean(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def margin_interval(
    metric: str,
    f: Any,
    truth: np.ndarray,
    model: np.ndarray,
    baseline: np.ndarray,
    *,
    samples: int = BOOTSTRAP_SAMPLES,
    level: float = BOOTSTRAP_LEVEL,
    seed: int = 0,
) -> list[float] | None:
    """Paired bootstrap interval of ``grades.margin`` of ``model`` over ``baseline``.

    ``f(truth, score)`` is the metric. None for fewer than 20 or more than
    :data:`BOOTSTRAP_MAX_ROWS` rows, or when most resamples leave it undefined.
    """
    n = len(truth)
    if n < 20 or n > BOOTSTRAP_MAX_ROWS:
        return None
    rng = np.random.default_rng(seed)
    out = np.empty(samples)
    for k in range(samples):  # resamples, not rows: each metric call is vectorised
        i = rng.integers(0, n, n)
        out[k] = grades.margin(metric, f(truth[i], model[i]), f(truth[i], baseline[i]))
    out = out[np.isfinite(out)]
    if len(out) < samples / 2:
        return None
    lo, hi = np.quantile(out, [(1 - level) / 2, (1 + level) / 2])
    return [float(lo), float(hi)]


def _row(
    metric: str,
    f: Any,
    truth: np.ndarray,
    model: np.ndarray,
    baselines: dict[str, np.ndarray],
    words: dict[str, str],
    label: str,
) -> dict[str, Any]:
    truth, model = np.asarray(truth, float), np.asarray(model, float)
    value = f(truth, model)
    values = {k: f(truth, np.asarray(v, float)) for k, v in baselines.items()}
    best, base = grades.best_baseline(metric, values)
    meaning = metrics.MEANINGS[metric].format(**words)
    interval = None
    if best is None:
        sentence = f"{label} {value:.3f}: {meaning}."
    else:
        interval = margin_interval(metric, f, truth, model, np.asarray(baselines[best], float))
        sentence = (
            f"{label} {value:.3f} against {base:.3f} for the {BASELINE_NAMES[best]}: {meaning}."
        )
        if interval is not None:
            sentence += (
                f" Margin {grades.margin(metric, value, base):+.3f} (90 % bootstrap "
                f"interval {interval[0]:+.3f} to {interval[1]:+.3f})."
            )
    return {
        "metric": metric,
        "model": _clean(value),
        "baselines": {k: _clean(v) for k, v in values.items()},
        "best_baseline": best,
        "margin": _clean(grades.margin(metric, value, base)),
        "margin_interval": interval,
        "grade": grades.grade(metric, value, values),
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
        _row(m, f, y, p_model, scores, words, label)
        for m, f, label in (
            ("auc", metrics.auc, "AUC"),
            ("pr_auc", metrics.pr_auc, "PR-AUC"),
            ("top_decile_lift", metrics.top_decile_lift, "Top-decile lift"),
        )
    ]
    rows.append(_row("brier", metrics.brier, y, p_model, probs, words, "Brier score"))
    return {
        "customers": len(y),
        "base_rate": float(y.mean()) if len(y) else None,
        "metrics": rows,
        "gains_curve": {
            "model": metrics.gains_curve(y, p_model),
            **{k: metrics.gains_curve(y, s) for k, s in scores.items()},
        },
        "reliability_curve": metrics.reliability_curve(y, p_model),
    }


def value_section(
    actual: np.ndarray,
    predicted: np.ndarray,
    base: pd.DataFrame,
    kind: str,
    model_is_bgnbd: bool = False,
) -> dict:
    """Orders or revenue in the horizon: MAE, Spearman, top-decile capture, Gini, gains."""
    a = np.asarray(actual, float)
    last = "last_period_days" if kind == "orders" else "last_period_revenue"
    btyd = "btyd_expected_orders" if kind == "orders" else "btyd_expected_revenue"
    forecasts = {"last_period": base[last].to_numpy(float)}
    if btyd in base and not model_is_bgnbd:
        forecasts["bgnbd"] = base[btyd].to_numpy(float)
    rankings = {"recency": -base["recency_days"].to_numpy(float), **forecasts}
    words = {"quantity": "purchase days" if kind == "orders" else "revenue"}
    rows = [_row("mae", metrics.mae, a, predicted, forecasts, words, "MAE")]
    rows += [
        _row(m, f, a, predicted, rankings, words, label)
        for m, f, label in (
            ("spearman", metrics.spearman, "Spearman"),
            ("top_decile_capture", metrics.top_decile_capture, "Top-decile capture"),
            ("gini", metrics.normalised_gini, "Normalised Gini"),
        )
    ]
    return {
        "customers": len(a),
        "actual_total": float(np.clip(a, 0, None).sum()),
        "predicted_total": float(np.nansum(predicted)),
        "model_is_bgnbd": model_is_bgnbd,
        "metrics": rows,
        "gains_curve": {
            "model": metrics.gains_curve(a, predicted),
            **{k: metrics.gains_curve(a, s) for k, s in rankings.items()},
        },
    }


def churn_section(
    churned: np.ndarray, risk: np.ndarray, baselines: dict[str, np.ndarray], definition: str
) -> dict:
    """Churn AUC against the given baseline scores (higher = more at risk)."""
    y = np.asarray(churned, bool)
    row = _row("auc", metrics.auc, y, risk, baselines, {"event": "churned"}, "Churn AUC")
    return {
        "definition": definition,
        "customers": len(y),
        "base_rate": float(y.mean()) if len(y) else None,
        "metrics": [row],
        "gains_curve": {
            "model": metrics.gains_curve(y, risk),
            **{k: metrics.gains_curve(y, s) for k, s in baselines.items()},
        },
    }


def best_single_attribute(
    X_train: pd.DataFrame, y_train: np.ndarray, X_test: pd.DataFrame
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
