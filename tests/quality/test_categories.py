"""Category unification: variants collapse to the most used spelling, aliases first."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from crmine.quality import unify_categories


def _list(series: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in series]


def test_variants_collapse_to_most_frequent_spelling() -> None:
    # fmt: off
    raw = pd.Series(
        [
            "Shoes", " shoes", "Shoe", "ＳＨＯＥＳ", "Shoes ", "Dress", "Dresses", "Home & Garden",
            "home-garden", "Bags", "bag", "bag", None, "  ",
        ]
    )
    # fmt: on
    out, mapping = unify_categories(raw)
    assert _list(out) == [
        "Shoes", "Shoes", "Shoes", "Shoes", "Shoes", "Dress", "Dresses", "Home & Garden",
        "Home & Garden", "bag", "bag", "bag", None, None,
    ]  # fmt: skip
    assert out.index.equals(raw.index)
    shoes = mapping[mapping["canonical"] == "Shoes"]
    assert dict(zip(shoes["variant"], shoes["count"], strict=True)) == {
        "Shoes": 1, "Shoes ": 1, " shoes": 1, "Shoe": 1, "ＳＨＯＥＳ": 1,
    }  # fmt: skip
    assert mapping["count"].sum() == raw.notna().sum()


def test_tie_goes_to_alphabetical_spelling() -> None:
    out, _ = unify_categories(pd.Series(["toys", "Toy", "Toys"]))
    assert _list(out) == ["Toy"] * 3


def test_aliases_apply_first_and_name_the_group() -> None:
    raw = pd.Series(["Tees", "tee", "T-Shirt", "t shirt", "T-Shirt", "Hats"])
    out, mapping = unify_categories(raw, aliases={"tee": "T-Shirts"})
    assert _list(out) == ["T-Shirts"] * 5 + ["Hats"]
    assert set(mapping.loc[mapping["canonical"] == "T-Shirts", "variant"]) == {
        "Tees", "tee", "T-Shirt", "t shirt",
    }  # fmt: skip


def test_chinese_labels_and_width_variants() -> None:
    out, _ = unify_categories(pd.Series(["女装", "女装 ", "女 装", "ＴＶ", "TV", "电视"]))
    assert _list(out) == ["女装", "女装", "女装", "TV", "TV", "电视"]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.sampled_from(["Shoes", "shoe", "SHOES!", "Bag", "bags"]),
            st.text(max_size=10),
        ),
        max_size=25,
    )
)
def test_unify_idempotent_and_never_raise(values: list) -> None:
    once, mapping = unify_categories(pd.Series(values, dtype=object))
    twice, _ = unify_categories(once)
    assert _list(twice) == _list(once)
    assert mapping["count"].sum() == sum(v is not None for v in values)
