"""BG/NBD and Gamma-Gamma: published CDNOW fits, gold closed forms, recovery, robustness."""

from __future__ import annotations

import importlib.util
import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import check_grad

from crmine.models import _btyd_math
from crmine.models.base import NotFittedError
from crmine.models.btyd import BetaGeoModel, GammaGammaModel, summarise_transactions

FHL = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # FHL (2005), CDNOW sample, weeks


# --------------------------------------------------------------------------- fixtures


def _lifetimes_datasets() -> Path:
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("lifetimes (which ships the CDNOW sample) is not installed")
    return Path(spec.submodule_search_locations[0]) / "datasets"


@pytest.fixture(scope="module")
def cdnow_sample() -> pd.DataFrame:
    """Calibration (to 1997-09-30) and 39-week holdout summary of the 2,357-customer sample."""
    path = _lifetimes_datasets() / "CDNOW_sample.txt"
    raw = pd.read_csv(path, sep=r"\s+", header=None,
                      names=["master_id", "customer_id", "date", "cds", "value"],
                      dtype={"master_id": str, "customer_id": str, "date": str})
    return summarise_transactions(
        raw["customer_id"], pd.to_datetime(raw["date"], format="%Y%m%d"), raw["value"],
        calibration_end="1997-09-30", observation_end="1998-06-30", unit_days=7,
    )


@pytest.fixture(scope="module")
def fhl_fit(cdnow_sample: pd.DataFrame) -> BetaGeoModel:
    s = cdnow_sample
    return BetaGeoModel().fit(s["x"], s["t_x"], s["T"])


# --------------------------------------------------------------------------- gold closed forms


def _gold_hyp2f1(a: float, b: float, c: float, z: float) -> float:
    term, total, n = 1.0, 1.0, 0
    while abs(term) > 1e-17 * abs(total):
        term *= (a + n) * (b + n) / ((c + n) * (n + 1)) * z
        total += term
        n += 1
    return total


def _gold_loglik(p: dict, x: float, t_x: float, T: float) -> float:
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    beta = math.gamma(a) * math.gamma(b) / math.gamma(a + b)
    common = math.gamma(r + x) * alpha**r / math.gamma(r)
    lik = (math.gamma(a) * math.gamma(b + x) / math.gamma(a + b + x)) / beta \
        * common / (alpha + T) ** (r + x)
    if x > 0:
        lik += (math.gamma(a + 1) * math.gamma(b + x - 1) / math.gamma(a + b + x)) / beta \
            * common / (alpha + t_x) ** (r + x)
    return math.log(lik)


def _gold_p_alive(p: dict, x: float, t_x: float, T: float) -> float:
    if x == 0:
        return 1.0
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    return 1.0 / (1.0 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))


def _gold_expected(p: dict, t: float, x: float, t_x: float, T: float) -> float:
    """FHL (2005) eq. 10, term by term."""
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    z = t / (alpha + T + t)
    bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * _gold_hyp2f1(
        r + x, b + x, a + b + x - 1, z)
    return (a + b + x - 1) / (a - 1) * bracket * _gold_p_alive(p, x, t_x, T)


def _simulate_bgnbd(params: dict, T: np.ndarray, rng: np.random.Generator):
    """x, t_x of BG/NBD customers observed for T after their first purchase.

    Given N Poisson arrivals in (0, T], their times are uniform order statistics; the customer
    drops out after repeat Geometric(p), so x = min(N, dropout) and the x-th arrival time is
    T * Beta(x, N - x + 1).
    """
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], len(T))
    p = rng.beta(params["a"], params["b"], len(T))
    n = rng.poisson(lam * T)
    x = np.minimum(n, rng.geometric(p))  # dropout only after a repeat purchase
    t_x = np.where(x > 0, T * rng.beta(np.maximum(x, 1), n - x + 1), 0.0)
    return x.astype(float), t_x


# --------------------------------------------------------------------------- published fits


def test_summary_matches_published_cdnow_calibration(cdnow_sample: pd.DataFrame) -> None:
    published = pd.read_csv(_lifetimes_datasets() / "cdnow_customers_summary_with_transactions.csv")
    s = cdnow_sample
    assert len(s) == 2357 == len(published)
    assert (s["x"].to_numpy() == published["x"].to_numpy()).all()
    for ours, theirs in [("t_x", "t_x"), ("T", "T"), ("monetary_value", "zbar")]:
        np.testing.assert_allclose(s[ours], published[theirs], atol=0.005 + 1e-9)  # 2 decimals
    assert (s["duration_holdout"] == 39).all()


