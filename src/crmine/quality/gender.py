"""Gender written many ways (``男``, ``M``, ``Male``, ``先生``) → ``female`` / ``male``.

Anything else (``other``, ``未知``, a typo) is kept as written, trimmed: a value that is not
clearly one of the two is not guessed.
"""

from __future__ import annotations

import unicodedata

import pandas as pd

from crmine.quality._distinct import map_distinct

_SPELLINGS = {
    "female": ("f", "female", "woman", "women", "w", "girl", "ms", "mrs", "miss", "mme", "frau",
               "weiblich", "femme", "mujer", "女", "女性", "女士", "女生", "小姐", "太太", "妇女"),
    "male": ("m", "male", "man", "men", "boy", "mr", "herr", "männlich", "homme", "hombre",
             "男", "男性", "男士", "男生", "先生"),
}  # fmt: skip
_LOOKUP = {s: canon for canon, spellings in _SPELLINGS.items() for s in spellings}


def _gender(raw: str) -> str | None:
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        return None
    return _LOOKUP.get(text.casefold().rstrip("."), text)


def normalise_gender(values: pd.Series) -> pd.Series:
    """``female`` / ``male`` where the value clearly says so; other values kept, trimmed."""
    return map_distinct(values, _gender)
