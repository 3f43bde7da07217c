"""The shipped models on the real evaluation sets (deduplicated as their READMEs ask).

The Chinese model was trained on the stratified 80% split only (see assets/MODEL_CARD.md), so the
20% scored here is unseen. Nothing is retrained except one small English adaptation.
"""

from __future__ import annotations

import numpy as np
import pytest
from bench.sentiment import (
    balanced_accuracy,
    load_alexa,
    load_online_shopping,
    split_online_shopping,
    vader_scores,
)

from crmine.models.text import SentimentModel, detect_language, load_default

pytestmark = pytest.mark.realdata

# measured 0.9382 scored as one batch (self-trained on it), 0.9384 text by text (target 0.95 not
# reached; see the model card)
ZH_HELDOUT_MIN = 0.938
EN_ALEXA_MIN = 0.89  # measured 0.8947: never trained on (its texts may not train a shipped model)


@pytest.fixture(scope="module")
def model() -> SentimentModel:
    return load_default()


@pytest.mark.slow
def test_chinese_heldout_accuracy(datasets_dir, model: SentimentModel) -> None:
    d = load_online_shopping(datasets_dir)
    _, te = split_online_shopping(d)
    test = d.iloc[te]
    assert (detect_language(test.review) == "zh").mean() > 0.99
    y = test.label.to_numpy()
    acc = float(((model.score(test.review) > 0) == y).mean())
    assert acc >= ZH_HELDOUT_MIN
    alone = model.scorers["zh"].score(test.review.tolist(), adapt=False)
    assert float(((alone > 0) == y).mean()) >= ZH_HELDOUT_MIN


def test_english_alexa_beats_vader(datasets_dir, model: SentimentModel) -> None:
    a = load_alexa(datasets_dir)
    assert len(a) > 2000 and (a.y == 0).sum() > 150  # deduplicated, 3 stars and " " removed
    ours = balanced_accuracy(a.y, model.score(a.verified_reviews) > 0)
    vader = balanced_accuracy(a.y, vader_scores(a.verified_reviews.tolist()) >= 0.05)
    assert ours >= EN_ALEXA_MIN
    assert ours > vader + 0.03


def test_adapt_on_alexa_half_helps_the_other_half(datasets_dir, model: SentimentModel) -> None:
    from sklearn.metrics import roc_auc_score

    a = load_alexa(datasets_dir)
    rng = np.random.default_rng(0)
    fit = rng.random(len(a)) < 0.5
    adapted = model.adapt(a.verified_reviews[fit], a.rating[fit])
    ev = a[~fit]
    base = model.score(ev.verified_reviews)
    new = adapted.score(ev.verified_reviews)
    # the shipped English model already ranks Alexa at AUC 0.95: less room than the lexicon had
    assert roc_auc_score(ev.y, new) > roc_auc_score(ev.y, base) + 0.004


@pytest.mark.slow
def test_english_recipe_on_review_domains_left_out_of_training(datasets_dir) -> None:
    """The shipped English recipe trained without a whole domain, tested on it: at least 0.80
    balanced accuracy on review domains it never saw, and above VADER on each."""
    from bench.sentiment import leave_one_domain_out, load_english_corpora

    corpora = load_english_corpora(datasets_dir)
    res = leave_one_domain_out(corpora, ["products", "restaurants"])
    assert set(res.index) == {"liu_customer_reviews", "uci_yelp"}
    assert (res["balanced_accuracy"] >= 0.80).all(), res
    assert (res["balanced_accuracy"] > res["vader_balanced_accuracy"] + 0.03).all(), res
