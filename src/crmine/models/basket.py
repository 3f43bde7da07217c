"""Market-basket association rules ("customers who bought A also bought C").

Input is two aligned arrays, basket id and item id (one order = one basket; the caller drops
returns and non-products). An item counts once per basket. Frequent itemsets are counted on a
sparse basket × item matrix (never a dense one), level by level, with sparse matrix products;
rules are derived from them in vectorised form. Itemsets, rules and every metric equal
mlxtend 0.25's ``fpgrowth`` + ``association_rules(metric="confidence")`` filtered by lift, with
one deliberate exception: an itemset is frequent when ``count / n_baskets >= min_support``
exactly, whereas mlxtend prunes itemsets of two or more items at ``ceil(min_support * n)``,
which floating point can push one basket too high (e.g. 0.07 × 100 → 8, dropping pairs in
exactly 7 baskets whose support is 0.07).

Metrics, for a rule A → C over n baskets (s = share of baskets containing the itemset):
support = s(A ∪ C); confidence = s(A ∪ C) / s(A), how often C is bought when A is;
lift = confidence / s(C), how much A raises the chance of C (1 = no effect);
leverage = s(A ∪ C) − s(A)·s(C), the extra share of baskets over independence;
conviction = (1 − s(C)) / (1 − confidence), ``inf`` when the rule never fails (confidence 1);
baskets = number of baskets containing A ∪ C.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import pandas as pd

ITEMSET_COLUMNS = ("itemset", "support", "count")
RULE_COLUMNS = (
    "antecedents",
    "consequents",
    "antecedent_support",
    "consequent_support",
    "support",
    "confidence",
    "lift",
    "leverage",
    "conviction",
    "baskets",
)


@dataclass(frozen=True)
class RuleSettings:
    """Defaults of the ``[association_rules]`` section of crmine.toml.

    - ``min_support = 0.01``: an itemset must appear in 1 % of baskets. Retail catalogues have
      thousands of items, most bought rarely; 1 % keeps rules backed by enough baskets to be
      trusted (≈ 200 of the 20,000 baskets of UCI Online Retail, 10 of a 1,000-basket shop)
      and keeps mining to well under a second there. Lower it for small or sparse shops.
    - ``min_confidence = 0.3``: C follows A in at least 30 % of A's baskets, strong enough to
      act on (a cross-sell suggestion) without discarding most real associations.
    - ``min_lift = 1.0``: drop rules where A makes C *less* likely than it is anyway.
    - ``max_len = 3``: itemsets of up to 3 items, i.e. rules with one or two items on a side;
      longer rules are rarely actionable and the count of itemsets grows fast with length.
      ``None`` means no limit.
    """

    min_support: float = 0.01
    min_confidence: float = 0.3
    min_lift: float = 1.0
    max_len: int | None = 3


_DEFAULTS = RuleSettings()


class AssociationRuleMiner:
    """Frequent itemsets and association rules from (basket id, item id) pairs.

    Learned: ``n_baskets_`` (distinct baskets), ``itemsets_`` (itemset as a sorted list of
    item ids, support, count; by support desc, then length, then ids) and ``rules_``
    (columns :data:`RULE_COLUMNS`; by lift desc, confidence desc, then antecedent and
    consequent ids). Items are ordered by their natural order (strings alphabetically,
    numbers numerically; mixed types by type name, then text).
    """

    def __init__(
        self,
        min_support: float = _DEFAULTS.min_support,
        min_confidence: float = _DEFAULTS.min_confidence,
        min_lift: float = _DEFAULTS.min_lift,
        max_len: int | None = _DEFAULTS.max_len,
    ) -> None:
        self.min_support = min_support
        self.min_confidence = min_confidence
        self.min_lift = min_lift
        self.max_len = max_len

    @classmethod
    def from_settings(cls, settings: RuleSettings) -> AssociationRuleMiner:
        return cls(
            min_support=settings.min_support,
            min_confidence=settings.min_confidence,
            min_lift=settings.min_lift,
            max_len=settings.max_len,
        )

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Hyper-parameters, as scikit-learn's ``get_params`` gives them."""
        return {
            "min_support": self.min_support,
            "min_confidence": self.min_confidence,
            "min_lift": self.min_lift,
            "max_len": self.max_len,
        }

    def fit(self, basket_ids: Any, item_ids: Any) -> Self:
        """Mine itemsets and rules; duplicate (basket, item) pairs count once."""
        from crmine.models import _basket_mining, _basket_rules

        self._check_params()
        basket_codes, item_codes, items = _encode(basket_ids, item_ids)
        n_baskets = int(basket_codes.max()) + 1 if basket_codes.size else 0
        self.n_baskets_ = n_baskets
        if n_baskets == 0:
            self.itemsets_ = _empty(ITEMSET_COLUMNS)
            self.rules_ = _empty(RULE_COLUMNS)
            return self

        threshold = _basket_mining.min_count(self.min_support, n_baskets)
        x_csr, frequent, counts = _frequent_item_matrix(
            basket_codes, item_codes, items.size, threshold
        )
        levels = _basket_mining.mine(x_csr, counts, threshold, self.max_len)
        ids = items[frequent]  # item id of each column of x_csr
        self.itemsets_ = _itemset_frame(levels, ids, n_baskets)
        rules = _basket_rules.generate(levels, n_baskets, self.min_confidence, self.min_lift)
        self.rules_ = _rule_frame(rules, _basket_rules.order(rules), ids)
        return self

    def _check_params(self) -> None:
        if not 0.0 < self.min_support <= 1.0:
            raise ValueError(f"min_support must be in (0, 1], got {self.min_support!r}")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ValueError(f"min_confidence must be in [0, 1], got {self.min_confidence!r}")
        if not self.min_lift >= 0.0:
            raise ValueError(f"min_lift must be >= 0, got {self.min_lift!r}")
        if self.max_len is not None and (
            isinstance(self.max_len, bool)
            or not isinstance(self.max_len, int | np.integer)
            or self.max_len < 1
        ):
            raise ValueError(f"max_len must be None or an integer >= 1, got {self.max_len!r}")


