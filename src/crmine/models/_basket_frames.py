"""Input ids to integer codes, and mined arrays back to frames of item ids (pandas side)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crmine.models._basket_mining import Level
from crmine.models._basket_rules import Rules
from crmine.models.basket import RULE_COLUMNS


def encode(basket_ids: Any, item_ids: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer codes for baskets (any order) and items (rank in sorted order), item ids."""
    baskets = _as_1d(basket_ids, "basket_ids")
    items = _as_1d(item_ids, "item_ids")
    if baskets.shape[0] != items.shape[0]:
        raise ValueError(
            f"basket_ids and item_ids differ in length ({baskets.shape[0]} vs {items.shape[0]})"
        )
    basket_codes, _ = pd.factorize(baskets)
    try:
        item_codes, uniques = pd.factorize(items, sort=True)
        # plain scalars out (Python int, not numpy.int64 boxed in an object array)
        unique_ids = pd.Series(np.asarray(uniques)).infer_objects().to_numpy()
    except TypeError:  # mixed types that do not compare (e.g. int and str)
        item_codes, uniques = pd.factorize(items)
        unique_ids = np.asarray(uniques, dtype=object)
        rank = sorted(range(unique_ids.size), key=lambda i: _mixed_key(unique_ids[i]))
        inverse = np.empty(unique_ids.size, dtype=np.int64)
        inverse[rank] = np.arange(unique_ids.size)
        item_codes = np.where(item_codes >= 0, inverse[np.maximum(item_codes, 0)], -1)
        unique_ids = unique_ids[rank]
    if (basket_codes < 0).any():
        raise ValueError("basket_ids contain missing values")
    if (item_codes < 0).any():
        raise ValueError("item_ids contain missing values")
    return basket_codes.astype(np.int64), item_codes.astype(np.int64), unique_ids


def _as_1d(values: Any, name: str) -> Any:
    if isinstance(values, pd.Series | pd.Index | pd.api.extensions.ExtensionArray):
        return values
    arr = np.asarray(values, dtype=object if isinstance(values, list | tuple) else None)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def _mixed_key(value: Any) -> tuple[str, str]:
    return type(value).__name__, str(value)


def _id_lists(index_rows: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Object array of item-id lists from rows of item indices padded with -1."""
    lengths = (index_rows >= 0).sum(axis=1)
    out = np.empty(index_rows.shape[0], dtype=object)
    for length in np.unique(lengths):  # one pass per itemset length, not per row
        rows = np.flatnonzero(lengths == length)
        lists = ids[index_rows[rows, :length]].tolist()
        out[rows] = pd.Series(lists, dtype=object).to_numpy()
    return out


def itemset_frame(levels: list[Level], ids: np.ndarray, n_baskets: int) -> pd.DataFrame:
    width = len(levels)
    padded = [
        np.pad(lv.items, ((0, 0), (0, width - lv.items.shape[1])), constant_values=-1)
        for lv in levels
    ]
    index_rows = np.concatenate(padded)
    counts = np.concatenate([lv.counts for lv in levels])
    lengths = np.concatenate([np.full(lv.counts.size, lv.items.shape[1]) for lv in levels])
    keys = [index_rows[:, j] for j in range(width - 1, -1, -1)] + [lengths, -counts]
    order = np.lexsort(keys)
    index_rows, counts = index_rows[order], counts[order]
    return pd.DataFrame(
        {
            "itemset": _id_lists(index_rows, ids),
            "support": counts / float(n_baskets),
            "count": counts.astype(np.int64),
        }
    )


def rule_frame(rules: Rules, order: np.ndarray, ids: np.ndarray) -> pd.DataFrame:
    frame = {
        "antecedents": _id_lists(rules.antecedents[order], ids),
        "consequents": _id_lists(rules.consequents[order], ids),
    }
    for name in RULE_COLUMNS[2:]:
        frame[name] = getattr(rules, name)[order]
    out = pd.DataFrame(frame, columns=list(RULE_COLUMNS))
    return out.astype({"baskets": np.int64})


def empty_frame(columns: tuple[str, ...]) -> pd.DataFrame:
    dtypes = {
        "itemset": object,
        "antecedents": object,
        "consequents": object,
        "count": np.int64,
        "baskets": np.int64,
    }
    return pd.DataFrame({c: pd.Series([], dtype=dtypes.get(c, np.float64)) for c in columns})
