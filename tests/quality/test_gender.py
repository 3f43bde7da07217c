"""Gender spellings → female / male; anything unclear kept as written."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from crmine.quality.gender import normalise_gender


def test_spellings_in_english_and_chinese():
    raw = pd.Series(["女", " Female ", "M", "男性", "先生", "Mrs.", "ｆ", "other", "未知", None, ""])
    out = normalise_gender(raw).astype(object).where(lambda s: s.notna(), None).tolist()
    assert out == ["female", "female", "male", "male", "male", "female", "female", "other",
                   "未知", None, None]  # fmt: skip


@given(st.lists(st.one_of(st.none(), st.text(max_size=8)), max_size=30))
def test_idempotent_and_never_loses_a_clear_value(values):
    once = normalise_gender(pd.Series(values, dtype=object))
    twice = normalise_gender(once)
    assert once.tolist() == twice.tolist()
    assert len(once) == len(values)
