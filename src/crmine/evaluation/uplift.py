"""Uplift metrics: how many more customers respond *because* they were contacted.

Inputs are 1-D arrays over the customers of a randomised campaign: ``y`` the outcome (1 =
responded), ``treated`` (1 = contacted, 0 = held out as control) and ``score`` (higher = contact
first). A response model ranks people who would have responded anyway; these metrics reward a
ranking only for the *difference* between contacted and held-out customers at its top.

* :func:`uplift_at_k` — among the top ``k`` share of all customers, response rate of the
  contacted minus that of the held-out (scikit-uplift's ``strategy="overall"``).
* :func:`qini_curve` — after the top ``i`` customers: responders among the contacted minus the
  held-out responders scaled to the same number of contacts, ``Y_t − Y_c · N_t / N_c``
  (Radcliffe 2007). :func:`qini_coefficient` is the area between it and random targeting.
* :func:`uplift_curve` — ``(Y_t/N_t − Y_c/N_c) · (N_t + N_c)``; :func:`auuc` is its area
  above random targeting.

Curves have x = share of customers targeted (0…1) and y = incremental responders per customer
of the whole population, so areas compare across data sets of any size. Customers with tied
scores are one block (the curve is a straight line across them), so the metrics do not depend
on the row order. Random targeting scores 0 on both areas; a perfect ranking scores most.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

MEANINGS: dict[str, str] = {
    "uplift_at_k": "among the {k} of customers ranked first: response rate of those contacted "
    "minus that of those held out (what contacting them adds)",
    "qini": "area between the Qini curve (extra responders caused, per customer, as more are "
    "contacted) and random targeting; 0 = no better than random",
    "auuc": "area between the uplift curve and random targeting, per customer; 0 = no better "
    "than random",
}


def _arrays(y: object, treated: object, score: object) -> tuple[np.ndarray, ...]:
    y = np.asarray(y, float).ravel()
    t = np.asarray(treated, float).ravel()
    s = np.asarray(score, float).ravel()
    if not (len(y) == len(t) == len(s)):
        raise ValueError(f"lengths differ: y {len(y)}, treated {len(t)}, score {len(s)}")
    keep = np.isfinite(y) & np.isfinite(t) & np.isfinite(s)
    return y[keep], t[keep] > 0, s[keep]


def _top_weights(score: np.ndarray, fraction: float) -> np.ndarray:
    """Weights selecting the top ``fraction`` of rows; rows tied at the boundary share it."""
    n = len(score)
    take = fraction * n
    order = np.argsort(-score, kind="stable")
    ranked = score[order]
    _, start, counts = np.unique(-ranked, return_index=True, return_counts=True)
    weights_sorted = np.clip((take - start) / counts, 0.0, 1.0)
    out = np.empty(n)
    out[order] = np.repeat(weights_sorted, counts)
    return out


def uplift_at_k(y: object, treated: object, score: object, k: float = 0.3) -> float:
    """Response rate of the contacted minus the held-out among the top ``k`` of customers.

    NaN when the top holds no contacted or no held-out customer.
    """
    if not 0 < k <= 1:
        raise ValueError(f"k is a share of customers in (0, 1], got {k}")
    y, t, s = _arrays(y, treated, score)
    if len(y) == 0:
        return float("nan")
    w = _top_weights(s, k)
    wt, wc = (w * t).sum(), (w * ~t).sum()
    if wt == 0 or wc == 0:
        return float("nan")
    return float((w * y * t).sum() / wt - (w * y * ~t).sum() / wc)


def _blocks(y: np.ndarray, t: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, ...]:
    """Cumulative (rows, contacted, held out, their responders) at the end of each tie block,
    best scores first, starting from 0."""
    order = np.argsort(-s, kind="stable")
    ys, ts, ss = y[order], t[order], s[order]
    last = np.r_[ss[1:] != ss[:-1], True]
    cum = [np.r_[0.0, np.cumsum(v)[last]] for v in (np.ones_like(ys), ts, ~ts, ys * ts, ys * ~ts)]
    return tuple(cum)


def _safe_ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.divide(a, b, out=np.zeros_like(a), where=b != 0)


def qini_curve(y: object, treated: object, score: object) -> tuple[np.ndarray, np.ndarray]:
    """(share targeted, incremental responders per customer) at every tie-block end, from 0."""
    y, t, s = _arrays(y, treated, score)
    if len(y) == 0:
        return np.zeros(1), np.zeros(1)
    n, n_t, n_c, y_t, y_c = _blocks(y, t, s)
    values = y_t - y_c * _safe_ratio(n_t, n_c)
    return n / n[-1], values / n[-1]


def uplift_curve(y: object, treated: object, score: object) -> tuple[np.ndarray, np.ndarray]:
    """(share targeted, (rate contacted − rate held out) × rows targeted, per customer)."""
    y, t, s = _arrays(y, treated, score)
    if len(y) == 0:
        return np.zeros(1), np.zeros(1)
    n, n_t, n_c, y_t, y_c = _blocks(y, t, s)
    values = (_safe_ratio(y_t, n_t) - _safe_ratio(y_c, n_c)) * n
    return n / n[-1], values / n[-1]


def _area_above_random(x: np.ndarray, v: np.ndarray) -> float:
    if len(x) < 2:
        return float("nan")
    area = float(np.sum((x[1:] - x[:-1]) * (v[1:] + v[:-1]) / 2))
    return area - float(v[-1]) / 2


def qini_coefficient(y: object, treated: object, score: object) -> float:
    """Area between the Qini curve and the random-targeting diagonal (0 = random)."""
    return _area_above_random(*qini_curve(y, treated, score))


def auuc(y: object, treated: object, score: object) -> float:
    """Area between the uplift curve and the random-targeting diagonal (0 = random)."""
    return _area_above_random(*uplift_curve(y, treated, score))


def bootstrap_interval(
    metric: Callable[[np.ndarray, np.ndarray, np.ndarray], float],
    y: object,
    treated: object,
    score: object,
    *,
    n_boot: int = 200,
    level: float = 0.9,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile interval of ``metric`` over customers resampled with replacement.

    Resampling is stratified by arm, so every resample keeps the campaign's split between
    contacted and held-out customers.
    """
    y, t, s = _arrays(y, treated, score)
    values = [metric(y[pick], t[pick], s[pick]) for pick in _resamples(t, n_boot, seed)]
    return _percentiles(np.asarray(values, float), level)


