"""Batch self-training of the Chinese model: it learns a batch's own vocabulary from the base
model's confident verdicts, without labels, and depends only on the set of texts."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp

from crmine.models.text._zh import ZhFeatures, ZhSentiment, segment
from crmine.models.text._zh_batch import BatchSelfTraining, _cross_fitted_nb

SETTINGS = BatchSelfTraining(min_texts=50, texts_per_cluster=150, min_cluster=40, folds=5)


def _batch(seed: int = 0) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts of a new domain: the base log-odds z know only general words (很好 / 很差); on a
    quarter of the texts, which carry only the domain words 好书 / 盗版, z is a coin toss."""
    rng = np.random.default_rng(seed)
    texts, z, y = [], [], []
    for i in range(400):
        pos = bool(i % 2)
        domain = "好书" if pos else "盗版"
        if i % 4 != 3:  # general word + domain word: the base model is sure
            texts.append(f"{'很好' if pos else '很差'}，{domain}，第{i}本")
            z.append(3.0 if pos else -3.0)
        else:  # domain word only: the base model guesses
            texts.append(f"这本{domain}，编号{i}")
            z.append(rng.choice([-0.3, 0.3]))
        y.append(int(pos))
    order = rng.permutation(len(texts))
    return [texts[i] for i in order], np.array(z)[order], np.array(y)[order]


def _adapt(s: BatchSelfTraining, texts: list[str], z: np.ndarray) -> np.ndarray:
    norm = ZhFeatures().normalise(texts)
    return s.adapt(z, norm, segment(norm))


def test_learns_the_batch_vocabulary_from_confident_texts() -> None:
    texts, z, y = _batch()
    # one global batch model: in this toy batch the unsure texts share a template ("这本…编号"),
    # so the word clusters would put them apart from the confident texts they learn from
    out = _adapt(replace(SETTINGS, max_clusters=1), texts, z)
    unsure = np.abs(z) < 1
    assert ((z[unsure] > 0) == y[unsure]).mean() < 0.7
    assert ((out[unsure] > 0) == y[unsure]).mean() > 0.95
    assert ((out[~unsure] > 0) == y[~unsure]).all()


def test_depends_only_on_the_set_of_texts() -> None:
    texts, z, _ = _batch()
    out = _adapt(SETTINGS, texts, z)
    perm = np.random.default_rng(1).permutation(len(texts))
    out_perm = _adapt(SETTINGS, [texts[i] for i in perm], z[perm])
    np.testing.assert_allclose(out_perm, out[perm])
    doubled = _adapt(SETTINGS, texts + texts[:50], np.concatenate([z, z[:50]]))
    np.testing.assert_allclose(doubled[: len(texts)], out)
    np.testing.assert_allclose(doubled[len(texts) :], out[:50])


def test_small_batches_are_left_unchanged() -> None:
    texts, z, _ = _batch()
    small = BatchSelfTraining(min_texts=len(texts) + 1)
    np.testing.assert_array_equal(_adapt(small, texts, z), z)
    np.testing.assert_array_equal(_adapt(SETTINGS, texts[:10], z[:10]), z[:10])


def test_cross_fitting_keeps_a_text_from_echoing_its_own_label() -> None:
    """A text's batch score does not change when only its own pseudo-label does."""
    rng = np.random.default_rng(0)
    X = sp.csr_matrix((rng.random((60, 30)) < 0.2).astype(float))
    w = rng.uniform(-1, 1, 60)
    fold = np.arange(60) % 5
    out = _cross_fitted_nb(X, w, fold, alpha=0.1)
    for i in (0, 7, 33):
        flipped = w.copy()
        flipped[i] = -w[i]
        assert _cross_fitted_nb(X, flipped, fold, alpha=0.1)[i] == pytest.approx(out[i])
    assert not np.allclose(_cross_fitted_nb(X, -w, fold, alpha=0.1), out)


def test_settings_travel_with_the_model_arrays() -> None:
    texts = ["质量很好", "非常满意", "很失望", "质量太差"] * 3
    y = np.array([1, 1, 0, 0] * 3)
    m = ZhSentiment(ZhFeatures(n_features=2**12), min_df=1, batch=SETTINGS).fit(texts, y)
    meta, arrays = m.to_arrays()
    assert ZhSentiment.from_arrays(meta, arrays).batch == SETTINGS
    meta["batch_self_training"] = None
    assert ZhSentiment.from_arrays(meta, arrays).batch is None
    # a batch below min_texts scores exactly as each text on its own
    np.testing.assert_array_equal(m.score(texts), m.score(texts, adapt=False))