def test_bgnbd_reproduces_fader_hardie_lee_2005(fhl_fit: BetaGeoModel) -> None:
    for name, value in FHL.items():
        assert round(fhl_fit.params_[name], 3) == value, name
    assert round(fhl_fit.log_likelihood_, 1) == -9582.4
    assert fhl_fit.n_customers_ == 2357 and fhl_fit.converged_


def test_bgnbd_published_conditional_expectation() -> None:
    # FHL (2005): x = 2, t_x = 30.43, T = 38.86 expects 1.226 purchases in the next 39 weeks.
    model = BetaGeoModel()
    model.params_ = dict(FHL)
    assert round(float(model.expected_purchases(39, 2, 30.43, 38.86)[0]), 3) == 1.226


def test_gamma_gamma_reproduces_fader_hardie_lee_2005(cdnow_sample: pd.DataFrame) -> None:
    s = cdnow_sample
    gg = GammaGammaModel().fit(s["x"], s["monetary_value"])
    assert gg.n_customers_ == 946
    got = {k: round(v, 2) for k, v in gg.params_.items()}
    assert got == {"p": 6.25, "q": 3.74, "v": 15.44}


# --------------------------------------------------------------------------- gold and invariances


CUSTOMERS = [(0, 0.0, 38.86), (1, 1.71, 38.86), (2, 30.43, 38.86), (7, 35.0, 36.0),
             (20, 10.0, 50.0), (3, 0.5, 2.0)]


@pytest.mark.parametrize("t", [0.5, 1.0, 39.0, 200.0])
def test_predictions_match_gold_closed_forms(t: float) -> None:
    model = BetaGeoModel()
    model.params_ = dict(FHL)
    x, t_x, T = map(np.array, zip(*CUSTOMERS, strict=True))
    gold_e = [_gold_expected(FHL, t, *c) for c in CUSTOMERS]
    gold_p = [_gold_p_alive(FHL, *c) for c in CUSTOMERS]
    np.testing.assert_allclose(model.expected_purchases(t, x, t_x, T), gold_e, rtol=1e-9)
    np.testing.assert_allclose(model.p_alive(x, t_x, T), gold_p, rtol=1e-12)
    np.testing.assert_allclose(model.expected_purchases_unconditional(t),
                               _gold_expected(FHL, t, 0, 0.0, 0.0), rtol=1e-9)


def test_loglik_and_gradient_match_gold() -> None:
    x, t_x, T = map(np.array, zip(*CUSTOMERS, strict=True))
    params = np.array(list(FHL.values()))
    ll, _ = _btyd_math.bgnbd_loglik(params, x, t_x, T)
    np.testing.assert_allclose(ll, [_gold_loglik(FHL, *c) for c in CUSTOMERS], rtol=1e-11)
    for i in range(len(x)):
        def f(p, i=i):
            return _btyd_math.bgnbd_loglik(p, x[i:i + 1], t_x[i:i + 1], T[i:i + 1])[0][0]

        def g(p, i=i):
            return _btyd_math.bgnbd_loglik(p, x[i:i + 1], t_x[i:i + 1], T[i:i + 1])[1][:, 0]

        assert check_grad(f, g, params) < 1e-5
    xs, ms = np.array([1.0, 3.0, 12.0]), np.array([5.0, 40.0, 13.5])
    gg = np.array([6.25, 3.74, 15.44])
    for i in range(3):
        assert check_grad(lambda p, i=i: _btyd_math.gamma_gamma_loglik(p, xs[i], ms[i])[0],
                          lambda p, i=i: _btyd_math.gamma_gamma_loglik(p, xs[i], ms[i])[1],
                          gg) < 1e-5


def test_compressed_fit_equals_expanded_fit(cdnow_sample: pd.DataFrame,
                                            fhl_fit: BetaGeoModel) -> None:
    s = cdnow_sample
    rows = s.groupby(["x", "t_x", "T"]).size().reset_index(name="n")
    assert len(rows) < len(s)
    weighted = BetaGeoModel().fit(rows["x"], rows["t_x"], rows["T"], weights=rows["n"])
    for name in FHL:
        assert weighted.params_[name] == pytest.approx(fhl_fit.params_[name], rel=1e-6)
    assert weighted.log_likelihood_ == pytest.approx(fhl_fit.log_likelihood_, rel=1e-10)
    gold = sum(_gold_loglik(fhl_fit.params_, *c) for c in zip(s["x"], s["t_x"], s["T"],
                                                            strict=True))
    assert fhl_fit.log_likelihood_ == pytest.approx(gold, rel=1e-10)


