"""Chinese sentiment: NB-weighted hashed character + word n-grams, stacked with lexicon features.

Features (Wang & Manning 2012, "NB-SVM"): binary hashed character 1-3-grams and jieba word 1-2-grams,
each scaled by its naive-Bayes log-count ratio r, L2-normalised. A logistic regression on them gives
an n-gram logit g. A second, small logistic regression (the stacker) combines g with the
hand-written lexicon features of `_zh_lexicon` (counts with negation, the clause after the last
turn word, the last clause). It is fitted on *out-of-fold* n-gram logits, and when training
categories are given the folds leave whole categories out, so the stacker learns how far the
n-grams can be trusted on a kind of product they never saw; the domain-general lexicon carries the
rest (Wolpert 1992, stacked generalisation).

Because the n-grams are binary, the model folds into two vectors, a = alpha * w * r and q = r ** 2,
so scoring is two sparse mat-vecs: logit = (X a) / sqrt(X q) + L c + b. Only buckets seen at least
`min_df` times in training are stored (sparse, float16), which keeps the shipped file small.
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

from crmine.models._threads import single_thread
from crmine.models.text._nblr import NgramLogit, fit_ngram_logit
from crmine.models.text._zh_batch import BatchSelfTraining
from crmine.models.text._zh_lexicon import N_FEATURES, lexicon_features

_LOG = logging.getLogger(__name__)
DEFAULT_BATCH = BatchSelfTraining()


@dataclass(frozen=True)
class ZhFeatures:
    """Hashing settings: they are part of the model and stored with it."""

    n_features: int = 2**20
    char_ngrams: tuple[int, int] = (1, 3)
    word_ngrams: tuple[int, int] = (1, 2)
    use_words: bool = True

    def normalise(self, texts: Sequence[str]) -> list[str]:
        """NFKC (full-width to half-width), lower case, BOM and surrounding space removed."""
        return [
            unicodedata.normalize("NFKC", t).replace("\ufeff", "").strip().lower() for t in texts
        ]

    def ngrams(self, norm: list[str], seg: list[str] | None = None) -> sp.csr_matrix:
        """Binary hashed n-grams: character block, then (optionally) word block (``seg``: the
        texts already segmented by `segment`, to avoid segmenting twice)."""
        from sklearn.feature_extraction.text import HashingVectorizer

        def hasher(analyzer: str, ngrams: tuple[int, int]) -> HashingVectorizer:
            return HashingVectorizer(
                analyzer=analyzer, ngram_range=ngrams, n_features=self.n_features,
                alternate_sign=False, norm=None, binary=True, lowercase=False,
                token_pattern=r"\S+", dtype=np.float32,
            )  # fmt: skip

        blocks = [hasher("char", self.char_ngrams).transform(norm)]
        if self.use_words:
            words = segment(norm) if seg is None else seg
            blocks.append(hasher("word", self.word_ngrams).transform(words))
        return sp.hstack(blocks, format="csr")


def segment(norm: list[str]) -> list[str]:
    """Space-joined jieba words (jieba is loaded on first use; its dictionary takes ~1 s)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return [" ".join(jieba.lcut(t)) for t in norm]


