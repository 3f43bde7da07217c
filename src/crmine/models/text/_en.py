"""English sentiment: a valence-lexicon scorer with negation, intensifier and contrast rules.

The lexicon is VADER's (MIT licence, Hutto & Gilbert 2014) plus review-specific words and phrases
from `_en_rules`. Scoring is vectorised over one flat token array for all texts: tokenising is the
only per-text Python step. The score is VADER's normalisation of the summed valence, in (-1, 1).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from itertools import chain

import numpy as np
import pandas as pd

from crmine.models.text import _en_rules as R

_TOKEN = re.compile(
    r"[a-z0-9]+(?:'[a-z]+)?|[.!?;,]|[" + "".join(sorted(R.EMOJI)) + r"]",
)
_PUNCT = frozenset(".!?;,")
_ALPHA = 15.0  # VADER's normalisation constant


def normalise_en(text: str) -> str:
    """Lower-case, decode HTML entities, fold curly apostrophes."""
    return html.unescape(text).replace("\u2019", "'").replace("\u2018", "'").lower()


def tokenise_en(texts: Sequence[str]) -> list[list[str]]:
    """Word, punctuation and emoji tokens per text, apostrophes dropped ("don't" -> "dont")."""
    return [[t.replace("'", "") for t in _TOKEN.findall(normalise_en(x))] for x in texts]


class LexiconScorer:
    """Rule-based valence scorer; `score(texts)` returns values in (-1, 1), 0 when no signal."""

    def __init__(self, lexicon: Mapping[str, float]) -> None:
        words = {k.replace("'", ""): v for k, v in lexicon.items()}
        words.update(R.WORDS)
        words.update(R.EMOJI)
        self.words_ = pd.Index(list(words))
        self.valences_ = np.array(list(words.values()), dtype=np.float64)
        self.phrases_ = pd.Index([f"{a} {b}" for a, b in R.PHRASES])
        self.phrase_valences_ = np.array(list(R.PHRASES.values()), dtype=np.float64)

    def score(self, texts: Sequence[str]) -> np.ndarray:
        return self.score_tokens(tokenise_en(texts))

    def score_tokens(self, tokens: list[list[str]]) -> np.ndarray:
        n = len(tokens)
        lengths = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=n)
        if lengths.sum() == 0:
            return np.zeros(n)
        flat = np.array(list(chain.from_iterable(tokens)), dtype=object)
        doc = np.repeat(np.arange(n), lengths)
        total = np.bincount(doc, weights=_token_valences(self, flat, doc, n), minlength=n)
        return total / np.sqrt(total * total + _ALPHA)


@cache
def shipped_lexicon() -> LexiconScorer:
    """The scorer on the shipped lexicon (assets/en_lexicon.tsv: VADER's, MIT), read once."""
    assets = resources.files("crmine.models.text") / "assets"
    lexicon: dict[str, float] = {}
    for line in (assets / "en_lexicon.tsv").read_text(encoding="utf-8").splitlines():
        word, valence = line.split("\t")
        lexicon[word] = float(valence)
    return LexiconScorer(lexicon)


def _shift(a: np.ndarray, k: int, fill: object) -> np.ndarray:
    """a shifted right by k (out[i] = a[i-k]), padded with fill."""
    out = np.empty_like(a)
    out[:k] = fill
    out[k:] = a[:-k]
    return out


def _clause_seen(flag: np.ndarray, clause: np.ndarray) -> np.ndarray:
    """True for tokens after a flagged token in the same clause (the flagged token excluded)."""
    csum = np.cumsum(flag)
    starts = np.concatenate(([0], np.flatnonzero(clause[1:] != clause[:-1]) + 1))
    run = np.diff(np.append(starts, len(flag)))
    return (csum - flag - np.repeat((csum - flag)[starts], run)) > 0


def clauses(tok: pd.Series, doc: np.ndarray) -> np.ndarray:
    """Clause id per token of a flat token array: a clause ends at punctuation, a contrast word
    or the end of a text (the punctuation or contrast token opens the next clause)."""
    is_break = tok.isin(_PUNCT).to_numpy() | tok.isin(R.CONTRAST).to_numpy()
    doc_start = np.concatenate(([True], doc[1:] != doc[:-1])) if len(doc) else np.zeros(0, bool)
    return np.cumsum(is_break | doc_start)


def after_negator(tok: pd.Series, clause: np.ndarray) -> np.ndarray:
    """True for tokens after a negator in the same clause ("not" in "not very good ." marks
    "very" and "good"), the marking of Das & Chen (2001) for n-gram models."""
    return _clause_seen(tok.isin(R.NEGATORS).to_numpy(), clause)


def _token_valences(m: LexiconScorer, flat: np.ndarray, doc: np.ndarray, n: int) -> np.ndarray:
    """Each token's valence after phrases, intensifiers, negation, irrealis and contrast."""
    pos = m.words_.get_indexer(flat)
    val = np.where(pos >= 0, m.valences_[pos], 0.0)
    tok = pd.Series(flat)

    # two-word phrases override both words and are not negated again
    in_phrase = np.zeros(len(flat), dtype=bool)
    if len(flat) > 1:
        bigrams = tok.iloc[:-1].reset_index(drop=True) + " " + tok.iloc[1:].reset_index(drop=True)
        which = m.phrases_.get_indexer(bigrams.to_numpy(dtype=object))
        hit = np.flatnonzero((which >= 0) & (doc[:-1] == doc[1:]))
        if hit.size:
            val[hit + 1] = 0.0
            val[hit] = m.phrase_valences_[which[hit]]
            in_phrase[hit] = in_phrase[hit + 1] = True

    is_contrast = tok.isin(R.CONTRAST).to_numpy()
    clause = clauses(tok, doc)  # clause ids never straddle texts
    same = np.concatenate(([False], clause[1:] == clause[:-1]))

    # intensifiers / dampeners on the next word
    prev_boost = _shift(tok.isin(R.BOOSTERS).to_numpy(), 1, False) & same
    prev_damp = _shift(tok.isin(R.DAMPENERS).to_numpy(), 1, False) & same
    val = val + np.sign(val) * R.BOOST * (prev_boost.astype(float) - prev_damp)

    # negation: a negator within NEGATION_SCOPE tokens before, in the same clause
    is_neg = tok.isin(R.NEGATORS).to_numpy()
    negated = np.zeros(len(flat), dtype=bool)
    reach = same.copy()
    for k in range(1, R.NEGATION_SCOPE + 1):
        if k > 1:
            reach &= _shift(same, k - 1, False)
        negated |= _shift(is_neg, k, False) & reach
    val = np.where(negated & ~in_phrase, val * R.NEGATION_FACTOR, val)

    # irrealis: expectations and wishes ("should work", "I wish it were") are not experience
    irrealis = _clause_seen(tok.isin(R.IRREALIS).to_numpy(), clause)
    val = np.where(irrealis & ~in_phrase, 0.0, val)
    val = np.where(val < 0, val * R.NEGATIVE_WEIGHT, val)

    # contrast: "… but …" weights the verdict after the first contrast word
    starts = np.concatenate(([0], np.flatnonzero(doc[1:] != doc[:-1]) + 1))
    csum = np.cumsum(is_contrast)
    before_doc = (csum - is_contrast)[starts]
    seen = csum - np.repeat(before_doc, np.diff(np.append(starts, len(flat))))
    has = np.bincount(doc, weights=is_contrast, minlength=n) > 0
    factor = np.where(has[doc], np.where(seen > 0, R.AFTER_CONTRAST, R.BEFORE_CONTRAST), 1.0)

    return val * factor
