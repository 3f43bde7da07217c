"""BTYD forecasts on the synthetic CRM's truth, robustness on odd data, CLV and tiers."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from crmine.evaluation.metrics import auc, spearman
from crmine.models.base import NotFittedError
from crmine.models.btyd import summarise_transactions
from crmine.models.clv import BtydForecaster, HurdleRevenue, value_tiers


@pytest.fixture(scope="module")
def demo():
    from crmine.demo import generate

    return generate(600, seed=5).truth


def _summary(orders: pd.DataFrame, end, observation_end=None) -> pd.DataFrame:
    buys = orders[~orders["is_return"]]
    return summarise_transactions(buys["customer_id"], buys["order_ts"], buys["amount"],
                                  calibration_end=end, observation_end=observation_end)


def test_forecasts_track_what_happened(demo):
    cut = demo.start + (demo.end - demo.start) * 0.6
    summary = _summary(demo.orders, cut - timedelta(days=1), demo.end)
    days = (demo.end - cut).days
    model = BtydForecaster(days).fit(summary)
    pred = model.predict(summary)
    assert ((pred["p_alive"] >= 0) & (pred["p_alive"] <= 1)).all()
    assert spearman(summary["x_star"], pred["expected_orders"]) > 0.4
    assert auc(summary["x_star"] > 0, pred["p_purchase"]) > 0.7
    # Aggregate holdout purchase days within 25 % of the forecast.
    assert pred["expected_orders"].sum() == pytest.approx(summary["x_star"].sum(), rel=0.25)


def test_p_alive_separates_the_truly_alive(demo):
    summary = _summary(demo.orders, demo.end)
    pred = BtydForecaster(90).fit(summary).predict(summary)
    alive = summary[["customer_id"]].merge(demo.customers, on="customer_id")["alive_at_end"]
    assert auc(alive.to_numpy(bool), pred["p_alive"].to_numpy()) > 0.7


def test_clv_discounting_and_horizon(demo):
    summary = _summary(demo.orders, demo.end)
    model = BtydForecaster(90, clv_days=365, annual_discount_rate=0.0).fit(summary)
    plain = model.predict(summary)
    discounted = model.set_params(annual_discount_rate=0.10).predict(summary)
    assert (discounted["clv"] <= plain["clv"] + 1e-9).all()
    assert (plain["clv"] >= plain["expected_revenue"] - 1e-9).all()
    assert model.parameters()["unit"] == "weeks"


def test_robust_to_one_customer_and_no_repeat_buyers():
    one = pd.DataFrame({"x": [0.0], "t_x": [0.0], "T": [10.0], "monetary_value": [0.0]})
    pred = BtydForecaster(90).fit(one).predict(one)
    assert np.isfinite(pred.to_numpy(float)).all()
    singles = pd.DataFrame({"x": [0.0] * 5, "t_x": [0.0] * 5, "T": [3.0, 4, 5, 6, 7],
                            "monetary_value": [0.0] * 5})
    model = BtydForecaster(30).fit(singles)
    assert model.gamma_gamma_ is None
    assert np.isfinite(model.predict(singles).to_numpy(float)).all()
    with pytest.raises(ValueError):
        BtydForecaster().fit(one.iloc[:0])


def test_value_tiers_shares_ties_and_missing():
    tiers = value_tiers(np.arange(10.0))
    assert list(tiers[::-1]) == ["high"] * 2 + ["medium"] * 3 + ["low"] * 5
    tied = value_tiers([5.0, 5.0, 5.0, 1.0])
    assert list(tied) == ["high", "high", "high", "low"]
    assert value_tiers([np.nan, 1.0])[0] is None


def test_hurdle_revenue_is_probability_times_spend():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"avg": rng.uniform(10, 100, 600), "noise": rng.normal(size=600)})
    revenue = np.where(rng.random(600) < 0.5, X["avg"] * rng.uniform(0.8, 1.2, 600), 0.0)
    model = HurdleRevenue(n_estimators=100).fit(X, revenue)
    spend = model.revenue_if_buying(X)
    assert spearman(X["avg"], spend) > 0.8
    assert model.predict(X, np.full(600, 0.5)) == pytest.approx(spend * 0.5)
    with pytest.raises(NotFittedError):
        HurdleRevenue().revenue_if_buying(X)
