"""Contact normalisers: known answers, and properties that must hold for any text."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmine.errors import ConfigError
from crmine.quality.contacts import (
    CleanStats,
    normalise_emails,
    normalise_name,
    normalise_phones,
    normalise_text,
)

E164 = re.compile(r"\+[1-9]\d{1,14}")
any_text = st.lists(st.one_of(st.none(), st.text(max_size=40)), max_size=20)
phone_like = st.lists(
    st.one_of(
        st.text(alphabet="0123456789 +-()．０１２３４５６７８９x", max_size=22),
        st.from_regex(r"(\+|00)?(44|86|1)? ?1[3-9]\d{9}", fullmatch=True),
        st.text(max_size=20),
    ),
    max_size=20,
)


def _list(series: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in series]


# --- e-mail ---


def test_emails_known_answers() -> None:
    raw = pd.Series(
        [
            " Jane@Example.COM ",
            "mailto:JANE@example.com",
            "ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ",
            "Jane Doe <jane@example.com>",
            "li.lei@qq。com",
            "bad@",
            "no at sign",
            "a@b.c",
            None,
            "ok@example.org",
        ]
    )
    out, stats = normalise_emails(raw)
    assert _list(out) == ["jane@example.com"] * 4 + [
        "li.lei@qq.com",
        None,
        None,
        None,
        None,
        "ok@example.org",
    ]
    assert stats == CleanStats(changed=5, invalid=3)
    assert out.index.equals(raw.index)


@settings(max_examples=200, deadline=None)
@given(any_text)
def test_emails_idempotent_and_never_raise(values: list) -> None:
    once, _ = normalise_emails(pd.Series(values, dtype=object))
    twice, stats = normalise_emails(once)
    assert _list(twice) == _list(once)
    assert stats == CleanStats(0, 0)
    assert all(v == v.strip().lower() and "@" in v for v in once.dropna())


# --- phone ---


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+86 138 0013 8000", "GB", "+8613800138000"),
        ("13800138000", "CN", "+8613800138000"),
        ("13800138000", "GB", "+8613800138000"),  # Chinese mobile heuristic
        ("138-0013-8000", "DE", "+8613800138000"),
        ("8613800138000", "GB", "+8613800138000"),
        ("(020) 7946 0958", "GB", "+442079460958"),
        ("0044 20 7946 0958", "US", "+442079460958"),
        ("00 86 138 0013 8000", "GB", "+8613800138000"),
        ("０２０ ７９４６ ０９５８", "GB", "+442079460958"),
        ("＋８６ １３８ ００１３ ８０００", "GB", "+8613800138000"),
        ("020 7946 0958 ext. 123", "GB", "+442079460958"),
        ("020 7946 0958 x123", "GB", "+442079460958"),
        ("13800138000转123", "GB", "+8613800138000"),
        ("tel:+1-212-555-0123", "GB", "+12125550123"),
        ("(212) 555-0123", "US", "+12125550123"),
        ("n/a", "GB", None),
        ("12345", "GB", None),
        ("07700 900123", "GB", None),  # fictional range: not a valid number
        ("", "GB", None),
    ],
)
def test_phones_known_answers(raw: str, region: str, expected: str | None) -> None:
    out, _ = normalise_phones(pd.Series([raw]), region)
    assert _list(out) == [expected]


def test_phones_numeric_column_and_stats() -> None:
    raw = pd.Series([13800138000.0, None, 13800138000.0, 1.0])
    out, stats = normalise_phones(raw, "GB")
    assert _list(out) == ["+8613800138000", None, "+8613800138000", None]
    assert stats == CleanStats(changed=2, invalid=1)


def test_unknown_region_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="XX"):
        normalise_phones(pd.Series(["020 7946 0958"]), "XX")


def test_phones_possible_only_keeps_fictional_ranges() -> None:
    out, _ = normalise_phones(pd.Series(["07700 900123"]), "GB", require_valid=False)
    assert _list(out) == ["+447700900123"]


@settings(max_examples=100, deadline=None)
@given(phone_like, st.sampled_from(["GB", "CN", "US", "DE"]))
def test_phones_e164_idempotent_never_raise(values: list, region: str) -> None:
    once, _ = normalise_phones(pd.Series(values, dtype=object), region)
    assert all(E164.fullmatch(v) for v in once.dropna())
    twice, stats = normalise_phones(once, region)
    assert _list(twice) == _list(once)
    assert stats == CleanStats(0, 0)


# --- text and names ---


def test_text_known_answers() -> None:
    raw = pd.Series(["  Acme \t  Ltd ", "", "   ", None, "ＡＢＣ　１２３", "北京\u3000市"])
    assert _list(normalise_text(raw)) == ["Acme Ltd", None, None, None, "ABC 123", "北京 市"]


def test_name_known_answers() -> None:
    raw = pd.Series(
        ["O'Brien, Ann", "  o brien ann", "ＡＮＮ", "张 伟", "...", None, "\u1100.\u1161"]
    )
    assert _list(normalise_name(raw)) == ["obrienann", "obrienann", "ann", "张伟", None, None, "가"]


@settings(max_examples=200, deadline=None)
@given(any_text)
def test_text_and_name_idempotent_never_raise(values: list) -> None:
    series = pd.Series(values, dtype=object)
    text = normalise_text(series)
    assert _list(normalise_text(text)) == _list(text)
    assert all(v == v.strip() and "  " not in v for v in text.dropna())
    name = normalise_name(series)
    assert _list(normalise_name(name)) == _list(name)
    assert all(not re.search(r"[\W_]", v) for v in name.dropna())