def test_time_unit_only_rescales_alpha(cdnow_sample: pd.DataFrame,
                                       fhl_fit: BetaGeoModel) -> None:
    s = cdnow_sample
    days = BetaGeoModel().fit(s["x"], s["t_x"] * 7, s["T"] * 7)
    assert days.params_["alpha"] == pytest.approx(7 * fhl_fit.params_["alpha"], rel=1e-4)
    for name in ("r", "a", "b"):
        assert days.params_[name] == pytest.approx(fhl_fit.params_[name], rel=1e-4)
    e_weeks = fhl_fit.expected_purchases(39, s["x"], s["t_x"], s["T"])
    e_days = days.expected_purchases(273, s["x"], s["t_x"] * 7, s["T"] * 7)
    np.testing.assert_allclose(e_days, e_weeks, rtol=1e-3)


def test_recovers_simulated_parameters() -> None:
    truth = {"r": 0.5, "alpha": 6.0, "a": 0.7, "b": 3.0}
    rng = np.random.default_rng(20050101)
    T = rng.uniform(26.0, 52.0, 30_000)
    x, t_x = _simulate_bgnbd(truth, T, rng)
    model = BetaGeoModel().fit(x, t_x, T)
    for name, value in truth.items():
        assert model.params_[name] == pytest.approx(value, rel=0.2), name
    at_truth = _btyd_math.bgnbd_loglik(np.array(list(truth.values())), x, t_x, T)[0].sum()
    assert model.log_likelihood_ >= at_truth


# --------------------------------------------------------------------------- robustness


def test_degenerate_inputs_fit_without_raising(caplog: pytest.LogCaptureFixture) -> None:
    cases = [([3], [10.0], [20.0]), ([0, 0, 0], [0, 0, 0], [5.0, 10.0, 30.0]),
             ([0], [0.0], [1.0])]
    with caplog.at_level(logging.WARNING, logger="crmine.models.btyd"):
        for x, t_x, T in cases:
            model = BetaGeoModel().fit(x, t_x, T)
            assert all(np.isfinite(v) and v > 0 for v in model.params_.values())
            assert np.isfinite(model.log_likelihood_)
            e = model.expected_purchases(10, x, t_x, T)
            assert np.isfinite(e).all() and (e >= 0).all()


def test_huge_frequencies_stay_finite() -> None:
    x = np.array([300.0, 800.0, 5000.0, 5000.0, 0.0])
    t_x = np.array([38.0, 38.8, 3649.0, 10.0, 0.0])
    T = np.array([38.86, 38.86, 3650.0, 3650.0, 3650.0])
    model = BetaGeoModel()
    model.params_ = dict(FHL)
    p = model.p_alive(x, t_x, T)
    assert np.isfinite(p).all() and ((p >= 0) & (p <= 1)).all()
    assert p[3] < 1e-100 and p[2] > 0.9  # a burst long ago: dead; steady and recent: alive
    e_short, e_long = (model.expected_purchases(t, x, t_x, T) for t in (39.0, 520.0))
    assert np.isfinite(e_long).all() and (e_long >= e_short).all() and (e_short >= 0).all()
    # the direct closed form still works (slowly, in Python floats) for a few hundred
    for i in (0, 1):
        gold = _gold_expected(FHL, 39.0, x[i], t_x[i], T[i])
        assert e_short[i] == pytest.approx(gold, rel=1e-8)
    # fitting on them works in log space too
    rng = np.random.default_rng(1)
    xs = np.concatenate([x, rng.poisson(1.0, 500).astype(float)])
    T_fit = np.concatenate([T, np.full(500, 40.0)])
    t_fit = np.concatenate([t_x, np.where(xs[5:] > 0, rng.uniform(0.1, 40.0, 500), 0.0)])
    fitted = BetaGeoModel().fit(xs, t_fit, T_fit)
    assert np.isfinite(fitted.log_likelihood_)


