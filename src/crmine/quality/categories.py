"""Unify spelling variants of category labels ("Shoes", "shoe", "SHOES ", "Ｓｈｏｅｓ").

Category is a model input (next-category, basket rules), so "Shoe" and "shoes" counted
apart would split one category's signal in two. Variants are grouped by a key that
ignores case, width, whitespace, punctuation and a plural "s"; each group takes its most
frequent spelling, so the output uses the labels the data already uses most.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from crmine.quality._distinct import until_stable
from crmine.quality.contacts import normalise_text

_NON_WORD = re.compile(r"[\W_]+")


def _fold(text: str) -> str:
    return _NON_WORD.sub(
        "", unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    )


def _key(text: str) -> str:
    """Grouping key: case-folded, width-folded, no punctuation or spaces, singular."""
    key = until_stable(_fold, text)
    if len(key) > 3 and key.endswith("s") and not key.endswith("ss"):
        key = key[:-1]
    return key or text


def unify_categories(
    values: pd.Series, aliases: dict[str, str] | None = None
) -> tuple[pd.Series, pd.DataFrame]:
    """Each category replaced by the canonical spelling of its group, and the mapping used.

    Values are first tidied (NFKC, trimmed, single spaces; empty → NA). ``aliases`` maps
    other names to a category (``{"Tees": "T-Shirts"}``); it is applied first, matching
    keys the same way as variants are grouped, and an alias target is the canonical
    spelling of its group. Otherwise the canonical spelling is the most frequent one, ties
    broken alphabetically. A plural is only a trailing "s" on a word longer than three
    letters and not ending "ss" ("Dress" stays, "Dresses" is not folded into it).

    The mapping frame has one row per distinct input value: variant, canonical, count
    (rows), sorted by canonical then count descending.
    """
    tidy = normalise_text(values)
    codes, spellings = pd.factorize(tidy, use_na_sentinel=True)
    spellings = np.asarray(spellings, dtype=object)
    alias_by_key = {
        _key(k): normalise_text(pd.Series([v])).iloc[0] for k, v in (aliases or {}).items()
    }
    alias_by_key = {k: v for k, v in alias_by_key.items() if isinstance(v, str)}
    aliased = np.array([alias_by_key.get(_key(s), s) for s in spellings], dtype=object)
    targets = set(alias_by_key.values())
    is_target = np.array([s in targets for s in aliased], dtype=bool)

    # Spellings after aliasing, with their row counts and whether an alias points at them.
    counts = np.bincount(codes[codes >= 0], minlength=len(spellings))
    table = pd.DataFrame({"spelling": aliased, "rows": counts, "target": is_target})
    table = table.groupby("spelling", as_index=False).agg(
        rows=("rows", "sum"), target=("target", "any")
    )
    table["key"] = [_key(s) for s in table["spelling"]]
    table = table.sort_values(
        ["key", "target", "rows", "spelling"], ascending=[True, False, False, True]
    )
    canonical_by_key = table.drop_duplicates("key").set_index("key")["spelling"]

    canonical = canonical_by_key.reindex([_key(s) for s in aliased]).to_numpy(dtype=object)
    out = pd.Series(
        np.append(canonical, None)[codes], index=values.index, name=values.name, dtype="string"
    )
    mapping = _mapping(values, out)
    return out, mapping


def _mapping(values: pd.Series, out: pd.Series) -> pd.DataFrame:
    """variant (distinct raw value) → canonical, with row counts."""
    codes, variants = pd.factorize(values, use_na_sentinel=True)
    rows = np.flatnonzero(codes >= 0)
    counts = np.bincount(codes[rows], minlength=len(variants))
    first = np.empty(len(variants), dtype=np.int64)
    first[codes[rows][::-1]] = rows[::-1]  # the last write per code is its first row
    mapping = pd.DataFrame(
        {
            "variant": pd.array([str(v) for v in variants], dtype="string"),
            "canonical": out.iloc[first].to_numpy(),
            "count": counts,
        }
    )
    mapping = mapping.sort_values(["canonical", "count", "variant"], ascending=[True, False, True])
    return mapping.reset_index(drop=True)
