"""Profit beside the sales amount: profit-based CLV and value tiers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmine.models.clv import profit_forecasts


def _scores(n: int) -> pd.DataFrame:
    clv = np.linspace(100, 1000, n)
    return pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "clv": clv,
                         "expected_revenue": clv / 4, "value_tier": "low"})  # fmt: skip


def test_a_big_spender_at_a_loss_is_not_a_high_value_customer():
    n = 50
    scores = _scores(n)
    margins = pd.DataFrame({"customer_id": scores["customer_id"],
                            "revenue": scores["clv"] * 3,
                            "profit": scores["clv"] * 3 * 0.2})  # fmt: skip
    margins.loc[n - 1, "profit"] = -0.5 * margins.loc[n - 1, "revenue"]  # the biggest loses
    out, note = profit_forecasts(scores, margins)
    assert "profit CLV" in note
    top = out.set_index("customer_id")
    assert top.loc[f"c{n - 1}", "clv_profit"] < 0 and top.loc[f"c{n - 1}", "value_tier"] == "low"
    assert top.loc[f"c{n - 2}", "value_tier"] == "high"
    # a typical customer's margin is near their own 20 %
    assert top.loc["c10", "clv_profit"] / top.loc["c10", "clv"] == pytest.approx(0.2, abs=0.03)


def test_little_history_shrinks_toward_the_shops_margin():
    scores = _scores(3)
    margins = pd.DataFrame({"customer_id": ["c0", "c1", "c2"], "revenue": [10.0, 1000.0, 1000.0],
                            "profit": [9.0, 100.0, 100.0]})  # fmt: skip
    out, _ = profit_forecasts(scores, margins)
    ratio = out["clv_profit"] / out["clv"]
    assert ratio[0] < 0.5  # 90 % on one 10-unit order is mostly noise
    assert ratio[1] == pytest.approx(ratio[2])