def test_gamma_gamma_skips_returns_and_zero_spend(cdnow_sample: pd.DataFrame) -> None:
    s = cdnow_sample
    clean = GammaGammaModel().fit(s["x"], s["monetary_value"])
    x = np.concatenate([s["x"], [2.0, 3.0, 1.0, 4.0, 0.0]])
    m = np.concatenate([s["monetary_value"], [-25.0, 0.0, np.nan, -1e6, 10.0]])
    dirty = GammaGammaModel().fit(x, m)
    assert dirty.params_ == pytest.approx(clean.params_, rel=1e-8)
    spend = dirty.conditional_expected_average_profit(x[-5:], m[-5:])
    p, q, v = (dirty.params_[k] for k in "pqv")
    assert spend[2] == spend[4] == pytest.approx(p * v / (q - 1))  # unknown spend: the mean
    assert 0 < spend[0] < spend[2]  # non-positive spend shrinks towards the mean from 0
    with pytest.raises(ValueError, match="positive monetary"):
        GammaGammaModel().fit([0, 2], [10.0, -3.0])


def test_customer_lifetime_value_sums_discounted_increments(fhl_fit: BetaGeoModel,
                                                            cdnow_sample: pd.DataFrame) -> None:
    s = cdnow_sample.iloc[:50]
    gg = GammaGammaModel().fit(cdnow_sample["x"], cdnow_sample["monetary_value"])
    args = (fhl_fit, s["x"], s["t_x"], s["T"], s["monetary_value"])
    spend = gg.conditional_expected_average_profit(s["x"], s["monetary_value"])
    undiscounted = gg.customer_lifetime_value(*args, horizon_units=52)
    np.testing.assert_allclose(
        undiscounted, spend * fhl_fit.expected_purchases(52, s["x"], s["t_x"], s["T"]),
        rtol=1e-10)
    d = 0.01
    clv = gg.customer_lifetime_value(*args, horizon_units=52, discount_rate_per_unit=d,
                                     step_units=4)
    gold = np.zeros(len(s))
    for k in [4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52]:
        step = (fhl_fit.expected_purchases(k, s["x"], s["t_x"], s["T"])
                - fhl_fit.expected_purchases(k - 4, s["x"], s["t_x"], s["T"]))
        gold += step * spend / (1 + d) ** k
    np.testing.assert_allclose(clv, gold, rtol=1e-9)
    assert (clv < undiscounted).all()


def test_unfitted_models_refuse_to_predict() -> None:
    with pytest.raises(NotFittedError, match="not fitted"):
        BetaGeoModel().p_alive([1], [1.0], [2.0])
    with pytest.raises(NotFittedError, match="not fitted"):
        GammaGammaModel().conditional_expected_average_profit([1], [10.0])
    with pytest.raises(ValueError):
        BetaGeoModel().fit([1], [3.0], [2.0])  # t_x > T


def test_summarise_counts_days_not_orders_and_ignores_returns() -> None:
    ids = ["a", "a", "a", "a", "a", "b", "b", "c"]
    dates = ["2020-01-01 09:00", "2020-01-01 17:00", "2020-01-08", "2020-01-10", "2020-01-20",
             "2020-01-05", "2020-01-15", "2020-02-01"]
    values = [10.0, 5.0, -10.0, 20.0, 30.0, 7.0, 3.0, 9.0]
    s = summarise_transactions(ids, dates, values, calibration_end="2020-01-14",
                               observation_end="2020-01-28", unit_days=1)
    assert list(s["customer_id"]) == ["a", "b"]  # c starts after calibration
    a, b = s.iloc[0], s.iloc[1]
    assert (a["x"], a["t_x"], a["T"], a["monetary_value"]) == (1, 9, 13, 20)  # return dropped
    assert (a["x_star"], b["x"], b["x_star"], b["T"]) == (1, 0, 1, 9)
    assert b["monetary_value"] == 0 and (s["duration_holdout"] == 14).all()


# --------------------------------------------------------------------------- real data


