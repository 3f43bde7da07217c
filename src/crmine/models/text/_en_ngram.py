"""English sentiment: NB-weighted word n-grams stacked with the valence lexicon, trained across domains.

Features: the binary word 1-2-grams of `tokenise_en`'s tokens, a token after a negator in the same
clause marked with "~" ("not good" gives "not", "~good", "not ~good"; Das & Chen 2001), weighted
by their naive-Bayes log-count ratio and L2-normalised (`_nblr`). A logistic regression on them
gives an n-gram logit g. A second, one-feature-wide logistic regression (the stacker) combines g
with the lexicon scorer's valence v = artanh(`LexiconScorer` score): logit = alpha g + c v + b.

The stacker is fitted on *out-of-domain* n-gram logits: when training groups (corpora, domains)
are given, each group's logits come from n-grams trained on the other groups only, so alpha and c
say how far the n-grams carry to a kind of text they never saw, and the lexicon carries the rest
(stacked generalisation, Wolpert 1992). With groups, every group weighs the same in training,
so a large corpus of one kind does not decide the vocabulary's weights alone.

The model is a table: the kept n-grams as text with two float16 numbers each (a = alpha w r and
q = r**2), so scoring is a vocabulary look-up over one flat token array for all texts and two
bincounts: logit = sum(a) / sqrt(sum(q)) + c v + b. Texts with neither a known n-gram nor a
lexicon word score 0 (no opinion).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any, Self

import numpy as np
import pandas as pd
import scipy.sparse as sp

from crmine.models._threads import single_thread
from crmine.models.base import Estimator
from crmine.models.text._en import LexiconScorer, after_negator, clauses, tokenise_en
from crmine.models.text._nblr import NgramLogit, fit_ngram_logit

KIND = "en_nb_logit"
_NEG_MARK = "~"
_CLIP = 1.0 - 1e-9


def ngram_strings(tokens: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
    """(n-gram strings, text index of each) over all texts: negation-marked words and the
    bigrams of adjacent marked words within a text."""
    n = len(tokens)
    lengths = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=n)
    doc = np.repeat(np.arange(n), lengths)
    if doc.size == 0:
        return np.zeros(0, dtype=object), doc
    tok = pd.Series(np.array(list(chain.from_iterable(tokens)), dtype=object))
    negated = after_negator(tok, clauses(tok, doc))
    words = tok.where(~negated, _NEG_MARK + tok).to_numpy(dtype=object)
    pair = np.flatnonzero(doc[:-1] == doc[1:])
    bigrams = pd.Series(words[pair]) + " " + pd.Series(words[pair + 1])
    return (
        np.concatenate([words, bigrams.to_numpy(dtype=object)]),
        np.concatenate([doc, doc[pair]]),
    )


def _binary(codes: np.ndarray, doc: np.ndarray, n: int, n_cols: int) -> sp.csr_matrix:
    """Texts x vocabulary, 1 where the text holds the n-gram (codes < 0: not in the vocabulary)."""
    keep = codes >= 0
    X = sp.csr_matrix(
        (np.ones(int(keep.sum())), (doc[keep], codes[keep])), shape=(n, n_cols)
    )
    X.sum_duplicates()
    X.data[:] = 1.0
    return X


class EnSentiment(Estimator):
    """NB-weighted word 1-2-gram logit stacked with lexicon valence (fit, then score).

    ``lexicon``: the rule-based scorer whose valence is stacked (None: the shipped VADER lexicon
    with the rules of `_en_rules`). ``C``, ``min_df`` and ``nb_alpha`` set the n-gram
    regression, ``stack_C`` the stacker; ``stack_folds`` random-by-text folds are used when no
    training groups are given; ``balance_groups`` weighs every group the same.
    """

    record_name = "english_sentiment"

    def __init__(self, lexicon: LexiconScorer | None = None, C: float = 1.0, min_df: int = 3,
                 nb_alpha: float = 1.0, stack_C: float = 1.0, stack_folds: int = 4,
                 balance_groups: bool = True) -> None:  # fmt: skip
        self.lexicon = lexicon
        self.C = C
        self.min_df = min_df
        self.nb_alpha = nb_alpha
        self.stack_C = stack_C
        self.stack_folds = stack_folds
        self.balance_groups = balance_groups

    def _scorer(self) -> LexiconScorer:
        from crmine.models.text._en import shipped_lexicon

        return self.lexicon if self.lexicon is not None else shipped_lexicon()

    def _valence(self, tokens: list[list[str]]) -> np.ndarray:
        return np.arctanh(np.clip(self._scorer().score_tokens(tokens), -_CLIP, _CLIP))

    # ---- training -------------------------------------------------------------------------
    def fit(self, texts: Sequence[str], y: np.ndarray, groups: Sequence[str] | None = None) -> Self:
        """Fit on texts with binary labels (1 = positive).

        ``groups`` (the corpus or domain of each text) makes the stacker's folds leave one whole
        group out at a time, which weighs the lexicon for texts unlike any training group, and
        (with ``balance_groups``) gives every group the same total weight.
        """
        from sklearn.linear_model import LogisticRegression

        y = np.asarray(y).astype(np.int8)
        texts = list(texts)
        tokens = tokenise_en(texts)
        grams, doc = ngram_strings(tokens)
        codes, vocab = pd.factorize(pd.Series(grams, dtype=object), sort=True)
        X = _binary(codes, doc, len(texts), len(vocab))
        v = self._valence(tokens)
        w = self._weights(groups, len(y))
        oof = np.zeros(len(y))
        for tr, ev in self._folds(texts, groups):
            oof[ev] = self._ngram(X[tr], y[tr], w[tr]).logit(X[ev])
        stacker = LogisticRegression(C=self.stack_C, max_iter=1000)
        with single_thread(user_api="blas"):
            stacker.fit(np.column_stack([oof, v]), y, sample_weight=w)
        alpha, coef = float(stacker.coef_[0, 0]), float(stacker.coef_[0, 1])
        base = self._ngram(X, y, w)
        self.vocabulary_ = pd.Index(np.asarray(vocab, dtype=object)[base.index])
        self.a_ = (alpha * base.a).astype(np.float16)
        self.q_ = base.q.astype(np.float16)
        self.lexicon_coef_ = coef
        self.intercept_ = float(stacker.intercept_[0] + alpha * base.intercept)
        self.ngram_weight_ = alpha
        return self

    def _ngram(self, X: sp.csr_matrix, y: np.ndarray, w: np.ndarray) -> NgramLogit:
        return fit_ngram_logit(X, y, C=self.C, min_df=self.min_df, nb_alpha=self.nb_alpha,
                               sample_weight=w)  # fmt: skip

    def _weights(self, groups: Sequence[str] | None, n: int) -> np.ndarray:
        if groups is None or not self.balance_groups:
            return np.ones(n)
        g = pd.Series(np.asarray(groups, dtype=object))
        w = 1.0 / g.map(g.value_counts()).to_numpy(dtype=np.float64)
        return w * n / w.sum()

    def _folds(
        self, texts: list[str], groups: Sequence[str] | None
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """One fold per group when groups are given; otherwise folds by a hash of the text, so
        the fit does not depend on the order of the rows."""
        if groups is not None:
            g = np.asarray(groups, dtype=object)
            kinds = np.unique(g)
            if len(kinds) < 2:
                raise ValueError("groups must hold at least two distinct values")
            return [(np.flatnonzero(g != k), np.flatnonzero(g == k)) for k in kinds]
        fold = pd.util.hash_array(np.asarray(texts, dtype=object)) % np.uint64(self.stack_folds)
        return [(np.flatnonzero(fold != k), np.flatnonzero(fold == k))
                for k in range(self.stack_folds)]  # fmt: skip

    # ---- scoring --------------------------------------------------------------------------
    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """Log-odds of positive sentiment per text (0 for a text with no known word)."""
        self._check_fitted()
        texts = list(texts)
        tokens = tokenise_en(texts)
        grams, doc = ngram_strings(tokens)
        codes = self.vocabulary_.get_indexer(grams)
        X = _binary(codes, doc, len(texts), len(self.vocabulary_))
        num = X @ self.a_.astype(np.float64)
        den = np.sqrt(X @ self.q_.astype(np.float64))
        ngram = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
        v = self._valence(tokens)
        z = ngram + self.lexicon_coef_ * v + self.intercept_
        return np.where((den > 0) | (v != 0), z, 0.0)

    def score(self, texts: Sequence[str]) -> np.ndarray:
        """Sentiment in (-1, 1): 2 P(positive) - 1 = tanh(logit / 2)."""
        return np.tanh(self.decision_function(texts) / 2.0)

    # ---- persistence as data --------------------------------------------------------------
    def to_arrays(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """(JSON-able settings, arrays) for `np.savez_compressed`; no pickled objects. The
        vocabulary is stored as UTF-8 bytes, one n-gram a line."""
        self._check_fitted()
        meta = {"kind": KIND, "intercept": self.intercept_, "lexicon_coef": self.lexicon_coef_,
                "ngram_weight": self.ngram_weight_,
                **{k: v for k, v in self.get_params().items() if k != "lexicon"}}  # fmt: skip
        text = "\n".join(self.vocabulary_.tolist()).encode("utf-8")
        return meta, {"ngrams": np.frombuffer(text, dtype=np.uint8), "a": self.a_, "q": self.q_}

    @classmethod
    def from_arrays(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray],
                    lexicon: LexiconScorer | None = None) -> EnSentiment:  # fmt: skip
        if meta.get("kind") != KIND:
            raise ValueError(f"not an English sentiment model: kind={meta.get('kind')!r}")
        params = {k: meta[k] for k in cls._param_names() if k in meta and k != "lexicon"}
        m = cls(lexicon, **params)
        text = arrays["ngrams"].tobytes().decode("utf-8")
        vocab = text.split("\n") if text else []
        if len(vocab) != len(arrays["a"]) or len(vocab) != len(arrays["q"]):
            raise ValueError(f"{len(vocab)} n-grams for {len(arrays['a'])} weights")
        m.vocabulary_ = pd.Index(vocab, dtype=object)
        m.a_ = arrays["a"].astype(np.float16)
        m.q_ = arrays["q"].astype(np.float16)
        m.lexicon_coef_ = float(meta["lexicon_coef"])
        m.intercept_ = float(meta["intercept"])
        m.ngram_weight_ = float(meta.get("ngram_weight", np.nan))
        return m
