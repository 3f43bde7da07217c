"""Probability calibration on a held-out time window, and rank-only rearrangement.

A score that ranks well can still say 0.34 where 0.21 then happens: a model trained on one
window and used on the next inherits that window's level (a season, a promotion). Platt's
sigmoid on the score's log-odds, fitted where the outcomes of a later window are known,
moves the level and the spread back to what happened there. It is strictly increasing, so
every ranking (AUC, top-n) is kept exactly.
"""

from __future__ import annotations

import numpy as np

_EPS = 1e-6


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, float), _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


class Platt:
    """``Platt().fit(score, y)(new_scores)``: calibrated probabilities, ranks kept.

    With one class only in ``y`` (nothing to learn a slope from) it maps to the observed
    rate shifted by the log-odds of the score, i.e. the identity on the level it saw.
    """

    def __init__(self) -> None:
        self.slope_, self.intercept_ = 1.0, 0.0

    def fit(self, score: np.ndarray, y: np.ndarray) -> Platt:
        from sklearn.linear_model import LogisticRegression

        y = np.asarray(y, bool)
        x = _logit(score)
        keep = np.isfinite(x)
        if keep.sum() >= 2 and 0 < y[keep].sum() < keep.sum():
            fitted = LogisticRegression(C=1e6).fit(x[keep].reshape(-1, 1), y[keep])
            self.slope_ = float(fitted.coef_[0, 0])
            self.intercept_ = float(fitted.intercept_[0])
            if self.slope_ <= 0:  # a score that ranks backwards: keep its order, fix the level
                self.slope_ = 1.0
                self.intercept_ = float(_logit(np.array([y[keep].mean()]))[0]
                                        - np.mean(x[keep]))  # fmt: skip
        return self

    def __call__(self, score: np.ndarray) -> np.ndarray:
        z = self.slope_ * _logit(score) + self.intercept_
        return 1.0 / (1.0 + np.exp(-z))


def reorder(values: np.ndarray, by: np.ndarray) -> np.ndarray:
    """``values`` rearranged to follow the order of ``by``: the same probabilities (so the
    same mean: calibration in the large is kept), ranked as ``by``; ties in ``by`` share
    the mean of their places."""
    values, by = np.asarray(values, float), np.asarray(by, float)
    out = np.full(len(values), np.nan)
    known = np.isfinite(values) & np.isfinite(by)
    slots = np.flatnonzero(known)
    order = np.argsort(by[known], kind="stable")
    ranked = np.sort(values[known])
    # customers tied in ``by`` share the mean of their places: ties stay ties
    _, group = np.unique(by[known][order], return_inverse=True)
    shared = np.bincount(group, ranked) / np.bincount(group)
    out[slots[order]] = shared[group]
    out[~known] = values[~known]
    return out
