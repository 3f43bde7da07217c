"""Backtests at several cutoffs, summarised: is a margin there in every season, or one?

Input: the results of :func:`crmine.pipeline.evaluate.evaluate_workspace` at several
cutoffs (plain data). For every (section, metric) present at each cutoff: the model's value
and its margin over the best baseline per cutoff, their mean, and a 90 % interval of the
mean margin. The interval combines the per-cutoff paired-bootstrap intervals as normal
standard errors (se = half-width / 1.645, se of the mean = √Σse² / k): it measures the
sampling noise of the customers at these cutoffs, not how much another season would differ,
so the per-cutoff rows are shown beside it. A cutoff is "significantly below" when its own
interval lies entirely below zero.
"""

from __future__ import annotations

import math
from typing import Any

Z90 = 1.6448536269514722


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Per (section, metric): rows per cutoff, mean model value, mean margin, its interval."""
    cutoffs = [r["cutoff"] for r in results]
    keys: dict[tuple[str, str], list[tuple[str, dict[str, Any]]]] = {}
    for result in results:
        for section, body in result.get("sections", {}).items():
            for row in body.get("metrics", []):
                keys.setdefault((section, row["metric"]), []).append((result["cutoff"], row))
    out: list[dict[str, Any]] = []
    for (section, metric), rows in keys.items():
        if len(rows) != len(results):
            continue  # not measured at every cutoff: no fair mean
        margins = [r.get("margin") for _, r in rows]
        per = [
            {"cutoff": cut, "model": r.get("model"), "best_baseline": r.get("best_baseline"),
             "margin": r.get("margin"), "margin_interval": r.get("margin_interval")}
            for cut, r in rows
        ]  # fmt: skip
        summary: dict[str, Any] = {"section": section, "metric": metric, "cutoffs": per,
                                   "mean_model": _mean([r.get("model") for _, r in rows])}
        summary["mean_margin"] = _mean(margins)
        summary["mean_margin_interval"] = _interval(summary["mean_margin"],
                                                    [r.get("margin_interval") for _, r in rows])
        summary["below_at"] = [
            cut for cut, r in rows
            if r.get("margin_interval") and r["margin_interval"][1] is not None
            and r["margin_interval"][1] < 0
        ]  # fmt: skip
        out.append(summary)
    return {"cutoffs": cutoffs, "metrics": out}


def _mean(values: list[Any]) -> float | None:
    clean = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    return sum(clean) / len(clean) if len(clean) == len(values) and clean else None


def _interval(mean: float | None, intervals: list[Any]) -> list[float] | None:
    if mean is None or any(not i or None in i for i in intervals):
        return None
    se = [(hi - lo) / (2 * Z90) for lo, hi in intervals]
    se_mean = math.sqrt(sum(s * s for s in se)) / len(se)
    return [mean - Z90 * se_mean, mean + Z90 * se_mean]
