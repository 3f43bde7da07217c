"""Metrics of purchase, revenue and churn forecasts, on plain arrays, with their meaning.

Every function takes the truth and a score (higher = more likely / more valuable) as
1-D arrays and returns a float (NaN when the metric is undefined, e.g. AUC with one class),
or plain lists of curve points. Ties in a score are handled as ties (average ranks), so a
constant score gets AUC 0.5 and no lift, whatever the row order.
"""

from __future__ import annotations

import numpy as np

MEANINGS: dict[str, str] = {
    "auc": "chance that a random customer who {event} is ranked above one who did not "
    "(0.5 = coin toss, 1 = perfect)",
    "pr_auc": "average precision: how pure the top of the ranking is in customers who {event} "
    "(the share who {event} is what guessing gets)",
    "top_decile_lift": "how many times more common it is that customers in the top 10 % "
    "{event} than customers overall",
    "brier": "mean squared gap between the predicted probability and what happened "
    "(0 = perfect; lower is better)",
    "mae": "average absolute error per customer, in the data's units",
    "spearman": "rank correlation between predicted and actual values (1 = same order)",
    "top_decile_capture": "share of all actual {quantity} that came from the 10 % of customers "
    "ranked highest",
    "gini": "normalised Gini: how close the ranking comes to the perfect ordering of actual "
    "{quantity} (1 = perfect, 0 = random)",
}


def _check(y: object, s: object) -> tuple[np.ndarray, np.ndarray]:
    y, s = np.asarray(y, dtype=float).ravel(), np.asarray(s, dtype=float).ravel()
    if y.shape != s.shape:
        raise ValueError(f"truth and score lengths differ: {len(y)} vs {len(s)}")
    keep = np.isfinite(y) & np.isfinite(s)
    return y[keep], s[keep]


def auc(y_true: object, score: object) -> float:
    """ROC AUC by the rank-sum (Mann-Whitney) formula; ties count one half."""
    from scipy.stats import rankdata

    y, s = _check(y_true, score)
    pos = y > 0
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(s)
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def pr_auc(y_true: object, score: object) -> float:
    """Average precision: mean of the precision at each positive, ties taken as one block."""
    y, s = _check(y_true, score)
    pos = y > 0
    if not pos.any():
        return float("nan")
    order = np.argsort(-s, kind="stable")
    s_sorted, hits = s[order], pos[order].astype(float)
    # Evaluate only at the last row of each block of tied scores.
    last = np.r_[s_sorted[1:] != s_sorted[:-1], True]
    tp = np.cumsum(hits)[last]
    seen = np.flatnonzero(last) + 1.0
    precision = tp / seen
    recall_gain = np.diff(np.r_[0.0, tp]) / pos.sum()
    return float(np.sum(precision * recall_gain))


def _top_share(score: np.ndarray, fraction: float) -> np.ndarray:
    """Weights selecting the top ``fraction`` of rows; rows tied at the boundary share it."""
    n = len(score)
    if n == 0:
        return np.zeros(0)
    k = fraction * n
    order = np.argsort(-score, kind="stable")
    ranked = score[order]
    edge = ranked[min(max(int(np.ceil(k)), 1), n) - 1]
    above, boundary = ranked > edge, ranked == edge
    weight = np.zeros(n)
    weight[above] = 1.0
    weight[boundary] = (k - above.sum()) / boundary.sum()
    out = np.zeros(n)
    out[order] = weight
    return out


def top_decile_lift(y_true: object, score: object, fraction: float = 0.1) -> float:
    """Positive rate among the top ``fraction`` divided by the overall positive rate."""
    y, s = _check(y_true, score)
    if len(y) == 0 or y.mean() == 0:
        return float("nan")
    w = _top_share(s, fraction)
    return float((w @ (y > 0)) / w.sum() / np.mean(y > 0))


