"""The Chinese model: folded scoring matches the plain NB-normalised logistic regression, and
persistence as arrays round-trips."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from crmine.models.text._zh import ZhFeatures, ZhSentiment
from crmine.models.text._zh_lexicon import N_FEATURES, lexicon_features

POS = ["质量很好", "非常满意", "物流很快，很好用", "推荐购买，超值", "喜欢，会回购", "不错不错"]
NEG = ["质量太差", "很失望", "物流太慢了", "坏了，退货", "不满意", "垃圾，不推荐"]


def _fit() -> tuple[ZhSentiment, list[str], np.ndarray]:
    texts = (POS + NEG) * 3
    y = np.array(([1] * len(POS) + [0] * len(NEG)) * 3)
    feats = ZhFeatures(n_features=2**12)
    return ZhSentiment(feats, C=5.0, min_df=1).fit(texts, y), texts, y


def test_scoring_matches_the_documented_formula() -> None:
    m, texts, y = _fit()
    assert ((m.decision_function(texts) > 0) == y).all()
    # gold, written plainly: logit = sum(a_j) / sqrt(sum(q_j)) over the text's stored buckets
    new = ["很好，但是物流太慢", "一点也不满意", "完全无关的句子"]
    norm = m.features.normalise(new)
    X = m.features.ngrams(norm).toarray() > 0
    a = dict(zip(m.index_.tolist(), m.a_.astype(np.float64), strict=True))
    q = dict(zip(m.index_.tolist(), m.q_.astype(np.float64), strict=True))
    lex = lexicon_features(pd.Series(norm, dtype="str")) @ m.lexicon_coef_
    gold = []
    for row, lx in zip(X, lex, strict=True):
        cols = [j for j in np.flatnonzero(row) if j in a]
        den = np.sqrt(sum(q[j] for j in cols))
        gold.append((sum(a[j] for j in cols) / den if den > 0 else 0.0) + lx + m.intercept_)
    np.testing.assert_allclose(m.decision_function(new), gold, rtol=1e-6, atol=1e-9)


def test_arrays_round_trip_through_npz_and_json() -> None:
    m, texts, _ = _fit()
    meta, arrays = m.to_arrays()
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    buf.seek(0)
    with np.load(buf, allow_pickle=False) as npz:
        back = ZhSentiment.from_arrays(json.loads(json.dumps(meta)), {k: npz[k] for k in npz.files})
    np.testing.assert_array_equal(back.index_, m.index_)
    np.testing.assert_allclose(back.decision_function(texts), m.decision_function(texts))


def test_lexicon_negation() -> None:
    f = lexicon_features(pd.Series(["很满意", "不满意", "没有问题", "有问题"], dtype="str"))
    pos, neg, npos, nneg = (f[:, :4] > 0).T
    assert pos.tolist() == [True, False, False, False]
    assert npos.tolist() == [False, True, False, False]
    assert nneg.tolist() == [False, False, True, False]
    assert neg[[0, 2, 3]].tolist() == [False, False, True]  # "不满" is itself a negative word


def test_lexicon_reads_the_clause_after_a_turn_word() -> None:
    f = lexicon_features(
        pd.Series(["物流太慢，但是质量很好", "质量很好，但是物流太慢", "很好"], dtype="str")
    )
    after_turn, last_clause, has_turn = f[:, 10], f[:, 11], f[:, 12]
    assert after_turn[0] > 0 > after_turn[1] and after_turn[2] == 0
    assert last_clause[0] > 0 > last_clause[1]
    assert has_turn.tolist() == [1.0, 1.0, 0.0]
    assert f.shape[1] == N_FEATURES


def test_grouped_stacking_fits_and_needs_two_groups() -> None:
    texts = (POS + NEG) * 3
    y = np.array(([1] * len(POS) + [0] * len(NEG)) * 3)
    groups = np.repeat(["a", "b", "c"], len(POS) + len(NEG))
    m = ZhSentiment(ZhFeatures(n_features=2**12), C=5.0, min_df=1).fit(texts, y, groups=groups)
    assert m.grouped_ and ((m.decision_function(texts) > 0) == y).all()
    with pytest.raises(ValueError, match="two distinct"):
        ZhSentiment(ZhFeatures(n_features=2**12), min_df=1).fit(texts, y, groups=["a"] * len(y))
