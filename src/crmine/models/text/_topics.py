"""Topics in feedback: NMF on TF-IDF, one model per language, labelled by their top terms.

Chinese is segmented with jieba and only words of two or more characters are kept (single
characters are mostly function words); English uses word 1-2-grams without stop words. A text gets
the topics that hold at least `min_share` of its NMF weight (at most `max_per_text`), so a review
about "delivery" and "price" can carry both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmine.models.text._language import as_text_series

MIN_TEXTS = 20  # fewer texts than this in a language: no topics for it


@dataclass(frozen=True)
class TopicResult:
    """``per_text``: topic labels per input text (list, possibly empty); ``topics``: one row per
    topic with language, topic_id, label, top_terms and size (texts whose main topic it is)."""

    per_text: list[list[str]]
    topics: pd.DataFrame


def extract_topics(texts: Iterable[object], languages: Iterable[str], *, n_topics: int = 8,
                   n_terms: int = 3, min_share: float = 0.3, max_per_text: int = 2,
                   random_state: int = 0) -> TopicResult:  # fmt: skip
    """Topics per language ('zh', 'en'); texts of other languages get no topics."""
    if n_topics < 1:
        raise ValueError(f"n_topics must be >= 1, got {n_topics}")
    s = as_text_series(texts)
    langs = np.asarray(list(languages), dtype=str)
    if len(langs) != len(s):
        raise ValueError(f"{len(langs)} languages for {len(s)} texts")
    per_text: list[list[str]] = [[] for _ in range(len(s))]
    tables = []
    for lang in ("zh", "en"):
        rows = np.flatnonzero(langs == lang)
        if rows.size < MIN_TEXTS:
            continue
        docs = s.iloc[rows].tolist()
        fitted = _fit_language(lang, docs, n_topics, n_terms, random_state)
        if fitted is None:
            continue
        W, table = fitted
        tables.append(table)
        labels = table["label"].to_numpy()
        total = W.sum(axis=1, keepdims=True)
        share = np.divide(W, total, out=np.zeros_like(W), where=total > 0)
        order = np.argsort(-share, axis=1)[:, :max_per_text]
        keep = np.take_along_axis(share, order, axis=1) >= min_share
        for i, (o, k) in enumerate(zip(order, keep, strict=True)):
            per_text[rows[i]] = labels[o[k]].tolist()
    cols = ["language", "topic_id", "label", "top_terms", "size"]
    topics = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=cols)
    return TopicResult(per_text, topics)


def _fit_language(lang: str, docs: list[str], n_topics: int, n_terms: int,
                  random_state: int) -> tuple[np.ndarray, pd.DataFrame] | None:  # fmt: skip
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    if lang == "zh":
        from crmine.models.text._zh import segment

        docs = segment(docs)
        vec = TfidfVectorizer(token_pattern=r"(?u)\b\w\w+\b", max_df=0.8, min_df=2,
                              sublinear_tf=True)  # fmt: skip
    else:
        vec = TfidfVectorizer(stop_words="english", ngram_range=(1, 2), max_df=0.8, min_df=2,
                              sublinear_tf=True, token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b")  # fmt: skip
    try:
        X = vec.fit_transform(docs)
    except ValueError:  # no term survives min_df / max_df: nothing to find
        return None
    k = min(n_topics, X.shape[0] - 1, X.shape[1])
    if k < 1:
        return None
    nmf = NMF(n_components=k, init="nndsvda", random_state=random_state, max_iter=400)
    W = nmf.fit_transform(X)
    terms = vec.get_feature_names_out()
    top = np.argsort(-nmf.components_, axis=1)[:, :n_terms]
    top_terms = [terms[t].tolist() for t in top]
    sep = " / "
    label = [f"{lang}: {sep.join(t)}" for t in top_terms]
    size = np.bincount(W.argmax(axis=1), minlength=k)
    table = pd.DataFrame({"language": lang, "topic_id": np.arange(k), "label": label,
                          "top_terms": top_terms, "size": size})  # fmt: skip
    return W, table