def bootstrap_difference(
    metric: Callable[[np.ndarray, np.ndarray, np.ndarray], float],
    y: object,
    treated: object,
    score_a: object,
    score_b: object,
    *,
    n_boot: int = 200,
    level: float = 0.9,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile interval of ``metric(score_a) − metric(score_b)`` on the same resamples.

    Paired: both rankings are judged on the same customers each time, so the noise they share
    (who happened to respond) cancels, and the interval says whether ``a`` really ranks better.
    """
    y, t, a = _arrays(y, treated, score_a)
    b = np.asarray(score_b, float).ravel()
    if len(b) != len(a):
        raise ValueError(f"the two scores differ in length: {len(a)} vs {len(b)}")
    values = [metric(y[p], t[p], a[p]) - metric(y[p], t[p], b[p])
              for p in _resamples(t, n_boot, seed)]  # fmt: skip
    return _percentiles(np.asarray(values, float), level)


def _resamples(t: np.ndarray, n_boot: int, seed: int):
    """Row indices of ``n_boot`` resamples with replacement, stratified by arm."""
    rng = np.random.default_rng(seed)
    arms = [a for a in (np.flatnonzero(t), np.flatnonzero(~t)) if len(a)]
    for _ in range(n_boot):  # a loop over resamples, each one vectorised
        yield np.concatenate([rng.choice(a, len(a)) for a in arms])


def _percentiles(values: np.ndarray, level: float) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return float("nan"), float("nan")
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(values, [tail, 100 - tail])
    return float(lo), float(hi)


def curve_points(x: np.ndarray, v: np.ndarray, points: int = 21) -> list[list[float]]:
    """The curve at ``points`` evenly spaced shares targeted (for a chart), interpolated."""
    grid = np.linspace(0.0, 1.0, points)
    return [[float(g), float(val)] for g, val in zip(grid, np.interp(grid, x, v), strict=True)]
