"""The attribute encoder: text levels one-hot, missing text is no level."""

from __future__ import annotations

import pandas as pd

from crmine.models._tabular import TabularEncoder


def test_missing_text_values_encode_as_no_level():
    train = pd.DataFrame({"channel": pd.array(["web", "shop", "web", None], dtype="string")})
    score = pd.DataFrame({"channel": pd.array([None, "shop", pd.NA], dtype="string")})
    encoded = TabularEncoder().fit(train).transform(score)
    web = next(c for c in encoded.columns if c.endswith("web"))
    shop = next(c for c in encoded.columns if c.endswith("shop"))
    assert encoded[web].tolist() == [0.0, 0.0, 0.0]
    assert encoded[shop].tolist() == [0.0, 1.0, 0.0]
