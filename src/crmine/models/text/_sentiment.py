"""Mixed-language sentiment: route each text by language, score in [-1, 1], label with a neutral band.

Scores are on one scale for both languages: 2 P(positive) - 1 from each language's trained model
(Chinese `_zh`, English `_en_ngram`). Texts with no sentiment signal (empty, None, digits) score 0
and are labelled neutral; their language is 'unknown'. Emoji-only texts go to the English scorer,
whose lexicon covers common emoji.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Protocol

import numpy as np

from crmine.models.text._adapt import DomainCorrection, weak_labels
from crmine.models.text._language import as_text_series, detect_language

_LOG = logging.getLogger(__name__)

NEUTRAL_BAND = 0.1
"""|score| below this is labelled neutral: P(positive) within 0.45-0.55 for Chinese, a lexicon
valence too weak to call for English (VADER's own band is 0.05)."""

# per language: which scorer handles it, and the n-grams the in-domain correction uses
_ROUTE = {"zh": "zh", "en": "en", "unknown": "en"}
_ADAPT_NGRAMS = {"zh": ("char", (1, 2)), "en": ("word", (1, 2))}


class Scorer(Protocol):
    def score(self, texts: list[str]) -> np.ndarray: ...


@dataclass
class SentimentModel:
    """Sentiment for Chinese and English feedback.

    ``scorers`` maps 'zh' / 'en' to a base scorer; ``corrections`` holds in-domain corrections fitted
    by `adapt`. Use `load_default()` for the shipped models.
    """

    scorers: Mapping[str, Scorer]
    neutral_band: float = NEUTRAL_BAND
    corrections: Mapping[str, DomainCorrection] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0.0 <= self.neutral_band < 1.0:
            raise ValueError(f"neutral_band must be in [0, 1), got {self.neutral_band}")

    def score(self, texts: Iterable[object], languages: np.ndarray | None = None, *,
              base: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
        """Sentiment in [-1, 1] per text (0 for texts without language).

        All texts of one language go to their scorer in one call: the Chinese model adapts to a
        batch of 200 or more distinct texts by self-training on it, so pass a workspace's texts
        together rather than one by one. ``base``: the base scorers' scores of these texts when
        already computed (on the whole batch), so only the corrections are applied.
        """
        s = as_text_series(texts)
        langs = detect_language(s) if languages is None else np.asarray(languages, dtype=str)
        if len(langs) != len(s) or (base is not None and len(base) != len(s)):
            raise ValueError(f"{len(langs)} languages for {len(s)} texts")
        out = np.zeros(len(s))
        for lang, route in _ROUTE.items():
            rows = np.flatnonzero(langs == lang)
            if rows.size == 0 or route not in self.scorers:
                continue
            sub = s.iloc[rows].tolist()
            raw = self.scorers[route].score(sub) if base is None else np.asarray(base)[rows]
            corr = self.corrections.get(lang)
            out[rows] = raw if corr is None else corr.score(sub, raw)
        return np.clip(out, -1.0, 1.0)

    def label(self, scores: np.ndarray) -> np.ndarray:
        """'negative' / 'neutral' / 'positive' with the neutral band around 0."""
        scores = np.asarray(scores, dtype=np.float64)
        out = np.full(scores.shape, "neutral", dtype=object)
        out[scores >= self.neutral_band] = "positive"
        out[scores <= -self.neutral_band] = "negative"
        if self.neutral_band == 0.0:
            out[scores == 0.0] = "neutral"
        return out.astype(str)

    def predict(self, texts: Iterable[object]) -> tuple[np.ndarray, np.ndarray]:
        """(scores in [-1, 1], labels) for mixed-language texts."""
        scores = self.score(texts)
        return scores, self.label(scores)

    def adapt(self, texts: Iterable[object], ratings: Iterable[float], *,
              scale: tuple[float, float] = (1, 5), C: float = 1.0,
              min_per_class: int = 10, base: np.ndarray | None = None) -> SentimentModel:  # fmt: skip
        """A copy corrected for this domain by the user's own rated texts.

        Ratings in the bottom quarter of ``scale`` are weak negatives, the top quarter weak
        positives (1-2 and 4-5 stars on 1-5); the middle is ignored. A language is corrected only
        when it has ``min_per_class`` texts of each class; otherwise its base model is kept.
        """
        s = as_text_series(texts)
        y = weak_labels(np.asarray(list(ratings), dtype=np.float64), scale)
        if len(y) != len(s):
            raise ValueError(f"{len(y)} ratings for {len(s)} texts")
        langs = detect_language(s)
        corrections = dict(self.corrections)
        for lang, (analyzer, ngrams) in _ADAPT_NGRAMS.items():
            rows = np.flatnonzero((langs == lang) & (y >= 0))
            counts = np.bincount(y[rows], minlength=2)
            if counts.min() < min_per_class:
                _LOG.info("adapt: %s kept as is (%d neg / %d pos rated texts)", lang, *counts)
                continue
            sub = s.iloc[rows].tolist()
            raw = self.scorers[_ROUTE[lang]].score(sub) if base is None else np.asarray(base)[rows]
            corrections[lang] = DomainCorrection(analyzer=analyzer, ngrams=ngrams, C=C).fit(
                sub, raw, y[rows]
            )
        return SentimentModel(self.scorers, self.neutral_band, corrections)


def load_default(neutral_band: float = NEUTRAL_BAND) -> SentimentModel:
    """The shipped Chinese and English models, read from package data (offline)."""
    assets = resources.files("crmine.models.text") / "assets"
    return SentimentModel({"zh": load_zh(assets), "en": load_en(assets)}, neutral_band)


def _arrays(path: Traversable) -> dict[str, np.ndarray]:
    with path.open("rb") as fh, np.load(fh) as npz:
        return {k: npz[k] for k in npz.files}


def load_zh(assets: Traversable) -> Scorer:
    """The Chinese model stored in ``assets`` (zh_sentiment.json + .npz)."""
    from crmine.models.text._zh import ZhSentiment

    meta = json.loads((assets / "zh_sentiment.json").read_text(encoding="utf-8"))
    return ZhSentiment.from_arrays(meta, _arrays(assets / "zh_sentiment.npz"))


def load_en(assets: Traversable) -> Scorer:
    """The English model stored in ``assets`` (en_sentiment.json + .npz, on en_lexicon.tsv)."""
    from crmine.models.text._en import shipped_lexicon
    from crmine.models.text._en_ngram import EnSentiment

    meta = json.loads((assets / "en_sentiment.json").read_text(encoding="utf-8"))
    return EnSentiment.from_arrays(meta, _arrays(assets / "en_sentiment.npz"), shipped_lexicon())
