"""Chinese sentiment: NB-weighted hashed character + word n-grams and lexicon counts, logistic link.

Features (Wang & Manning 2012, "NB-SVM"): binary hashed character 1-3-grams and jieba word 1-2-grams,
each scaled by its naive-Bayes log-count ratio r, L2-normalised, plus four lexicon counts with
negation (`_zh_lexicon`). Because the n-grams are binary, the model folds into two vectors,
a = w * r and q = r ** 2, so scoring is two sparse mat-vecs: logit = (X a) / sqrt(X q) + L c + b.
Only buckets seen at least `min_df` times in training are stored (sparse, float16), which keeps
the shipped file small.
"""

from __future__ import annotations

import json
import logging
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from crmine.models.text._zh_lexicon import lexicon_features

_LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class ZhFeatures:
    """Hashing settings: they are part of the model and stored with it."""

    n_features: int = 2**20
    char_ngrams: tuple[int, int] = (1, 3)
    word_ngrams: tuple[int, int] = (1, 2)
    use_words: bool = True

    def normalise(self, texts: Sequence[str]) -> list[str]:
        """NFKC (full-width to half-width), lower case, BOM and surrounding space removed."""
        return [unicodedata.normalize("NFKC", t).replace("\ufeff", "").strip().lower() for t in texts]

    def ngrams(self, norm: list[str]) -> sp.csr_matrix:
        """Binary hashed n-grams: character block, then (optionally) word block."""
        from sklearn.feature_extraction.text import HashingVectorizer

        def hasher(analyzer: str, ngrams: tuple[int, int]) -> HashingVectorizer:
            return HashingVectorizer(
                analyzer=analyzer, ngram_range=ngrams, n_features=self.n_features,
                alternate_sign=False, norm=None, binary=True, lowercase=False,
                token_pattern=r"\S+", dtype=np.float32,
            )  # fmt: skip

        blocks = [hasher("char", self.char_ngrams).transform(norm)]
        if self.use_words:
            blocks.append(hasher("word", self.word_ngrams).transform(segment(norm)))
        return sp.hstack(blocks, format="csr")


