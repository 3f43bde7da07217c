"""Topics: planted themes are recovered per language and labelled by their terms."""

from __future__ import annotations

import numpy as np
import pytest

from crmine.models.text import extract_topics

EN_THEMES = {
    "delivery": [
        "delivery late",
        "courier lost delivery",
        "delivery took weeks",
        "delivery courier",
    ],
    "battery": [
        "battery drains",
        "battery charging slow",
        "charging cable battery",
        "battery life",
    ],
}
ZH_THEMES = {
    "物流": ["物流太慢了", "快递物流很快", "物流速度一般", "快递员送货物流"],
    "价格": ["价格便宜实惠", "价格太贵了", "价格优惠划算", "这个价格实惠"],
}


def _corpus(themes: dict[str, list[str]], n: int, rng: np.random.Generator) -> tuple[list, list]:
    keys = list(themes)
    truth = rng.integers(0, len(keys), n)
    texts = [str(rng.choice(themes[keys[t]])) for t in truth]
    return texts, [keys[t] for t in truth]


def test_planted_topics_recovered() -> None:
    rng = np.random.default_rng(1)
    en, en_truth = _corpus(EN_THEMES, 60, rng)
    zh, zh_truth = _corpus(ZH_THEMES, 60, rng)
    texts = [*en, *zh, "", None]
    langs = ["en"] * 60 + ["zh"] * 60 + ["unknown", "unknown"]
    res = extract_topics(texts, langs, n_topics=2, n_terms=2)
    assert len(res.per_text) == len(texts)
    assert res.per_text[-2:] == [[], []]
    assert set(res.topics["language"]) == {"en", "zh"}
    assert res.topics["size"].sum() == 120
    # every planted theme maps to one topic whose label names the theme word
    for truth, offset in ((en_truth, 0), (zh_truth, 60)):
        for theme in set(truth):
            got = {res.per_text[offset + i][0] for i, t in enumerate(truth) if t == theme}
            assert len(got) == 1 and theme in next(iter(got))


def test_small_languages_get_no_topics() -> None:
    res = extract_topics(["good"] * 5, ["en"] * 5)
    assert res.per_text == [[]] * 5 and res.topics.empty


def test_validation() -> None:
    with pytest.raises(ValueError):
        extract_topics(["a"], ["en", "en"])
    with pytest.raises(ValueError):
        extract_topics(["a"], ["en"], n_topics=0)
