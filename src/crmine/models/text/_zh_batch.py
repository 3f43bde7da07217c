"""Unsupervised adaptation of the Chinese model to the batch of texts it scores (self-training).

A user's texts come without labels, but there are many of them, and they share the vocabulary of
their domain ("好书", "多汁", "蓝屏") that the shipped model may never have seen. The shipped model's
confident verdicts are taken as soft pseudo-labels, and small naive-Bayes models learn from them
which of the batch's own n-grams go with which polarity:

1. Pseudo-labels: w = clip(gain * tanh(z / 2), -1, 1) from the base log-odds z (a text with
   P(positive) of 0.9 counts fully, an uncertain one a little).
2. A global batch model: NB log-count ratios of binary character 1-3-grams and jieba word 1-2-grams
   (vocabulary of the batch, document frequency >= 2), weighted by w; its L2-normalised score
   x·r / sqrt(x·r²) per text.
3. Cluster models: the same within each cluster of texts about the same thing (k-means on an SVD of
   the batch's word TF-IDF; about one cluster per ``texts_per_cluster`` texts), because a word's
   polarity depends on the product ("薄" is good for a phone, bad for a coat).
4. Every batch model is *cross-fitted*: texts are split into ``folds`` by a hash of their text, and
   a text is scored only by ratios counted on the other folds, so no text echoes its own
   pseudo-label.
5. The adapted log-odds: z + s * (global_weight * g + cluster_weight * c), where g and c are the
   batch scores divided by their standard deviation (per cluster for c) and s is the batch's mean |z| (the scale of
   the base model on these texts).

The result depends only on the set of distinct texts in the batch (they are de-duplicated and
sorted first), not on their order or repetition. Batches with fewer than ``min_texts`` distinct
texts are returned unchanged. The weights were chosen on validation folds of the training
categories (see the model card), never on the test categories.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class BatchSelfTraining:
    """Settings of the batch self-training; stored with the model (``zh_sentiment.json``)."""

    min_texts: int = 200
    folds: int = 10
    nb_alpha: float = 0.1
    confidence_gain: float = 3.0
    global_weight: float = 0.25
    cluster_weight: float = 0.5
    texts_per_cluster: int = 2000
    max_clusters: int = 8
    min_cluster: int = 200
    svd_dims: int = 50
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BatchSelfTraining:
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in d.items() if k in known})

    def adapt(self, z: np.ndarray, norm: list[str], seg: list[str]) -> np.ndarray:
        """Adapted log-odds for texts with base log-odds ``z``, normalised text ``norm`` and
        space-joined jieba words ``seg`` (all aligned)."""
        z = np.asarray(z, dtype=np.float64)
        uniq, first, inverse = np.unique(np.asarray(norm, dtype=object).astype(str),
                                         return_index=True, return_inverse=True)  # fmt: skip
        if len(uniq) < self.min_texts:
            return z.copy()
        zu = z[first]
        segu = [seg[i] for i in first]
        X = _binary_ngrams(list(uniq), segu)
        if X.shape[1] == 0:
            return z.copy()
        fold = _hash_folds(uniq, self.folds, self.seed)
        w = np.clip(self.confidence_gain * np.tanh(zu / 2.0), -1.0, 1.0)
        total = self.global_weight * _standardised(_cross_fitted_nb(X, w, fold, self.nb_alpha))
        clusters = self._clusters(segu)
        if clusters is not None and self.cluster_weight:
            local = np.zeros(len(uniq))
            for c in np.unique(clusters):
                rows = np.flatnonzero(clusters == c)
                if rows.size < self.min_cluster:
                    continue
                nb = _cross_fitted_nb(X[rows], w[rows], fold[rows], self.nb_alpha)
                local[rows] = _standardised(nb)
            total += self.cluster_weight * local
        scale = float(np.mean(np.abs(zu)))
        return (zu + scale * total)[inverse]

    def _clusters(self, seg: list[str]) -> np.ndarray | None:
        """K-means labels on the SVD of word TF-IDF, or None when the batch is too small."""
        k = min(self.max_clusters, round(len(seg) / self.texts_per_cluster))
        if k < 2:
            return None
        from sklearn.cluster import KMeans
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        try:
            W = TfidfVectorizer(token_pattern=r"\S+", min_df=3, sublinear_tf=True).fit_transform(
                seg
            )
        except ValueError:  # empty vocabulary
            return None
        dims = min(self.svd_dims, W.shape[1] - 1)
        if dims < 2:
            return None
        S = TruncatedSVD(dims, random_state=self.seed).fit_transform(W)
        S /= np.linalg.norm(S, axis=1, keepdims=True) + 1e-9
        return KMeans(k, random_state=self.seed, n_init=3).fit_predict(S)


def _binary_ngrams(norm: list[str], seg: list[str]) -> sp.csr_matrix:
    """Binary character 1-3-grams and word 1-2-grams seen in at least two texts of the batch."""
    from sklearn.feature_extraction.text import CountVectorizer

    blocks = []
    for analyzer, ngrams, docs in (("char", (1, 3), norm), ("word", (1, 2), seg)):
        v = CountVectorizer(analyzer=analyzer, ngram_range=ngrams, min_df=2, binary=True,
                            lowercase=False, dtype=np.float64,
                            token_pattern=r"\S+" if analyzer == "word" else None)  # fmt: skip
        try:
            blocks.append(v.fit_transform(docs))
        except ValueError:  # no n-gram occurs twice
            continue
    if not blocks:
        return sp.csr_matrix((len(norm), 0))
    return sp.hstack(blocks, format="csr")


def _hash_folds(texts: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Fold of each text from a hash of the text: independent of batch order."""
    salt = str(seed).encode()
    return np.array(
        [int.from_bytes(hashlib.blake2b(t.encode(), digest_size=4, salt=salt[:16]).digest(),
                        "little") % folds for t in texts],
        dtype=np.int64,
    )  # fmt: skip


def _cross_fitted_nb(X: sp.csr_matrix, w: np.ndarray, fold: np.ndarray, alpha: float) -> np.ndarray:
    """Per text, the L2-normalised NB score x·r / sqrt(x·r²) with r counted on the other folds.

    ``w`` are soft labels in [-1, 1]: a text adds w+ to the positive and w- to the negative counts.
    """
    pos = X.multiply(np.clip(w, 0.0, None).reshape(-1, 1)).tocsr()
    neg = X.multiply(np.clip(-w, 0.0, None).reshape(-1, 1)).tocsr()
    tot_p = np.asarray(pos.sum(axis=0)).ravel()
    tot_n = np.asarray(neg.sum(axis=0)).ravel()
    out = np.zeros(X.shape[0])
    for k in np.unique(fold):
        rows = np.flatnonzero(fold == k)
        p = tot_p - np.asarray(pos[rows].sum(axis=0)).ravel() + alpha
        q = tot_n - np.asarray(neg[rows].sum(axis=0)).ravel() + alpha
        r = np.log(p / p.sum()) - np.log(q / q.sum())
        Xk = X[rows]
        den = np.sqrt(Xk @ (r * r))
        out[rows] = np.divide(Xk @ r, den, out=np.zeros(rows.size), where=den > 0)
    return out


def _standardised(x: np.ndarray) -> np.ndarray:
    sd = float(np.std(x))
    return x / sd if sd > 0 else np.zeros_like(x)
