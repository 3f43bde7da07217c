"""Grades A / B / C: how a model's metric compares with the best baseline's.

The rule (the same for every metric, so a user can learn it once):

* the *margin* is model − best baseline for metrics where higher is better and that live on
  a 0–1 scale (AUC, PR-AUC, Spearman, normalised Gini, top-decile capture); for lift, Brier,
  MAE and the demand errors WAPE and MASE it is the relative improvement,
  (model − baseline) / |baseline| (sign flipped where lower is better);
* **A** — margin ≥ 0.02 (two points of AUC, or 2 % better on a relative metric): the model
  clearly adds something over the obvious rule;
* **B** — margin ≥ −0.005: as good as the best baseline, within noise;
* **C** — worse than a baseline; use the baseline, or look at the data.

With no baseline to compare against, the grade is "–".
"""

from __future__ import annotations

import math

LOWER_IS_BETTER = frozenset({"brier", "mae", "wape", "mase"})
RELATIVE = frozenset({"top_decile_lift", "brier", "mae", "wape", "mase"})
A_MARGIN = 0.02
B_MARGIN = -0.005

RULE = (
    "A: beats the best baseline by at least 0.02 (2 % on lift, Brier, MAE, WAPE, MASE); "
    "B: within 0.005 of it or better; C: worse than a baseline."
)


def best_baseline(metric: str, baselines: dict[str, float]) -> tuple[str | None, float]:
    """The name and value of the strongest baseline (NaNs ignored)."""
    finite = {k: v for k, v in baselines.items() if v is not None and math.isfinite(v)}
    if not finite:
        return None, float("nan")
    pick = min if metric in LOWER_IS_BETTER else max
    name = pick(finite, key=finite.__getitem__)
    return name, finite[name]


def margin(metric: str, model: float, baseline: float) -> float:
    """Improvement of the model over the baseline, positive = better (see the rule)."""
    if not (math.isfinite(model) and math.isfinite(baseline)):
        return float("nan")
    diff = model - baseline
    if metric in LOWER_IS_BETTER:
        diff = -diff
    if metric in RELATIVE:
        return diff / abs(baseline) if baseline != 0 else float("nan")
    return diff


def grade(metric: str, model: float, baselines: dict[str, float]) -> str:
    """"A", "B", "C", or "–" when there is nothing to compare with."""
    _, base = best_baseline(metric, baselines)
    m = margin(metric, model, base)
    if not math.isfinite(m):
        return "–"
    if m >= A_MARGIN:
        return "A"
    return "B" if m >= B_MARGIN else "C"
