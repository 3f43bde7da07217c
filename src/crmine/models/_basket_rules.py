"""Association rules from frequent itemsets, vectorised over itemsets.

For each itemset length k and each way of choosing r of its k positions as the antecedent,
all itemsets of that length are split at once; antecedent and consequent supports come from
:func:`~crmine.models._basket_mining.lookup` (every subset of a frequent itemset is frequent).
The metrics are written as the same floating-point expressions mlxtend 0.25 evaluates
(``association_rules(..., num_itemsets=n)``), so the figures agree bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from crmine.models._basket_mining import Level, lookup


@dataclass(frozen=True)
class Rules:
    """Rules as arrays; antecedent/consequent are item indices padded with -1 on the right."""

    antecedents: np.ndarray  # (m, max_len - 1) int64
    consequents: np.ndarray  # (m, max_len - 1) int64
    antecedent_support: np.ndarray
    consequent_support: np.ndarray
    support: np.ndarray
    confidence: np.ndarray
    lift: np.ndarray
    leverage: np.ndarray
    conviction: np.ndarray
    baskets: np.ndarray


def generate(levels: list[Level], n_baskets: int, min_confidence: float, min_lift: float) -> Rules:
    """Every rule A → C (A, C non-empty, A ∪ C frequent) passing both thresholds, unsorted."""
    width = max(len(levels) - 1, 1)
    supports = [lv.counts / float(n_baskets) for lv in levels]
    parts: list[dict[str, np.ndarray]] = []
    for k in range(2, len(levels) + 1):
        items = levels[k - 1].items
        counts = levels[k - 1].counts
        s_ac = supports[k - 1]
        for r in range(1, k):
            for ante_pos in combinations(range(k), r):
                cons_pos = [p for p in range(k) if p not in ante_pos]
                ante = items[:, list(ante_pos)]
                cons = items[:, cons_pos]
                s_a = supports[r - 1][lookup(levels, ante)]
                s_c = supports[k - r - 1][lookup(levels, cons)]
                # mlxtend: conf = sAC * (n - 0) / (sA * (n - 0) - 0), in float64
                n = float(n_baskets)
                conf = (s_ac * n) / (s_a * n)
                lift = conf / s_c
                keep = (conf >= min_confidence) & (lift >= min_lift)
                if not keep.any():
                    continue
                parts.append(
                    {
                        "antecedents": _pad(ante[keep], width),
                        "consequents": _pad(cons[keep], width),
                        "antecedent_support": s_a[keep],
                        "consequent_support": s_c[keep],
                        "support": s_ac[keep],
                        "confidence": conf[keep],
                        "lift": lift[keep],
                        "baskets": counts[keep],
                    }
                )
    if not parts:
        ids, e = np.empty((0, width), dtype=np.int64), np.empty(0)
        return Rules(ids, ids, e, e, e, e, e, e, e, np.empty(0, dtype=np.int64))
    cat = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    s_a, s_c, s_ac, conf = (
        cat["antecedent_support"],
        cat["consequent_support"],
        cat["support"],
        cat["confidence"],
    )
    leverage = s_ac - s_a * s_c
    conviction = np.full(conf.shape, np.inf)
    finite = conf < 1.0
    conviction[finite] = (1.0 - s_c[finite]) / (1.0 - conf[finite])
    return Rules(
        antecedents=cat["antecedents"],
        consequents=cat["consequents"],
        antecedent_support=s_a,
        consequent_support=s_c,
        support=s_ac,
        confidence=conf,
        lift=cat["lift"],
        leverage=leverage,
        conviction=conviction,
        baskets=cat["baskets"],
    )


def _pad(ids: np.ndarray, width: int) -> np.ndarray:
    out = np.full((ids.shape[0], width), -1, dtype=np.int64)
    out[:, : ids.shape[1]] = ids
    return out


def order(rules: Rules) -> np.ndarray:
    """Deterministic order: lift desc, confidence desc, antecedent ids, consequent ids.

    Ids compare as tuples of item ranks (a shorter tuple first when it is a prefix).
    """
    keys = [rules.consequents[:, j] for j in range(rules.consequents.shape[1] - 1, -1, -1)]
    keys += [rules.antecedents[:, j] for j in range(rules.antecedents.shape[1] - 1, -1, -1)]
    keys += [-rules.confidence, -rules.lift]
    return np.lexsort(keys)
