"""The shipped sentiment models: offline loading, hand-written zh/en cases, edge cases, adaptation."""

from __future__ import annotations

import numpy as np
import pytest

from crmine.models.text import SentimentModel, load_default
from crmine.models.text._adapt import weak_labels
from crmine.models.text._en import LexiconScorer

CASES = [
    # Chinese, incl. negation
    ("质量很好，非常满意，会回购", "positive"),
    ("物流很快，包装完好，推荐购买", "positive"),
    ("不好", "negative"),
    ("一点也不满意", "negative"),
    ("太差了，再也不买了", "negative"),
    ("用了两天就坏了，退货", "negative"),
    ("房间很脏，服务态度差", "negative"),
    ("没有问题，很好用", "positive"),
    # English, incl. negation and contrast
    ("Love it, works great and the sound is amazing!", "positive"),
    ("Excellent service, thank you so much", "positive"),
    ("not good", "negative"),
    ("It wasn't worth it.", "negative"),
    ("Stopped working after two weeks, sending it back.", "negative"),
    ("Looks nice but the sound is terrible", "negative"),
    ("Not bad at all, no problems so far", "positive"),
    ("I would not recommend this to anyone", "negative"),
]


@pytest.fixture(scope="module")
def model() -> SentimentModel:
    return load_default()


def test_hand_written_cases(model: SentimentModel) -> None:
    texts = [t for t, _ in CASES]
    scores, labels = model.predict(texts)
    wrong = [(t, want, got, round(s, 3))
             for (t, want), got, s in zip(CASES, labels, scores, strict=True) if got != want]  # fmt: skip
    assert not wrong


def test_scores_bounded_and_edge_cases(model: SentimentModel) -> None:
    texts = ["", None, "   ", "😀😀😀", "😡", "12345", "好" * 3000, "bad " * 2000, float("nan")]
    scores, labels = model.predict(texts)
    assert scores.shape == (len(texts),) and labels.shape == (len(texts),)
    assert np.isfinite(scores).all() and (np.abs(scores) <= 1).all()
    assert labels[[0, 1, 2, 5, 8]].tolist() == ["neutral"] * 5
    assert scores[[0, 1, 2, 5, 8]].tolist() == [0.0] * 5
    assert labels[3] == "positive" and labels[4] == "negative"
    assert set(labels) <= {"negative", "neutral", "positive"}


def test_empty_batch(model: SentimentModel) -> None:
    scores, labels = model.predict([])
    assert scores.shape == (0,) and labels.shape == (0,)


def test_neutral_band() -> None:
    m = SentimentModel({}, neutral_band=0.2)
    assert m.label(np.array([-0.5, -0.2, -0.1, 0.0, 0.19, 0.2, 1.0])).tolist() == [
        "negative", "negative", "neutral", "neutral", "neutral", "positive", "positive"]  # fmt: skip
    with pytest.raises(ValueError):
        SentimentModel({}, neutral_band=1.5)


def test_order_and_routing_independent_of_batch(model: SentimentModel) -> None:
    texts = ["很好", "terrible", "一般般吧", "ok I guess"]
    together = model.score(texts)
    alone = np.array([model.score([t])[0] for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-9)
    np.testing.assert_allclose(model.score(texts[::-1]), together[::-1], atol=1e-9)


def test_weak_labels() -> None:
    assert weak_labels(np.array([1, 2, 3, 4, 5, np.nan]), (1, 5)).tolist() == [0, 0, -1, 1, 1, -1]
    assert weak_labels(np.array([0, 2, 5, 8, 10]), (0, 10)).tolist() == [0, 0, -1, 1, 1]
    with pytest.raises(ValueError):
        weak_labels(np.array([1]), (5, 1))


def _shifted_domain(rng: np.random.Generator, n: int) -> tuple[list[str], np.ndarray]:
    """Reviews whose sentiment is carried by domain words the lexicon does not know."""
    neg = ["the unit bricked", "firmware bricked it", "it bricked overnight", "keeps rebooting"]
    pos = [
        "pairs instantly",
        "battery lasts days",
        "pairs instantly every time",
        "setup took a minute",
    ]
    filler = ["the device", "arrived on tuesday", "my kitchen", "ordered another one"]
    y = rng.integers(0, 2, n)
    texts = [f"{rng.choice(filler)}, {rng.choice(pos if yi else neg)}, {rng.choice(filler)}"
             for yi in y]  # fmt: skip
    return texts, y


def test_adapt_improves_on_a_domain_shift() -> None:
    rng = np.random.default_rng(0)
    base = SentimentModel({"en": LexiconScorer({"good": 1.9, "bad": -2.5})})
    fit_texts, fit_y = _shifted_domain(rng, 200)
    test_texts, test_y = _shifted_domain(rng, 200)
    before = ((base.score(test_texts) > 0) == test_y).mean()
    adapted = base.adapt(fit_texts, np.where(fit_y == 1, 5, 1))
    after = ((adapted.score(test_texts) > 0) == test_y).mean()
    assert before < 0.7 and after > 0.95
    # the original model is untouched, and other languages keep their base scorer
    assert not base.corrections and set(adapted.corrections) == {"en"}


def test_adapt_keeps_base_when_too_few_ratings(model: SentimentModel) -> None:
    adapted = model.adapt(["很好", "很差", "good"], [5, 1, 5])
    assert not adapted.corrections
    np.testing.assert_allclose(adapted.score(["很好"]), model.score(["很好"]))


def test_adapt_rejects_mismatched_lengths(model: SentimentModel) -> None:
    with pytest.raises(ValueError):
        model.adapt(["a", "b"], [1])
