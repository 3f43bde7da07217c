"""Demand forecasts made at a cutoff against what sold in the periods after it.

Pure computation on arrays (series × periods): the caller makes the forecasts from data
before the cutoff and reads the outcome. Per level: WAPE and MASE of the model against
SeasonalNaive and the simple baselines (Naive, HistoricAverage, WindowAverage), graded like
the other models (:mod:`crmine.evaluation.grades`); bias and the 80 % band's coverage of the
model, each with one plain sentence. A level's WAPE is pooled over its series and periods,
so big series weigh most, as they do for a planner.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from crmine.evaluation import grades

MEANINGS = {
    "wape": "absolute errors as a share of what sold, over every series and period of the "
            "level (0 = perfect; lower is better)",
    "mase": "mean absolute error per series over the in-sample error of the (seasonal) naive "
            "forecast, averaged over the series (below 1 beats it; lower is better)",
    "bias": "forecast minus actual, as a share of what sold (0 = unbiased; positive = too high)",
    "coverage_80": "share of periods whose actual fell inside the 80 % band (0.8 is right)",
}  # fmt: skip


def wape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Sum of absolute errors over the sum of what sold (NaN when nothing sold)."""
    sales = float(np.abs(actual).sum())
    return float(np.abs(forecast - actual).sum()) / sales if sales > 0 else float("nan")


def mase(actual: np.ndarray, forecast: np.ndarray, scale: np.ndarray) -> float:
    """Mean over series with a positive ``scale`` of MAE / scale (Hyndman & Koehler 2006)."""
    mae = np.abs(forecast - actual).mean(axis=1)
    ok = scale > 0
    return float((mae[ok] / scale[ok]).mean()) if ok.any() else float("nan")


def naive_scale(history: np.ndarray, season: int) -> np.ndarray:
    """Per series, the in-sample mean absolute change over ``season`` periods (1 when the
    history is too short for the season)."""
    m = season if history.shape[1] > season else 1
    if history.shape[1] <= m:
        return np.full(len(history), np.nan)
    return np.abs(history[:, m:] - history[:, :-m]).mean(axis=1)


def _clean(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def _graded(metric: str, label: str, value: float, baselines: dict[str, float]) -> dict:
    best, base = grades.best_baseline(metric, baselines)
    meaning = MEANINGS[metric]
    if best is None:
        sentence = f"{label} {value:.3f}: {meaning}."
    else:
        sentence = f"{label} {value:.3f} against {base:.3f} for {best}: {meaning}."
    return {"metric": metric, "model": _clean(value),
            "baselines": {k: _clean(v) for k, v in baselines.items()}, "best_baseline": best,
            "margin": _clean(grades.margin(metric, value, base)), "margin_interval": None,
            "grade": grades.grade(metric, value, baselines), "sentence": sentence}  # fmt: skip


def level_section(
    actual: np.ndarray,
    forecast: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    baselines: dict[str, np.ndarray],
    scale: np.ndarray,
    model: str,
) -> dict[str, Any]:
    """One level's metric rows (all arrays series × periods; ``scale`` per series)."""
    value = wape(actual, forecast)
    rows = [
        _graded("wape", "WAPE", value, {k: wape(actual, b) for k, b in baselines.items()}),
        _graded("mase", "MASE", mase(actual, forecast, scale),
                {k: mase(actual, b, scale) for k, b in baselines.items()}),
    ]  # fmt: skip
    sales = float(np.abs(actual).sum())
    bias = float((forecast - actual).sum()) / sales if sales > 0 else float("nan")
    inside = float(((actual >= lo) & (actual <= hi)).mean()) if actual.size else float("nan")
    rows += [
        {"metric": "bias", "model": _clean(bias), "baselines": {}, "best_baseline": None,
         "margin": None, "margin_interval": None, "grade": "–",
         "sentence": f"Bias {bias:+.3f}: {MEANINGS['bias']}."},
        {"metric": "coverage_80", "model": _clean(inside), "baselines": {}, "best_baseline": None,
         "margin": None, "margin_interval": None,
         "grade": "–" if not math.isfinite(inside) else ("B" if 0.7 <= inside <= 0.9 else "C"),
         "sentence": f"Coverage {inside:.3f}: {MEANINGS['coverage_80']}; B within 0.7–0.9."},
    ]  # fmt: skip
    return {"series": int(actual.shape[0]), "periods": int(actual.shape[1]), "model_name": model,
            "actual_total": float(actual.sum()), "predicted_total": float(forecast.sum()),
            "metrics": rows}  # fmt: skip