class ZhSentiment:
    """NB-weighted n-gram logit stacked with lexicon features (scikit-learn style: fit, then score).

    ``stack_folds`` out-of-fold splits feed the stacker; ``stack_C`` is its inverse regularisation.
    ``batch`` adapts the scores of a batch of texts to that batch by self-training
    (`_zh_batch.BatchSelfTraining`; None: every text is scored on its own).
    """

    def __init__(self, features: ZhFeatures | None = None, *, C: float = 10.0, min_df: int = 2,
                 nb_alpha: float = 1.0, stack_folds: int = 3, stack_C: float = 1.0,
                 random_state: int = 0,
                 batch: BatchSelfTraining | None = DEFAULT_BATCH) -> None:  # fmt: skip
        self.features = features or ZhFeatures()
        self.batch = batch
        self.C = C
        self.min_df = min_df
        self.nb_alpha = nb_alpha
        self.stack_folds = stack_folds
        self.stack_C = stack_C
        self.random_state = random_state

    # ---- training -------------------------------------------------------------------------
    def fit(
        self, texts: Sequence[str], y: np.ndarray, groups: Sequence[str] | None = None
    ) -> ZhSentiment:
        """Fit on texts with binary labels (1 = positive).

        ``groups`` (e.g. product category per text) makes the stacker's folds leave whole groups
        out, which weights the lexicon for texts unlike the training data; without it the folds
        are stratified random splits.
        """
        from sklearn.linear_model import LogisticRegression

        y = np.asarray(y).astype(np.int8)
        norm = self.features.normalise(texts)
        X = self.features.ngrams(norm)
        L = lexicon_features(pd.Series(norm, dtype="str"))
        oof = np.zeros(len(y))
        for tr, ev in self._folds(y, groups):
            oof[ev] = _fit_ngram(X[tr], y[tr], self).logit(X[ev])
        stacker = LogisticRegression(C=self.stack_C, max_iter=1000)
        with single_thread(user_api="blas"):
            stacker.fit(np.column_stack([oof, L]), y)
        alpha, lex_coef = float(stacker.coef_[0, 0]), stacker.coef_[0, 1:]
        base = _fit_ngram(X, y, self)
        self.index_ = base.index
        self.a_ = (alpha * base.a).astype(np.float16)
        self.q_ = base.q.astype(np.float16)
        self.lexicon_coef_ = lex_coef.astype(np.float64)
        self.intercept_ = float(stacker.intercept_[0] + alpha * base.intercept)
        self.ngram_weight_ = alpha
        self.grouped_ = groups is not None
        return self

    def _folds(
        self, y: np.ndarray, groups: Sequence[str] | None
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        from sklearn.model_selection import GroupKFold, StratifiedKFold

        idx = np.arange(len(y))
        if groups is not None:
            g = np.asarray(groups)
            n = min(self.stack_folds, len(np.unique(g)))
            if n < 2:
                raise ValueError("groups must hold at least two distinct values")
            return list(GroupKFold(n_splits=n).split(idx, y, g))
        cv = StratifiedKFold(self.stack_folds, shuffle=True, random_state=self.random_state)
        return list(cv.split(idx, y))

    # ---- scoring --------------------------------------------------------------------------
    def _check(self) -> None:
        if not hasattr(self, "a_"):
            raise RuntimeError("ZhSentiment is not fitted; call fit() or load it from arrays")

    def _dense(self) -> tuple[np.ndarray, np.ndarray]:
        if not hasattr(self, "_dense_cache"):
            n = (
                2 * self.features.n_features
                if self.features.use_words
                else self.features.n_features
            )
            a = np.zeros(n)
            q = np.zeros(n)
            a[self.index_] = self.a_
            q[self.index_] = self.q_
            self._dense_cache = (a, q)
        return self._dense_cache

    def decision_function(self, texts: Sequence[str], *, adapt: bool = True) -> np.ndarray:
        """Log-odds of positive sentiment per text.

        With ``adapt`` (and a ``batch`` setting), a batch of at least ``batch.min_texts``
        distinct texts is scored after self-training on the batch itself; then a text's score
        depends on the other texts of its batch. ``adapt=False`` scores every text on its own.
        """
        self._check()
        norm = self.features.normalise(texts)
        seg = segment(norm) if self.features.use_words or self.batch is not None else None
        X = self.features.ngrams(norm, seg)
        a, q = self._dense()
        num = X @ a
        den = np.sqrt(X @ q)
        ngram = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
        lex = lexicon_features(pd.Series(norm, dtype="str")) @ self.lexicon_coef_
        z = ngram + lex + self.intercept_
        if adapt and self.batch is not None and seg is not None:
            z = self.batch.adapt(z, norm, seg)
        return z

    def score(self, texts: Sequence[str], *, adapt: bool = True) -> np.ndarray:
        """Sentiment in (-1, 1): 2 P(positive) - 1 = tanh(logit / 2) (``adapt``: see
        `decision_function`)."""
        return np.tanh(self.decision_function(texts, adapt=adapt) / 2.0)

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
            "stack_folds": self.stack_folds,
            "stack_C": self.stack_C,
            "batch_self_training": None if self.batch is None else self.batch.to_dict(),
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
        if len(meta["lexicon_coef"]) != N_FEATURES:
            raise ValueError(
                f"model has {len(meta['lexicon_coef'])} lexicon weights, this version computes "
                f"{N_FEATURES} lexicon features: retrain with scripts/train_sentiment.py"
            )
        bst = meta.get("batch_self_training")
        m = cls(feats, C=meta["C"], min_df=meta["min_df"], nb_alpha=meta["nb_alpha"],
                stack_folds=int(meta.get("stack_folds", 3)), stack_C=float(meta.get("stack_C", 1.0)),
                batch=None if bst is None else BatchSelfTraining.from_dict(bst))  # fmt: skip
        m.index_ = np.cumsum(arrays["index_delta"].astype(np.uint64)).astype(np.uint32)
        m.a_ = arrays["a"].astype(np.float16)
        m.q_ = arrays["q"].astype(np.float16)
        m.lexicon_coef_ = np.asarray(meta["lexicon_coef"], dtype=np.float64)
        m.intercept_ = float(meta["intercept"])
        return m

    def __repr__(self) -> str:
        return f"ZhSentiment({json.dumps(asdict(self.features))}, C={self.C})"


def _fit_ngram(X: sp.csr_matrix, y: np.ndarray, m: ZhSentiment) -> NgramLogit:
    return fit_ngram_logit(X, y, C=m.C, min_df=m.min_df, nb_alpha=m.nb_alpha,
                           random_state=m.random_state)  # fmt: skip
