"""Voice maths: kinds from score ranges, NPS/CSAT against hand counts, drivers, honest adaptation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmine.models.text import SentimentModel
from crmine.models.voice import (
    Driver,
    attribute_drivers,
    cross_fit_sentiment,
    csat,
    driver_effects,
    nps,
    voice_summary,
    weak_polarity,
)
from crmine.quality.feedback import infer_kind, normalised_score


def test_infer_kind_from_ranges():
    text = np.array([True, False, True, False])
    assert list(infer_kind(np.array([0, 10, 7, 3.0]), text)) == ["nps"] * 4
    assert list(infer_kind(np.array([1, 6, 9, 2.0]), text)) == ["nps"] * 4  # above 5: 0-10
    assert list(infer_kind(np.array([1, 5, 3, 2.0]), text)) == [
        "review",
        "rating",
        "review",
        "rating",
    ]
    assert list(infer_kind(np.array([12, 80, 3, 2.0]), text)) == [None] * 4  # 0-100: unknown
    assert list(infer_kind(np.array([1.5, 4.5, 3, 2.0]), text)) == [
        "review",
        "rating",
        "review",
        "rating",
    ]
    assert list(infer_kind(np.full(4, np.nan), text)) == ["review", None, "review", None]


def test_normalised_score_and_polarity():
    u = normalised_score(np.array(["nps", "rating", "review", None, "nps"], dtype=object),
                         np.array([10, 1, 4, 3, 12.0]))  # fmt: skip
    np.testing.assert_allclose(u, [1.0, 0.0, 0.75, np.nan, np.nan])
    assert list(weak_polarity(u)) == [1, 0, 1, -1, -1]


def test_nps_and_csat_by_hand():
    assert nps(np.array([10, 9, 8, 7, 6, 0])) == pytest.approx(0.0)
    assert nps(np.array([10, 10, 0, np.nan])) == pytest.approx(100 / 3)
    assert np.isnan(nps(np.array([])))
    assert csat(np.array([5, 4, 3, 1])) == pytest.approx(50.0)


def test_voice_summary_matches_groupwise_gold():
    rng = np.random.default_rng(3)
    n = 400
    kind = rng.choice(["nps", "rating", "review", None], n)
    score = np.where(kind == "nps", rng.integers(0, 11, n), rng.integers(1, 6, n)).astype(float)
    region = rng.choice(["north", "south", None], n)
    sent = rng.uniform(-1, 1, n)
    frame = pd.DataFrame(
        {
            "kind": kind,
            "score": score,
            "region": region,
            "sentiment": sent,
            "sentiment_label": np.where(sent < -0.1, "negative", "positive"),
        }
    )
    out = voice_summary(frame, ["region"], min_n=1).set_index(["dimension", "value", "metric"])
    for reg in ("north", "south"):
        m = region == reg
        assert out.loc[("region", reg, "nps"), "score"] == pytest.approx(
            nps(score[m & (kind == "nps")])
        )
        stars = m & np.isin(kind, ["rating", "review"])
        assert out.loc[("region", reg, "csat"), "score"] == pytest.approx(csat(score[stars]))
        assert out.loc[("region", reg, "csat"), "n"] == stars.sum()
        assert out.loc[("region", reg, "mean_sentiment"), "score"] == pytest.approx(sent[m].mean())
    assert out.loc[("all", "all", "nps"), "n"] == (kind == "nps").sum()
    big = voice_summary(frame, ["region"], min_n=10_000)
    assert big.empty


def test_driver_effects_recover_known_effects():
    rng = np.random.default_rng(0)
    n = 3000
    delivery = rng.random(n) < 0.3
    price = rng.random(n) < 0.2
    noise_topic = rng.random(n) < 0.25
    y = 8.0 - 1.5 * delivery + 0.6 * price + rng.normal(0, 1.0, n)
    drivers = [
        Driver('"delivery"', delivery, "topic"),
        Driver('"price"', price, "topic"),
        Driver('"colour"', noise_topic, "topic"),
        Driver('"rare"', rng.random(n) < 0.002, "topic"),
    ]
    out = driver_effects(y, drivers, unit="points", min_n=20).set_index("driver")
    assert '"rare"' not in out.index  # too few mentions to estimate
    assert out.loc['"delivery"', "effect"] == pytest.approx(-1.5, abs=0.15)
    assert out.loc['"price"', "effect"] == pytest.approx(0.6, abs=0.15)
    assert out.loc['"delivery"', "ci_low"] < -1.5 < out.loc['"delivery"', "ci_high"]
    assert bool(out.loc['"delivery"', "significant"])
    assert "lower the score by 1.5" in out.loc['"delivery"', "sentence"]
    assert out.index[0] == '"delivery"'  # the strongest clear effect first


def test_attribute_drivers_drop_restatements_of_the_score():
    rng = np.random.default_rng(1)
    n = 600
    score = rng.integers(1, 6, n).astype(float)
    frame = pd.DataFrame({
        "flag": np.where(score >= 3, "good", "bad"),  # derived from the score
        "colour": rng.choice(["black", "white", "oak"], n, p=[0.5, 0.3, 0.2]),
    })  # fmt: skip
    drivers, dropped = attribute_drivers(frame, ["flag", "colour"], score, min_n=20)
    assert dropped == ["flag"]
    assert {d.name for d in drivers} == {"colour = white", "colour = oak"}
    assert all(d.reference == "colour = black" for d in drivers)


class _Zero:
    """A base scorer with no opinion: only adaptation can learn anything."""

    def score(self, texts: list[str]) -> np.ndarray:
        return np.zeros(len(texts))


def _zero_model() -> SentimentModel:
    return SentimentModel({"en": _Zero(), "zh": _Zero()})


def test_cross_fit_learns_domain_words_on_held_out_folds():
    rng = np.random.default_rng(5)
    n = 300
    good = rng.random(n) < 0.5
    filler = rng.choice(["the speaker", "my device", "this unit", "it"], n)
    texts = pd.Series(np.where(good, filler + " blips nicely " + np.arange(n).astype(str),
                               filler + " zorps again " + np.arange(n).astype(str)))  # fmt: skip
    rating = np.where(good, 1.0, 0.0)
    rating[:40] = np.nan  # unrated: scored by the fold models' mean
    res = cross_fit_sentiment(_zero_model(), texts, rating, folds=5, min_rated=20)
    assert res.adapted
    assert res.metrics["balanced_accuracy_sign_before"] == pytest.approx(0.5)
    assert res.metrics["balanced_accuracy_sign_after"] > 0.95
    assert res.metrics["heldout_texts"] == n - 40
    assert ((res.scores[:40] > 0) == good[:40]).mean() > 0.95
    assert np.array_equal(res.model.label(res.scores), res.labels)


def test_cross_fit_never_scores_a_text_with_its_own_rating():
    # each text is unique noise and its rating a coin flip: a model that saw a text's rating
    # could memorise it; scored out of fold, agreement must stay near chance
    rng = np.random.default_rng(11)
    n = 400
    texts = pd.Series([f"word{i} item{i * 7919 % 10007}" for i in range(n)])
    rating = (rng.random(n) < 0.5).astype(float)
    res = cross_fit_sentiment(_zero_model(), texts, rating, folds=5, min_rated=20,
                              keep_if_worse=False)
    assert res.adapted
    assert res.metrics["balanced_accuracy_sign_after"] < 0.6
    # sanity: an in-sample fit does memorise, so the check above can fail
    leaky = _zero_model().adapt(texts, rating, scale=(0, 1)).score(texts)
    y = rating.astype(int)
    in_sample = np.mean([((leaky > 0) == 1)[y == 1].mean(), ((leaky > 0) == 0)[y == 0].mean()])
    assert in_sample > 0.9


class _Counting:
    """A base scorer whose score depends on the batch it is given (like self-training)."""

    def __init__(self) -> None:
        self.calls = 0

    def score(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        return np.full(len(texts), 0.1 if len(texts) > 300 else -0.1)


def test_cross_fit_scores_the_base_once_on_the_whole_batch():
    scorer = _Counting()
    model = SentimentModel({"en": scorer, "zh": scorer})
    rng = np.random.default_rng(2)
    texts = pd.Series([f"the speaker {'blips' if g else 'zorps'} {i}"
                       for i, g in enumerate(rng.random(400) < 0.5)])  # fmt: skip
    res = cross_fit_sentiment(model, texts, (rng.random(400) < 0.5).astype(float), min_rated=20,
                              keep_if_worse=False)
    assert res.adapted and scorer.calls == 1
    assert np.all(res.base_scores == 0.1)  # the whole batch's base, never a fold subset's
    adapted = res.model.models[0]
    np.testing.assert_allclose(adapted.score(texts[:50], base=np.full(50, 0.1)),
                               adapted.score(texts[:50], base=res.base_scores[:50]))


def test_cross_fit_keeps_the_base_model_when_adapting_loses_on_held_out_texts():
    # ratings that contradict what the texts say: adapting can only learn noise
    good = np.arange(300) % 2 == 0
    texts = pd.Series(np.where(good, "love it, great", "awful, broke") + pd.Series(
        np.arange(300).astype(str)))
    base = SentimentModel({"en": _Sign(), "zh": _Sign()})
    rating = np.random.default_rng(1).random(300).round()
    res = cross_fit_sentiment(base, texts, rating, folds=5, min_rated=20)
    assert not res.adapted and res.metrics["kept"].startswith("shipped model")
    assert res.metrics["balanced_accuracy_label_after"] < res.metrics["balanced_accuracy_label_before"]
    np.testing.assert_array_equal(res.scores, res.base_scores)


class _Sign:
    """A base scorer that reads the first word: right about the texts, blind to ratings."""

    def score(self, texts: list[str]) -> np.ndarray:
        return np.array([0.8 if str(t).startswith("love") else -0.8 for t in texts])


def test_cross_fit_keeps_base_model_without_enough_ratings():
    texts = pd.Series(["good stuff", "bad stuff", "ok"] * 5)
    res = cross_fit_sentiment(_zero_model(), texts, np.full(15, np.nan), min_rated=20)
    assert not res.adapted
    np.testing.assert_array_equal(res.scores, res.base_scores)
    assert set(res.labels) == {"neutral"}
