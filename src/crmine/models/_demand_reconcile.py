"""Make the levels' forecasts add up, and stay non-negative.

The aggregation constraints are linear: for each parent key, the sum of its children minus
the parent is zero. The reconciled forecasts are the weighted least-squares projection of
the base forecasts onto that coherent subspace (Wickramasuriya, Athanasopoulos & Hyndman
2019, MinTrace with a diagonal W; Hyndman & Athanasopoulos, FPP3 §11.3)::

    y~ = y^ - W A' (A W A')^+ A y^

Two choices of W, picked by validation in :mod:`crmine.models.demand`:

``mint_wls``
    W = each series' validation mean squared error: the series forecast worst move most.
``bottom_up``
    the finest series (those that are nobody's parent) barely move; the parents become the
    sums of their children. With several partitions of the total (regions, products, stores)
    the finest ones share the adjustment by their errors.

Non-negative: a series projected below zero is pinned at zero (its weight made negligible)
and the projection repeated, so the result adds up and has no negative demand
(Wickramasuriya et al. 2020 solve the same problem as a quadratic programme; pinning gives
the same answer whenever the pinned set is right, and is exact in the common case).
"""

from __future__ import annotations

import numpy as np

METHODS = ("bottom_up", "mint_wls")
_PINNED = 1e-9


def constraint_matrix(index: dict[tuple[str, str], int], parents: list[tuple]) -> np.ndarray:
    """A: one row per parent key, +1 on its children, -1 on itself (series by ``index``)."""
    rows: dict[tuple[str, str], np.ndarray] = {}
    for level, key, parent_level, parent_key in parents:
        child, parent = index.get((level, key)), index.get((parent_level, parent_key))
        if child is None or parent is None:
            continue
        row_key = (level, parent_level, parent_key)
        if row_key not in rows:
            rows[row_key] = np.zeros(len(index))
            rows[row_key][parent] = -1.0
        rows[row_key][child] += 1.0
    return np.array(list(rows.values())) if rows else np.zeros((0, len(index)))


def weights(method: str, mse: np.ndarray, is_leaf: np.ndarray) -> np.ndarray:
    """The diagonal of W for a method (a floor keeps a perfectly fitted series movable)."""
    mse = np.asarray(mse, dtype=np.float64)
    floor = max(float(np.nanmax(mse)) * 1e-8, 1e-12) if mse.size else 1e-12
    w = np.where(np.isfinite(mse), np.maximum(mse, floor), floor)
    if method == "bottom_up":
        w = np.where(is_leaf, w * 1e-6, w)
    return w


def reconcile(base: np.ndarray, A: np.ndarray, w: np.ndarray, max_rounds: int = 20) -> np.ndarray:
    """Coherent, non-negative forecasts from ``base`` (series × periods)."""
    base = np.maximum(np.asarray(base, dtype=np.float64), 0.0)
    if A.shape[0] == 0:
        return base
    out = np.empty_like(base)
    for t in range(base.shape[1]):  # periods: a handful; each a small dense solve
        y = base[:, t].copy()
        pinned = np.zeros(len(y), bool)
        for _ in range(max_rounds):
            wt = np.where(pinned, w * _PINNED, w)
            y0 = np.where(pinned, 0.0, y)
            AW = A * wt
            gap = A @ y0
            y = y0 - AW.T @ np.linalg.lstsq(AW @ A.T, gap, rcond=None)[0]
            negative = y < -1e-9 * max(1.0, float(np.abs(y).max()))
            if not negative.any():
                break
            pinned |= negative
        out[:, t] = np.maximum(y, 0.0)
    return out
