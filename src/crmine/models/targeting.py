"""Whom to contact: expected profit per customer, the contact list and the profit curve.

``expected_profit = value × margin × revenue_per_response − cost_per_contact``, where value is
what the contact adds: the uplift when a campaign's control group lets it be measured, else
the response probability (everyone's response is then credited to the contact, which is what a
campaign without a control group can say, and no more). ``target`` is true for the customers
whose expected profit is positive, best first, at most ``budget`` of them (0 = no limit).
"""

from __future__ import annotations

import numpy as np

__all__ = ["expected_profit", "profit_curve", "rank_and_target"]


def expected_profit(value: object, *, revenue: float, margin: float, cost: float) -> np.ndarray:
    """Expected profit of one contact per customer, in the revenue's currency."""
    return np.asarray(value, float) * margin * revenue - cost


def rank_and_target(profit: object, tiebreak: object, budget: int = 0
                    ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(rank, target): rank 1 = highest expected profit (ties: higher ``tiebreak``, then the
    input order); target = positive profit and within ``budget`` contacts (0 = no limit)."""
    profit = np.nan_to_num(np.asarray(profit, float), nan=-np.inf)
    tiebreak = np.nan_to_num(np.asarray(tiebreak, float), nan=-np.inf)
    order = np.lexsort((-tiebreak, -profit))
    rank = np.empty(len(profit), int)
    rank[order] = np.arange(1, len(profit) + 1)
    target = profit > 0
    if budget > 0:
        target &= rank <= budget
    return rank, target


def profit_curve(profit: object, points: int = 21) -> dict[str, object]:
    """Cumulative expected profit against customers contacted (best first), its maximum and
    where it is reached: ``{"curve": [[contacted, profit], …], "best_contacts", "best_profit"}``.
    """
    p = np.sort(np.nan_to_num(np.asarray(profit, float), nan=0.0))[::-1]
    cum = np.r_[0.0, np.cumsum(p)]
    grid = np.unique(np.linspace(0, len(p), points).round().astype(int))
    best = int(np.argmax(cum))
    return {"curve": [[int(g), float(cum[g])] for g in grid], "best_contacts": best,
            "best_profit": float(cum[best])}
