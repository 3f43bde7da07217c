"""Reasons read as sentences about the customer, with their own values."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmine.models.explain import top_reasons

NAMES = ["recency_days", "gap_std_days", "revenue_180d", "decayed_days_90d",
         "tenure_days_per_recency_days", "purchase_days", "return_value", "orders_90d"]  # fmt: skip


def _reasons(row: dict[str, float], push: list[float], k: int = 8) -> list[str]:
    values = pd.DataFrame([row])
    contrib = np.array([push])
    return top_reasons(contrib, NAMES, values, k=k)[0]


def test_each_feature_in_plain_words():
    row = {"recency_days": 120.0, "gap_mean_days": 30.0, "gap_std_days": 5.0,
           "revenue_180d": 0.0, "decayed_days_90d": 0.42, "tenure_days": 400.0,
           "tenure_days_per_recency_days": 400 / 120, "purchase_days": 9.0,
           "return_value": 250.0, "orders_90d": 1.0}  # fmt: skip
    push = [0.9, -0.8, 0.7, 0.6, 0.5, -0.4, 0.3, 0.2]
    assert _reasons(row, push) == [
        "no purchase for 120 days; usually buys every 30 (raises churn risk)",
        "buys regularly: every 30 days, give or take 5 (lowers churn risk)",
        "no spend in the last 180 days (raises churn risk)",
        "recent buying: 0.4 purchase days, weighing the last 90 days most (raises churn risk)",
        "customer for 400 days, no purchase for 120 days; usually buys every 30 "
        "(raises churn risk)",
        "bought on 9 different days (lowers churn risk)",
        "returned goods worth 250 (raises churn risk)",
        "1 order in the last 90 days (raises churn risk)",
    ]


def test_missing_gaps_say_how_few_purchase_days():
    row = {name: np.nan for name in NAMES} | {"purchase_days": 1.0, "recency_days": 40.0}
    push = [0.0, 0.9, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert _reasons(row, push, k=1) == ["only one purchase day so far (raises churn risk)"]
    row["purchase_days"] = 2.0
    assert _reasons(row, push, k=1) == ["only two purchase days so far (raises churn risk)"]
    row["purchase_days"] = 5.0  # unknown for another reason: say so plainly
    assert _reasons(row, push, k=1)[0].endswith("unknown (raises churn risk)")
