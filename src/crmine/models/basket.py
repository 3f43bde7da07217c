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

from crmine.models.base import Estimator

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


class AssociationRuleMiner(Estimator):
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

    def fit(self, basket_ids: Any, item_ids: Any) -> Self:
        """Mine itemsets and rules; duplicate (basket, item) pairs count once."""
        from crmine.models import _basket_frames, _basket_mining, _basket_rules

        self._check_params()
        basket_codes, item_codes, items = _basket_frames.encode(basket_ids, item_ids)
        n_baskets = int(basket_codes.max()) + 1 if basket_codes.size else 0
        self.n_baskets_ = n_baskets
        if n_baskets == 0:
            self.itemsets_ = _basket_frames.empty_frame(ITEMSET_COLUMNS)
            self.rules_ = _basket_frames.empty_frame(RULE_COLUMNS)
            return self

        threshold = _basket_mining.min_count(self.min_support, n_baskets)
        x_csr, frequent, counts = _basket_mining.frequent_item_matrix(
            basket_codes, item_codes, items.size, threshold
        )
        levels = _basket_mining.mine(x_csr, counts, threshold, self.max_len)
        ids = items[frequent]  # item id of each column of x_csr
        self.itemsets_ = _basket_frames.itemset_frame(levels, ids, n_baskets)
        rules = _basket_rules.generate(levels, n_baskets, self.min_confidence, self.min_lift)
        self.rules_ = _basket_frames.rule_frame(rules, _basket_rules.order(rules), ids)
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