@pytest.mark.realdata
@pytest.mark.parametrize("penalizer", [0.0, 0.001, 0.01])
def test_online_retail_fits_with_and_without_penalizer(penalizer: float,
                                                       datasets_dir: Path) -> None:
    path = datasets_dir / "online_retail" / "online_retail.parquet"
    if not path.exists():
        pytest.skip(f"online_retail not found at {path}")
    df = pd.read_parquet(path,
                         columns=["InvoiceNo", "Quantity", "UnitPrice", "InvoiceDate", "CustomerID"])
    df = df[df["CustomerID"].notna() & ~df["InvoiceNo"].str.startswith("C")
            & (df["Quantity"] > 0)]
    s = summarise_transactions(df["CustomerID"].astype("int64").astype(str), df["InvoiceDate"],
                               df["Quantity"] * df["UnitPrice"], calibration_end="2011-09-09",
                               observation_end="2011-12-09", unit_days=1)
    model = BetaGeoModel(penalizer).fit(s["x"], s["t_x"], s["T"])
    assert np.isfinite(model.log_likelihood_)
    e = model.expected_purchases(s["duration_holdout"], s["x"], s["t_x"], s["T"])
    assert np.isfinite(e).all()
    assert np.corrcoef(e, s["x_star"])[0, 1] > 0.6
    gg = GammaGammaModel(penalizer).fit(s["x"], s["monetary_value"])
    assert all(np.isfinite(v) and v > 0 for v in gg.params_.values())


@pytest.mark.realdata
def test_cdnow_master_holdout(datasets_dir: Path) -> None:
    path = datasets_dir / "cdnow" / "cdnow_master.parquet"
    if not path.exists():
        pytest.skip(f"CDNOW master not found at {path}")
    c = pd.read_parquet(path)
    s = summarise_transactions(c["customer_id"], pd.to_datetime(c["date"], format="%Y%m%d"),
                               c["dollar_value"], calibration_end="1997-09-30",
                               observation_end="1998-06-30")
    assert len(s) == 23_570
    model = BetaGeoModel().fit(s["x"], s["t_x"], s["T"])
    e = model.expected_purchases(s["duration_holdout"], s["x"], s["t_x"], s["T"])
    assert e.sum() == pytest.approx(s["x_star"].sum(), rel=0.2)
    assert np.corrcoef(e, s["x_star"])[0, 1] > 0.6
    naive = s["x"] / s["T"] * s["duration_holdout"]  # calibration rate carried forward
    assert np.abs(e - s["x_star"]).mean() < np.abs(naive - s["x_star"]).mean()


def test_fast_likelihoods_equal_per_customer_sums() -> None:
    rng = np.random.default_rng(7)
    x = rng.poisson(2.0, 300).astype(float)
    T = rng.uniform(1.0, 50.0, 300)
    t_x = np.where(x > 0, T * rng.uniform(0.01, 1.0, 300), 0.0)
    w = rng.integers(1, 5, 300).astype(float)
    params = np.array([0.4, 3.0, 1.3, 0.9])
    value, grad = _btyd_math.BgnbdLikelihood(x, t_x, T, w)(params)
    ll, per_grad = _btyd_math.bgnbd_loglik(params, x, t_x, T)
    assert value == pytest.approx(w @ ll, rel=1e-12)
    np.testing.assert_allclose(grad, per_grad @ w, rtol=1e-10)
    pos = x > 0
    m = rng.gamma(3.0, 10.0, int(pos.sum()))
    gg = np.array([2.0, 4.0, 30.0])
    value, grad = _btyd_math.GammaGammaLikelihood(x[pos], m, w[pos])(gg)
    ll, per_grad = _btyd_math.gamma_gamma_loglik(gg, x[pos], m)
    assert value == pytest.approx(w[pos] @ ll, rel=1e-12)
    np.testing.assert_allclose(grad, per_grad @ w[pos], rtol=1e-10)


def test_millions_of_customers_as_weights(cdnow_sample: pd.DataFrame,
                                          fhl_fit: BetaGeoModel) -> None:
    s = cdnow_sample
    big = BetaGeoModel().fit(s["x"], s["t_x"], s["T"], weights=np.full(len(s), 1000.0))
    assert big.n_customers_ == 2_357_000
    for name in FHL:
        assert big.params_[name] == pytest.approx(fhl_fit.params_[name], rel=1e-5)
    assert big.log_likelihood_ == pytest.approx(1000 * fhl_fit.log_likelihood_, rel=1e-9)


def test_expectation_is_continuous_through_a_equal_one() -> None:
    model = BetaGeoModel()
    x, t_x, T = map(np.array, zip(*CUSTOMERS, strict=True))
    out = {}
    for a in (1.0 - 1e-6, 1.0, 1.0 + 1e-6):
        model.params_ = {**FHL, "a": a}
        out[a] = model.expected_purchases(39.0, x, t_x, T)
    np.testing.assert_allclose(out[1.0], out[1.0 - 1e-6], rtol=1e-4)
    np.testing.assert_allclose(out[1.0], out[1.0 + 1e-6], rtol=1e-4)
