"""Monitoring a run against earlier ones: drift of features and scores, and how an earlier
run's predictions did once their horizon had passed.

Drift is the population stability index (PSI) of a column against the previous run, an
effect size: unlike a test's p-value it does not flag every column on a large table and none
on a small one. Bins are the reference run's deciles (a bin holds the values up to its upper decile, so ties stay together); empty bins get a small floor so the
logarithm stays finite.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

#: PSI at or above this is drift (the customary "significant shift" level)
PSI_DRIFT = 0.25
#: a realised AUC this far below what validation promised is decay (an effect, not a test)
AUC_DECAY = 0.05
PSI_BINS = 10
_FLOOR = 1e-4


def psi(reference: np.ndarray, current: np.ndarray, bins: int = PSI_BINS) -> float:
    """Population stability index of ``current`` against ``reference`` (NaNs left out)."""
    ref = np.asarray(reference, dtype=float)
    cur = np.asarray(current, dtype=float)
    ref, cur = ref[np.isfinite(ref)], cur[np.isfinite(cur)]
    if len(ref) == 0 or len(cur) == 0:
        return float("nan")
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    expected = np.bincount(np.searchsorted(edges, ref, side="left"), minlength=len(edges) + 1)
    actual = np.bincount(np.searchsorted(edges, cur, side="left"), minlength=len(edges) + 1)
    e = np.maximum(expected / expected.sum(), _FLOOR)
    a = np.maximum(actual / actual.sum(), _FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


def drift(before: pd.DataFrame, now: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    """One row per numeric column present in both: its PSI and status."""
    import pandas as pd

    rows = []
    for c in columns:
        if c not in before or c not in now:
            continue
        if not (pd.api.types.is_numeric_dtype(before[c]) and pd.api.types.is_numeric_dtype(now[c])):
            continue
        if pd.api.types.is_bool_dtype(before[c]):
            continue
        value = psi(before[c].to_numpy(dtype=float, na_value=np.nan),
                    now[c].to_numpy(dtype=float, na_value=np.nan))  # fmt: skip
        if value != value:  # no values on one side
            continue
        rows.append({"subject": c, "metric": "psi", "value": round(value, 4),
                     "reference": PSI_DRIFT, "status": "drift" if value >= PSI_DRIFT else "ok"})
    return rows


def realised_purchase(scores: pd.DataFrame, revenue: pd.Series) -> dict[str, float]:
    """How ``scores`` (customer_id, p_purchase[, expected_revenue]) did: ``revenue`` holds each
    customer's net revenue in the horizon that followed (absent: no purchase)."""
    from crmine.evaluation.metrics import auc, brier, top_decile_capture

    scored = scores.dropna(subset=["p_purchase"])
    spent = revenue.reindex(scored["customer_id"]).to_numpy(dtype=float, na_value=np.nan)
    bought = np.isfinite(spent).astype(int)
    p = scored["p_purchase"].to_numpy(dtype=float)
    out = {"n": float(len(scored)), "observed_rate": float(bought.mean()) if len(bought) else 0.0,
           "mean_predicted": float(p.mean()) if len(p) else 0.0}  # fmt: skip
    if 0 < bought.sum() < len(bought):
        out["realised_auc"] = auc(bought, p)
        out["realised_brier"] = brier(bought, p)
    if "expected_revenue" in scored and np.nansum(np.nan_to_num(spent)) > 0:
        expected = scored["expected_revenue"].to_numpy(dtype=float, na_value=0.0)
        out["revenue_capture_top_decile"] = top_decile_capture(np.nan_to_num(spent), expected)
    return out