def _encode(basket_ids: Any, item_ids: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
        unique_ids = np.asarray(uniques)
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


def _frequent_item_matrix(
    basket_codes: np.ndarray, item_codes: np.ndarray, n_items: int, threshold: int
) -> tuple[Any, np.ndarray, np.ndarray]:
    """0/1 basket × frequent-item CSR matrix, the frequent items' codes and their counts."""
    from scipy import sparse

    n_baskets = int(basket_codes.max()) + 1
    ones = np.ones(basket_codes.size, dtype=np.int32)
    full = sparse.csr_array((ones, (basket_codes, item_codes)), shape=(n_baskets, n_items))
    full.sum_duplicates()
    full.data[:] = 1
    counts = np.bincount(full.indices, minlength=n_items)
    frequent = np.flatnonzero(counts >= threshold)
    x_csr = full[:, frequent].tocsr()
    x_csr.sort_indices()
    return x_csr, frequent, counts[frequent]


def _id_lists(index_rows: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Object array of item-id lists from rows of item indices padded with -1."""
    lengths = (index_rows >= 0).sum(axis=1)
    out = np.empty(index_rows.shape[0], dtype=object)
    for length in np.unique(lengths):  # one pass per itemset length, not per row
        rows = np.flatnonzero(lengths == length)
        lists = ids[index_rows[rows, :length]].tolist()
        out[rows] = pd.Series(lists, dtype=object).to_numpy()
    return out


def _itemset_frame(levels: list[Any], ids: np.ndarray, n_baskets: int) -> pd.DataFrame:
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


def _rule_frame(rules: Any, order: np.ndarray, ids: np.ndarray) -> pd.DataFrame:
    frame = {
        "antecedents": _id_lists(rules.antecedents[order], ids),
        "consequents": _id_lists(rules.consequents[order], ids),
    }
    for name in RULE_COLUMNS[2:]:
        frame[name] = getattr(rules, name)[order]
    out = pd.DataFrame(frame, columns=list(RULE_COLUMNS))
    return out.astype({"baskets": np.int64})


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    dtypes = {
        "itemset": object,
        "antecedents": object,
        "consequents": object,
        "count": np.int64,
        "baskets": np.int64,
    }
    return pd.DataFrame({c: pd.Series([], dtype=dtypes.get(c, np.float64)) for c in columns})
