"""In-domain correction from a workspace's own ratings (weak labels: low stars negative, high positive).

A logistic regression on the base model's log-odds plus cheap hashed n-grams of the texts. The base
log-odds enter as one feature with weak regularisation, so with few ratings the correction stays
close to the base model and with many it learns the domain's vocabulary ("stopped responding",
"退货") and its own threshold.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from crmine.models._threads import single_thread
from crmine.models.base import Estimator

_CLIP = 0.995


def base_logit(score: np.ndarray) -> np.ndarray:
    """Inverse of score = tanh(z / 2): log-odds from a score in (-1, 1)."""
    return 2.0 * np.arctanh(np.clip(score, -_CLIP, _CLIP))


def weak_labels(ratings: np.ndarray, scale: tuple[float, float]) -> np.ndarray:
    """1 for the top quarter of the scale, 0 for the bottom quarter, -1 (unused) otherwise.

    On 1-5 stars: 1-2 negative, 3 unused, 4-5 positive; on 0-10: 0-2 negative, 8-10 positive.
    """
    lo, hi = scale
    if hi <= lo:
        raise ValueError(f"scale must be (low, high) with low < high, got {scale}")
    u = (np.asarray(ratings, dtype=np.float64) - lo) / (hi - lo)
    out = np.full(u.shape, -1, dtype=np.int8)
    out[u <= 0.25] = 0
    out[u >= 0.75] = 1
    out[np.isnan(u)] = -1
    return out


class DomainCorrection(Estimator):
    """Logistic regression on [base log-odds, hashed n-grams]; scikit-learn style."""

    def __init__(self, analyzer: str = "word", ngrams: tuple[int, int] = (1, 2),
                 n_features: int = 2**18, C: float = 1.0, base_scale: float = 4.0) -> None:  # fmt: skip
        self.analyzer = analyzer
        self.ngrams = ngrams
        self.n_features = n_features
        self.C = C
        self.base_scale = base_scale

    def _design(self, texts: Sequence[str], base_score: np.ndarray) -> sp.csr_matrix:
        from sklearn.feature_extraction.text import HashingVectorizer

        h = HashingVectorizer(
            analyzer=self.analyzer, ngram_range=self.ngrams, n_features=self.n_features,
            alternate_sign=False, binary=True, norm="l2",
        )  # fmt: skip
        # scaling the base column up weakens its L2 penalty relative to the n-gram weights
        z = base_logit(base_score).reshape(-1, 1) * self.base_scale
        return sp.hstack([sp.csr_matrix(z), h.transform(texts)], format="csr")

    def fit(self, texts: Sequence[str], base_score: np.ndarray, y: np.ndarray) -> DomainCorrection:
        from sklearn.linear_model import LogisticRegression

        design = self._design(texts, base_score)
        # Only hashed columns the rated texts use can get a weight (L2 keeps the rest at 0):
        # fitting on those alone gives the same model, and L-BFGS works on thousands of
        # columns instead of 2^18.
        self.columns_ = np.unique(np.r_[0, design.indices])
        self.model_ = LogisticRegression(C=self.C, max_iter=1000, class_weight="balanced")
        with single_thread(user_api="blas"):
            self.model_.fit(design[:, self.columns_], np.asarray(y))
        return self

    def score(self, texts: Sequence[str], base_score: np.ndarray) -> np.ndarray:
        """Corrected sentiment in (-1, 1)."""
        self._check_fitted()
        design = self._design(texts, base_score)[:, self.columns_]
        return np.tanh(self.model_.decision_function(design) / 2.0)