def top_decile_capture(actual: object, score: object, fraction: float = 0.1) -> float:
    """Share of the (non-negative part of the) actual total held by the top ``fraction``."""
    a, s = _check(actual, score)
    a = np.clip(a, 0.0, None)
    if a.sum() <= 0:
        return float("nan")
    return float(_top_share(s, fraction) @ a / a.sum())


def auc_standard_error(auc_value: float, n_positive: int, n_negative: int) -> float:
    """Hanley & McNeil's (1982) standard error of an AUC from its class counts."""
    if n_positive == 0 or n_negative == 0 or not np.isfinite(auc_value):
        return float("nan")
    a = auc_value
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    var = (a * (1 - a) + (n_positive - 1) * (q1 - a * a)
           + (n_negative - 1) * (q2 - a * a)) / (n_positive * n_negative)  # fmt: skip
    return float(np.sqrt(max(var, 0.0)))


def brier(y_true: object, probability: object) -> float:
    y, p = _check(y_true, probability)
    return float(np.mean((p - (y > 0)) ** 2)) if len(y) else float("nan")


def mae(actual: object, predicted: object) -> float:
    a, p = _check(actual, predicted)
    return float(np.mean(np.abs(a - p))) if len(a) else float("nan")


def spearman(actual: object, predicted: object) -> float:
    from scipy.stats import rankdata

    a, p = _check(actual, predicted)
    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(p) == 0:
        return float("nan")
    return float(np.corrcoef(rankdata(a), rankdata(p))[0, 1])


def normalised_gini(actual: object, score: object) -> float:
    """Gini of the ranking by ``score`` over the Gini of the perfect ranking (ties averaged)."""
    a, s = _check(actual, score)
    if len(a) < 2 or a.sum() == 0:
        return float("nan")

    x = np.linspace(0.0, 1.0, len(a) + 1)

    def gini(by: np.ndarray) -> float:
        return float(np.trapezoid(_cumulative_share(a, by), x) - 0.5)

    best = gini(a)
    return gini(s) / best if best != 0 else float("nan")


def _cumulative_share(a: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Share of ``a``'s total held by the top 0, 1, …, n rows by ``s`` (ties averaged)."""
    order = np.argsort(-s, kind="stable")
    a_sorted, s_sorted = a[order], s[order]
    starts = np.r_[True, s_sorted[1:] != s_sorted[:-1]]
    block = np.cumsum(starts) - 1
    block_mean = np.bincount(block, a_sorted) / np.bincount(block)
    return np.r_[0.0, np.cumsum(block_mean[block])] / a.sum()


def gains_curve(actual: object, score: object, points: int = 20) -> list[list[float]]:
    """[share of customers targeted, share of the actual total captured] from the top.

    Tied scores are spread evenly (their block contributes its average), so the curve of a
    constant score is the diagonal.
    """
    a, s = _check(actual, score)
    n = len(a)
    if n == 0 or a.sum() == 0:
        return [[0.0, 0.0], [1.0, 1.0]]
    cum = _cumulative_share(a, s)
    grid = np.linspace(0.0, 1.0, min(points, n) + 1)
    return [
        [float(x), float(y)]
        for x, y in zip(grid, np.interp(grid * n, np.arange(n + 1), cum), strict=True)
    ]


def reliability_curve(y_true: object, probability: object, bins: int = 10) -> list[dict]:
    """Per bin of predicted probability (equal width): mean prediction, observed rate, count."""
    y, p = _check(y_true, probability)
    idx = np.clip((p * bins).astype(int), 0, bins - 1)
    count = np.bincount(idx, minlength=bins)
    pred = np.bincount(idx, p, minlength=bins)
    obs = np.bincount(idx, (y > 0).astype(float), minlength=bins)
    return [
        {
            "bin_low": i / bins,
            "bin_high": (i + 1) / bins,
            "predicted": float(pred[i] / count[i]),
            "observed": float(obs[i] / count[i]),
            "customers": int(count[i]),
        }
        for i in np.flatnonzero(count)
    ]
