"""NB-weighted n-gram logistic regression ("NB-SVM", Wang & Manning 2012), shared by zh and en.

Binary n-gram features are scaled by their naive-Bayes log-count ratio r and each row is
L2-normalised; a logistic regression on them gives the n-gram logit. Because the features are
binary, the fitted model folds into two vectors, a = w * r and q = r ** 2, so scoring is two
sparse mat-vecs: logit = (X a) / sqrt(X q) + intercept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from crmine.models._threads import single_thread


@dataclass(frozen=True)
class NgramLogit:
    """The n-gram logistic regression in folded form: logit = (X a) / sqrt(X q) + intercept.

    ``index``: the columns of X kept (seen in at least ``min_df`` training rows)."""

    index: np.ndarray
    a: np.ndarray
    q: np.ndarray
    intercept: float

    def logit(self, X: sp.csr_matrix) -> np.ndarray:
        Xk = X[:, self.index]
        num = Xk @ self.a
        den = np.sqrt(Xk @ self.q)
        return np.divide(num, den, out=np.zeros_like(num), where=den > 0) + self.intercept


def fit_ngram_logit(X: sp.csr_matrix, y: np.ndarray, *, C: float, min_df: int,
                    nb_alpha: float, random_state: int = 0,
                    sample_weight: np.ndarray | None = None) -> NgramLogit:  # fmt: skip
    """NB-weighted, L2-normalised binary n-grams and a logistic regression on them.

    The ratios are rounded to float16 before fitting, as they are shipped, so the stored model
    is the one that was fitted. ``sample_weight`` weighs rows in the regression only (the ratios
    are counted unweighted).
    """
    from sklearn.linear_model import LogisticRegression

    keep = np.asarray(X.sum(axis=0)).ravel() >= min_df
    index = np.flatnonzero(keep).astype(np.uint32)
    Xk = sp.csr_matrix(X[:, index])
    r = nb_ratio(Xk, y, nb_alpha).astype(np.float16).astype(np.float64)
    clf = LogisticRegression(C=C, max_iter=2000, random_state=random_state)
    with single_thread(user_api="blas"):
        clf.fit(nb_normalise(Xk, r, r * r), y, sample_weight=sample_weight)
    return NgramLogit(index, clf.coef_.ravel() * r, r * r, float(clf.intercept_[0]))


def nb_ratio(X: sp.csr_matrix, y: np.ndarray, alpha: float) -> np.ndarray:
    """Naive-Bayes log-count ratio per feature."""
    p = np.asarray(X[y == 1].sum(axis=0)).ravel() + alpha
    q = np.asarray(X[y == 0].sum(axis=0)).ravel() + alpha
    return np.log(p / p.sum()) - np.log(q / q.sum())


def nb_normalise(X: sp.csr_matrix, r: np.ndarray, q: np.ndarray) -> sp.csr_matrix:
    """Rows of X * r scaled to unit L2 norm (X binary, so the squared norm is X @ r**2)."""
    Xr = sp.csr_matrix(X.multiply(r.reshape(1, -1)))
    den = np.sqrt(X @ q)
    inv = np.divide(1.0, den, out=np.zeros_like(den), where=den > 0)
    return sp.csr_matrix(Xr.multiply(inv.reshape(-1, 1)))