def segment(norm: list[str]) -> list[str]:
    """Space-joined jieba words (jieba is loaded on first use; its dictionary takes ~1 s)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return [" ".join(jieba.lcut(t)) for t in norm]


class ZhSentiment:
    """NB-weighted logistic regression on hashed n-grams (scikit-learn style: fit, then score)."""

    def __init__(self, features: ZhFeatures | None = None, *, C: float = 10.0, min_df: int = 2,
                 nb_alpha: float = 1.0, random_state: int = 0) -> None:  # fmt: skip
        self.features = features or ZhFeatures()
        self.C = C
        self.min_df = min_df
        self.nb_alpha = nb_alpha
        self.random_state = random_state

    # ---- training -------------------------------------------------------------------------
    def fit(self, texts: Sequence[str], y: np.ndarray) -> ZhSentiment:
        """Fit on texts with binary labels (1 = positive)."""
        from sklearn.linear_model import LogisticRegression

        y = np.asarray(y).astype(np.int8)
        norm = self.features.normalise(texts)
        X = self.features.ngrams(norm)
        keep = np.asarray(X.sum(axis=0)).ravel() >= self.min_df
        r = _nb_ratio(X, y, keep, self.nb_alpha)
        r = r.astype(np.float16).astype(np.float64)  # train on the precision we ship
        Xn = _nb_normalise(X, r, r * r)
        L = lexicon_features(pd.Series(norm, dtype="str"))
        clf = LogisticRegression(C=self.C, max_iter=2000, random_state=self.random_state)
        clf.fit(sp.hstack([Xn, sp.csr_matrix(L)], format="csr"), y)
        w = clf.coef_.ravel()
        n = X.shape[1]
        self.index_ = np.flatnonzero(keep).astype(np.uint32)
        self.a_ = (w[:n] * r)[self.index_].astype(np.float16)
        self.q_ = (r * r)[self.index_].astype(np.float16)
        self.lexicon_coef_ = w[n:].astype(np.float64)
        self.intercept_ = float(clf.intercept_[0])
        return self

    # ---- scoring --------------------------------------------------------------------------
    def _check(self) -> None:
        if not hasattr(self, "a_"):
            raise RuntimeError("ZhSentiment is not fitted; call fit() or load it from arrays")

    def _dense(self) -> tuple[np.ndarray, np.ndarray]:
        if not hasattr(self, "_dense_cache"):
            n = 2 * self.features.n_features if self.features.use_words else self.features.n_features
            a = np.zeros(n)
            q = np.zeros(n)
            a[self.index_] = self.a_
            q[self.index_] = self.q_
            self._dense_cache = (a, q)
        return self._dense_cache

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """Log-odds of positive sentiment per text."""
        self._check()
        norm = self.features.normalise(texts)
        X = self.features.ngrams(norm)
        a, q = self._dense()
        num = X @ a
        den = np.sqrt(X @ q)
        ngram = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
        lex = lexicon_features(pd.Series(norm, dtype="str")) @ self.lexicon_coef_
        return ngram + lex + self.intercept_

    def score(self, texts: Sequence[str]) -> np.ndarray:
        """Sentiment in (-1, 1): 2 P(positive) - 1 = tanh(logit / 2)."""
        return np.tanh(self.decision_function(texts) / 2.0)

    # ---- persistence as data --------------------------------------------------------------
    def to_arrays(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """(JSON-able settings, arrays) for `np.savez_compressed`; no pickled objects."""
        self._check()
        meta = {
            "kind": "zh_nb_logit",
            "features": asdict(self.features),
            "C": self.C,
            "min_df": self.min_df,
            "nb_alpha": self.nb_alpha,
            "intercept": self.intercept_,
            "lexicon_coef": self.lexicon_coef_.tolist(),
        }
        # delta-encoded sorted indices compress far better than raw ones
        delta = np.diff(self.index_, prepend=np.uint32(0)).astype(np.uint32)
        return meta, {"index_delta": delta, "a": self.a_, "q": self.q_}

    @classmethod
    def from_arrays(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> ZhSentiment:
        if meta.get("kind") != "zh_nb_logit":
            raise ValueError(f"not a Chinese sentiment model: kind={meta.get('kind')!r}")
        f = meta["features"]
        feats = ZhFeatures(
            n_features=int(f["n_features"]), char_ngrams=tuple(f["char_ngrams"]),
            word_ngrams=tuple(f["word_ngrams"]), use_words=bool(f["use_words"]),
        )  # fmt: skip
        m = cls(feats, C=meta["C"], min_df=meta["min_df"], nb_alpha=meta["nb_alpha"])
        m.index_ = np.cumsum(arrays["index_delta"].astype(np.uint64)).astype(np.uint32)
        m.a_ = arrays["a"].astype(np.float16)
        m.q_ = arrays["q"].astype(np.float16)
        m.lexicon_coef_ = np.asarray(meta["lexicon_coef"], dtype=np.float64)
        m.intercept_ = float(meta["intercept"])
        return m

    def __repr__(self) -> str:
        return f"ZhSentiment({json.dumps(asdict(self.features))}, C={self.C})"


def _nb_ratio(X: sp.csr_matrix, y: np.ndarray, keep: np.ndarray, alpha: float) -> np.ndarray:
    """Naive-Bayes log-count ratio per feature (0 for features not kept)."""
    p = np.asarray(X[y == 1].sum(axis=0)).ravel() + alpha
    q = np.asarray(X[y == 0].sum(axis=0)).ravel() + alpha
    return np.where(keep, np.log(p / p[keep].sum()) - np.log(q / q[keep].sum()), 0.0)


def _nb_normalise(X: sp.csr_matrix, r: np.ndarray, q: np.ndarray) -> sp.csr_matrix:
    """Rows of X * r scaled to unit L2 norm (X binary, so the squared norm is X @ r**2)."""
    Xr = sp.csr_matrix(X.multiply(r.reshape(1, -1)))
    den = np.sqrt(X @ q)
    inv = np.divide(1.0, den, out=np.zeros_like(den), where=den > 0)
    return sp.csr_matrix(Xr.multiply(inv.reshape(-1, 1)))
