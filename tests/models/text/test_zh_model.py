"""The Chinese model: folded scoring matches the plain NB-normalised logistic regression, and
persistence as arrays round-trips."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd

from crmine.models.text._zh import ZhFeatures, ZhSentiment
from crmine.models.text._zh_lexicon import lexicon_features

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
    pos, neg, npos, nneg = (f > 0).T
    assert pos.tolist() == [True, False, False, False]
    assert npos.tolist() == [False, True, False, False]
    assert nneg.tolist() == [False, False, True, False]
    assert neg[[0, 2, 3]].tolist() == [False, False, True]  # "不满" is itself a negative word
