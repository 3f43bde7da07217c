"""Feedback scales: what kind of answer a score is (NPS, stars) and its place on a 0-1 scale.

Standardisation of feedback scores, shared by the service features and the voice models:

* NPS (Reichheld 2003) on 0-10, stars (ratings, reviews, CSAT surveys) on 1-5.
* A source without a ``kind`` column gets one from its scores' range (:func:`infer_kind`).
"""

from __future__ import annotations

import numpy as np

NPS_KINDS = frozenset({"nps"})
STAR_KINDS = frozenset({"rating", "review", "csat"})
SCALES = {"nps": (0.0, 10.0), "rating": (1.0, 5.0), "review": (1.0, 5.0), "csat": (1.0, 5.0)}
PROMOTER_MIN, DETRACTOR_MAX, CSAT_MIN = 9.0, 6.0, 4.0


def infer_kind(score: np.ndarray, has_text: np.ndarray) -> np.ndarray:
    """Kind of each answer of ONE source that has no kind column, from the range of its scores.

    All scores whole numbers in 0-10 using 0 or anything above 5 → 'nps'; all within 1-5 →
    'review' where the answer has text, else 'rating'; no score at all → 'review' where there
    is text. Any other range (e.g. 0-100, fractions) → None: the kind stays unknown and the
    answers count in neither NPS nor CSAT. A 0-10 survey whose answers all happen to fall in
    1-5 is read as stars: that cannot be told apart from the scores alone.
    """
    s = np.asarray(score, dtype=np.float64)
    text = np.asarray(has_text, dtype=bool)
    known = s[~np.isnan(s)]
    out = np.full(len(s), None, dtype=object)
    if known.size == 0:
        out[text] = "review"
        return out
    whole = bool(np.all(known == np.round(known)))
    lo, hi = float(known.min()), float(known.max())
    if whole and lo >= 0 and hi <= 10 and (lo == 0 or hi > 5):
        out[:] = "nps"
    elif lo >= 1 and hi <= 5:
        out[:] = np.where(text, "review", "rating")
    else:
        return out
    out[np.isnan(s) & ~text] = None
    return out


def normalised_score(kind: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Score mapped onto 0-1 by its kind's scale (NaN for unknown kinds and missing scores)."""
    kind = np.asarray(kind, dtype=object)
    s = np.asarray(score, dtype=np.float64)
    out = np.full(len(s), np.nan)
    for k, (lo, hi) in SCALES.items():
        m = kind == k
        out[m] = (s[m] - lo) / (hi - lo)
    out[(out < 0) | (out > 1)] = np.nan
    return out
