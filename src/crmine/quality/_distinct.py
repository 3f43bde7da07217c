"""Apply a per-value function once per distinct value, then broadcast back.

Cleaning functions that must call Python per value (unicodedata, phonenumbers) stay
proportional to the number of *distinct* values, which in CRM columns is far smaller than
the number of rows (cities, categories, currencies) or at worst equal to it (e-mails).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd


def map_distinct(values: pd.Series, fn: Callable[[str], str | None]) -> pd.Series:
    """``values`` mapped through ``fn`` (str -> str or None), NA kept NA, as a string Series.

    Non-string values are converted with ``str`` first so numbers read as numbers
    (phone columns often are) are still cleaned.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.array([fn(_as_text(u)) for u in uniques] + [None], dtype=object)
    out = mapped[codes]  # code -1 (NA) picks the trailing None
    return pd.Series(out, index=values.index, name=values.name, dtype="string")


def _as_text(value: object) -> str:
    """Text of a value; integral floats lose their ``.0`` (a phone read as a number)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def count_changes(before: pd.Series, after: pd.Series) -> tuple[int, int]:
    """(changed, invalid): present values rewritten to another value, and turned into NA."""
    present = before.notna().to_numpy()
    after_na = after.isna().to_numpy()
    invalid = int((present & after_na).sum())
    kept = present & ~after_na
    same = (
        before.astype("string").to_numpy(dtype=object)[kept] == after.to_numpy(dtype=object)[kept]
    )
    changed = int((~same.astype(bool)).sum())
    return changed, invalid


def until_stable(fn: Callable[[str], str], text: str, rounds: int = 4) -> str:
    """``fn`` applied until its output stops changing (at most ``rounds`` times).

    Unicode folds do not always compose: removing a character can bring together two that
    NFKC then combines (Hangul jamo around a dot), so one pass is not always idempotent.
    """
    for _ in range(rounds):
        folded = fn(text)
        if folded == text:
            break
        text = folded
    return text
