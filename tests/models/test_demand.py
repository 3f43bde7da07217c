"""DemandForecaster on generated series whose answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmine.models._demand_reconcile import constraint_matrix, reconcile, weights
from crmine.models.demand import DemandForecaster, validation_windows


def _long(values: dict[tuple[str, str], np.ndarray], freq: str = "W") -> pd.DataFrame:
    n = len(next(iter(values.values())))
    starts = pd.date_range("2020-01-03", periods=n, freq="7D" if freq == "W" else "MS")
    return pd.concat([pd.DataFrame({"level": lv, "key": key, "period_start": starts, "y": y})
                      for (lv, key), y in values.items()], ignore_index=True)  # fmt: skip


def _hierarchy(rng: np.random.Generator, n: int = 80, children: int = 4) -> pd.DataFrame:
    kids = {("region", f"r{i}"): np.maximum(rng.normal(50 + 20 * i, 8, n), 0)
            for i in range(children)}  # fmt: skip
    return _long({("total", "all"): sum(kids.values()), **kids})


def test_an_exactly_repeating_season_is_forecast_by_seasonal_naive():
    pattern = np.array([5, 9, 30, 12, 7, 3, 8, 15, 22, 4, 6, 40], float)
    frame = _long({("total", "all"): np.tile(pattern, 5)}, freq="M")
    model = DemandForecaster(freq="M", horizon=12).fit(frame)
    assert model.choices_["total"]["model"] == "SeasonalNaive(12)"
    assert model.choices_["total"]["wape"] == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(model.predict()["forecast"], pattern, atol=1e-9)


@pytest.mark.slow  # MSTL with a yearly season: about a second per daily fit
def test_daily_sales_with_a_weekday_and_a_yearly_rhythm_get_mstl():
    rng = np.random.default_rng(3)
    n, h = 3 * 365, 28
    t = np.arange(n + h)
    y = np.maximum(200 + 40 * np.sin(2 * np.pi * t / 7) + 60 * np.sin(2 * np.pi * t / 365.25)
                   + rng.normal(0, 8, n + h), 0)  # fmt: skip
    starts = pd.date_range("2020-01-01", periods=n, freq="D")
    frame = pd.DataFrame({"level": "total", "key": "all", "period_start": starts, "y": y[:n]})
    model = DemandForecaster(freq="D", horizon=h, validation_windows=2).fit(frame)
    scores = model.choices_["total"]["candidates_wape"]
    assert "MSTL(7, 365)" in scores and "MSTL(7, 365)" in model.choices_["total"]["model"]
    got = model.predict()["forecast"].to_numpy()
    wape = np.abs(got - y[n:]).sum() / y[n:].sum()
    naive7 = np.abs(np.tile(y[n - 7:n], 4) - y[n:]).sum() / y[n:].sum()
    assert wape < 0.6 * naive7


def test_the_levels_add_up_and_nothing_is_negative():
    rng = np.random.default_rng(1)
    frame = _hierarchy(rng)
    frame.loc[frame["key"] == "r0", "y"] = np.where(rng.random(80) < 0.6, 0.0, 3.0)  # sparse
    frame.loc[frame["level"] == "total", "y"] = (
        frame[frame["level"] == "region"].groupby("period_start")["y"].sum().to_numpy()
    )
    out = DemandForecaster(freq="W", horizon=6).fit(frame).predict()
    total = out[out["level"] == "total"].set_index("period_start")["forecast"]
    regions = out[out["level"] == "region"].groupby("period_start")["forecast"].sum()
    np.testing.assert_allclose(regions.to_numpy(), total.to_numpy(), rtol=1e-8)
    assert (out["forecast"] >= 0).all() and (out["lo_80"] >= 0).all()
    assert (out["lo_80"] <= out["forecast"] + 1e-9).all()
    assert (out["forecast"] <= out["hi_80"] + 1e-9).all()


def test_the_band_covers_about_80_percent_of_what_comes_next():
    rng = np.random.default_rng(2)
    n, h, k = 90, 8, 40
    level = rng.uniform(50, 150, k)
    full = level[:, None] + rng.normal(0, 10, (k, n + h))
    frame = _long({("sku", f"s{i:02d}"): full[i, :n] for i in range(k)})
    out = DemandForecaster(freq="W", horizon=h, validation_windows=6, max_validation_series=k,
                           candidates=("Naive", "HistoricAverage", "WindowAverage"),
                           ).fit(frame).predict()  # fmt: skip
    out = out.sort_values(["key", "period_start"])
    future = full[:, n:].ravel()
    inside = (future >= out["lo_80"].to_numpy()) & (future <= out["hi_80"].to_numpy())
    assert 0.7 <= inside.mean() <= 0.9


def test_validation_never_reads_past_the_history():
    for T, h, season in ((117, 26, 52), (49, 13, 52), (60, 4, 1), (10, 13, 52)):
        for origin, length in validation_windows(T, h, 3, season):
            assert origin + length <= T and length >= 1
    # two seasons of history: every window trains on both, the newest ends at the last period
    windows = validation_windows(117, 26, 3, 52)
    assert min(o for o, _ in windows) >= 104 and max(o + n for o, n in windows) == 117


def test_a_short_series_gets_a_simple_model_and_no_season():
    frame = _long({("total", "all"): np.array([3.0, 5, 4, 6, 5, 7, 6, 8, 7, 9])})
    model = DemandForecaster(freq="W", horizon=13).fit(frame)
    chosen = model.choices_["total"]["model"]
    assert "52" not in chosen and "Seasonal" not in chosen
    assert np.isfinite(model.predict()[["forecast", "lo_80", "hi_80"]].to_numpy()).all()


def test_sparse_series_try_the_intermittent_models():
    rng = np.random.default_rng(4)
    y = np.where(rng.random(70) < 0.25, rng.integers(1, 6, 70), 0).astype(float)
    model = DemandForecaster(freq="W", horizon=4).fit(_long({("product", "p1"): y}))
    tried = model.choices_["product"]["candidates_wape"]
    assert {"CrostonOptimized", "ADIDA", "IMAPA", "TSB"} <= set(tried)


def test_bottom_up_keeps_the_finest_series_and_sums_them():
    index = {("total", "all"): 0, ("r", "a"): 1, ("r", "b"): 2}
    A = constraint_matrix(index, [("r", "a", "total", "all"), ("r", "b", "total", "all")])
    base = np.array([[100.0], [30.0], [50.0]])
    leaf = np.array([False, True, True])
    up = reconcile(base, A, weights("bottom_up", np.ones(3), leaf))
    np.testing.assert_allclose(up[:, 0], [80.0, 30.0, 50.0], rtol=1e-5)
    wls = reconcile(base, A, weights("mint_wls", np.ones(3), leaf))
    np.testing.assert_allclose(wls[0, 0], wls[1, 0] + wls[2, 0])
    np.testing.assert_allclose(wls[:, 0], [280 / 3, 110 / 3, 170 / 3])  # equal weights: OLS


def test_negative_forecasts_are_pinned_at_zero_and_still_add_up():
    index = {("total", "all"): 0, ("r", "a"): 1, ("r", "b"): 2}
    A = constraint_matrix(index, [("r", "a", "total", "all"), ("r", "b", "total", "all")])
    base = np.array([[10.0], [1.0], [40.0]])  # the projection would push a below zero
    out = reconcile(base, A, weights("mint_wls", np.array([1.0, 100.0, 1.0]), np.ones(3, bool)))
    assert (out >= 0).all()
    np.testing.assert_allclose(out[0, 0], out[1, 0] + out[2, 0], rtol=1e-6)


def test_a_level_of_steady_and_sparse_series_gets_a_model_for_each_kind():
    rng = np.random.default_rng(5)
    steady = rng.normal(100, 5, 70)
    sparse = np.where(rng.random(70) < 0.2, 4.0, 0.0)
    model = DemandForecaster(freq="W", horizon=4).fit(
        _long({("product", "big"): steady, ("product", "rare"): sparse}))
    out = model.predict().groupby("key")["model"].first()
    assert "intermittent series: " + out["rare"] == model.choices_["product"]["model"].split(
        "; ")[1]
    assert model.choices_["product"]["model"].startswith(out["big"] + ";")
    assert set(model.choices_["product"]["candidates_wape"]) == {"steady", "intermittent"}
    assert "TSB" not in model.choices_["product"]["candidates_wape"]["steady"]
