r"""BG/NBD purchase model and Gamma-Gamma spend model ("buy till you die").

What a customer is described by
-------------------------------
A *purchase occasion* is a distinct day with at least one purchase (the convention of the
published CDNOW fits); several orders on one day are one occasion, returns never count.
Per customer, over a calibration window that ends at ``calibration_end``:

* ``x``   — number of repeat occasions (all occasions but the first);
* ``t_x`` — time from the first to the last occasion;
* ``T``   — time from the first occasion to ``calibration_end``;
* ``monetary_value`` — mean value of the repeat occasions (the first one excluded, as in
  Fader, Hardie & Lee); an occasion's value is the sum of that day's purchases.

Time is in *units* chosen by the caller (``unit_days``: 7 = weeks, as in the papers; 1 = days).
The models are unit-agnostic: changing the unit by a factor ``k`` (e.g. days -> weeks, k = 7)
divides ``alpha`` by ``k`` and leaves ``r, a, b`` unchanged; predictions for the same span of
calendar time are the same. Gamma-Gamma does not involve time at all.

BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way")
-----------------------------------------------------------------------
While alive a customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each
purchase she drops out with probability p ~ Beta(a, b). The likelihood of (x, t_x, T) is

.. math::

    L = \frac{B(a, b+x)}{B(a, b)} \frac{\Gamma(r+x) \alpha^r}{\Gamma(r) (\alpha+T)^{r+x}}
      + \delta_{x>0} \frac{B(a+1, b+x-1)}{B(a, b)}
        \frac{\Gamma(r+x) \alpha^r}{\Gamma(r) (\alpha+t_x)^{r+x}}

evaluated in log space (``gammaln``, ``betaln``, ``logaddexp``), so millions of customers,
x in the hundreds and long T are fine. Customers with identical (x, t_x, T) are compressed
into one weighted row before fitting. The fit maximises the weighted mean log-likelihood
minus ``penalizer * (r² + α² + a² + b²)`` (lifetimes' convention) by L-BFGS-B on the log
parameters with the analytic gradient, retrying from other starts when the optimiser
fails; it logs a warning, never raises, when no start converges.

.. math::

    P(\text{alive} \mid x, t_x, T) = 1 \Big/ \Big(1 + \delta_{x>0}
        \frac{a}{b+x-1} \Big(\frac{\alpha+T}{\alpha+t_x}\Big)^{r+x}\Big)

    E[Y(t) \mid x, t_x, T] = P(\text{alive}) \frac{a+b+x-1}{a-1}
        \Big[1 - \Big(\frac{\alpha+T}{\alpha+T+t}\Big)^{r+x}
        {}_2F_1\Big(r+x, b+x; a+b+x-1; \frac{t}{\alpha+T+t}\Big)\Big]

The 2F1 term is evaluated after Euler's transformation (see ``_btyd_math``), which removes
the overflow/NaN that the direct form produces for large x. ``E[X(t)]`` (a new customer)
is the same expression with x = t_x = T = 0.

Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV", J. Marketing Research 42(4))
--------------------------------------------------------------------------------
Each transaction value z ~ Gamma(p, ν), ν ~ Gamma(q, γ) across customers (γ is ``v`` here);
spend is assumed independent of the purchase process. The mean spend z̄ over x
transactions has the marginal density

.. math::

    f(\bar z \mid x) = \frac{\Gamma(px+q)}{\Gamma(px)\Gamma(q)}
        \frac{\gamma^q \bar z^{px-1} x^{px}}{(\gamma + x\bar z)^{px+q}}

and the expected spend per transaction is the credibility-weighted mean

.. math::

    E[Z \mid x, \bar z] = \frac{p(\gamma + x\bar z)}{px + q - 1}
        = \frac{q-1}{px+q-1}\frac{p\gamma}{q-1} + \frac{px}{px+q-1}\bar z .

Only customers with x > 0 and z̄ > 0 inform the fit (zero or negative mean spend, e.g. net
of returns, cannot come from a Gamma; such customers are skipped, not an error).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from crmine.models import _btyd_math as _m
from crmine.models._threads import single_thread
from crmine.models.base import Estimator

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BetaGeoModel", "GammaGammaModel", "summarise_transactions"]

logger = logging.getLogger(__name__)

_LOG_BOUND = 30.0  # parameters are kept within exp(±30): finite, far beyond any real fit


# --------------------------------------------------------------------------- summary


def summarise_transactions(
    customer_ids: Any,
    dates: Any,
    values: Any = None,
    *,
    calibration_end: Any,
    observation_end: Any = None,
    unit_days: float = 7,
) -> pd.DataFrame:
    """Per-customer (x, t_x, T, monetary_value[, x_star, duration_holdout]) from order lines.

    ``dates`` may be datetimes or parseable text; only the day counts (times are floored).
    Rows with a negative value are returns and are dropped; NaN values count as purchases
    of unknown value. ``calibration_end`` is the last day of the calibration window
    (inclusive). Customers whose first purchase is after it are not in the result.

    ``T`` is measured from the first purchase day to ``calibration_end``, ``t_x`` from the
    first to the last purchase day in calibration, both in units of ``unit_days`` days.
    ``monetary_value`` is the mean value of the repeat occasions (0 when x == 0). With
    ``observation_end``, ``x_star`` counts purchase days in (calibration_end,
    observation_end] and ``duration_holdout`` is that window's length in units.
    Result: one row per customer, sorted by ``customer_id``.
    """
    import pandas as pd

    if unit_days <= 0:
        raise ValueError("unit_days must be positive")
    frame = pd.DataFrame(
        {
            "customer_id": np.asarray(customer_ids),
            "day": _to_days(dates),
            "value": np.ones(len(customer_ids)) if values is None else np.asarray(values, float),
        }
    )
    frame = frame[frame["customer_id"].notna() & frame["day"].notna()]
    frame = frame[~(frame["value"] < 0)]  # returns never count
    cal_end = pd.Timestamp(calibration_end).floor("D")
    occasions = (
        frame.groupby(["customer_id", "day"], sort=True)["value"]
        .sum(min_count=1)
        .reset_index()
    )
    unit = pd.Timedelta(days=unit_days)
    cal = occasions[occasions["day"] <= cal_end].copy()
    grouped = cal.groupby("customer_id", sort=True)
    first = grouped["day"].transform("min")
    cal["repeat_value"] = cal["value"].where(cal["day"] > first)
    out = grouped.agg(
        first=("day", "min"), last=("day", "max"), n=("day", "size"),
        monetary_value=("repeat_value", "mean"),
    )
    result = pd.DataFrame(
        {
            "x": (out["n"] - 1).astype(float),
            "t_x": (out["last"] - out["first"]) / unit,
            "T": (cal_end - out["first"]) / unit,
            "monetary_value": out["monetary_value"].where(out["n"] > 1, 0.0),
        },
        index=out.index,
    )
    if observation_end is not None:
        obs_end = pd.Timestamp(observation_end).floor("D")
        if obs_end < cal_end:
            raise ValueError("observation_end must not be before calibration_end")
        hold = occasions[(occasions["day"] > cal_end) & (occasions["day"] <= obs_end)]
        counts = hold.groupby("customer_id").size()
        result["x_star"] = counts.reindex(result.index, fill_value=0).astype(float)
        result["duration_holdout"] = (obs_end - cal_end) / unit
    return result.rename_axis("customer_id").reset_index()


# --------------------------------------------------------------------------- helpers


def _to_days(dates: Any) -> pd.DatetimeIndex:
    """Datetimes (or ISO / mixed-format text) floored to the day."""
    import pandas as pd

    values = pd.Series(np.asarray(dates))
    if not pd.api.types.is_datetime64_any_dtype(values):
        try:
            values = pd.to_datetime(values, format="ISO8601")
        except (ValueError, TypeError):
            values = pd.to_datetime(values, format="mixed")
    return pd.DatetimeIndex(values).floor("D")


def _as_float(name: str, values: Any) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim > 1:
        raise ValueError(f"{name} must be one-dimensional")
    return np.atleast_1d(arr)


def _check_rft(x: Any, t_x: Any, T: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, t_x, T = _as_float("x", x), _as_float("t_x", t_x), _as_float("T", T)
    x, t_x, T = np.broadcast_arrays(x, t_x, T)
    if not (np.isfinite(x).all() and np.isfinite(t_x).all() and np.isfinite(T).all()):
        raise ValueError("x, t_x and T must be finite")
    if (x < 0).any() or (t_x < 0).any() or (t_x > T * (1 + 1e-12)).any():
        raise ValueError("need x >= 0 and 0 <= t_x <= T")
    if ((x > 0) & (t_x <= 0)).any():
        raise ValueError("customers with repeat purchases (x > 0) need t_x > 0")
    return x.astype(float), t_x.astype(float), T.astype(float)


def _compress(columns: list[np.ndarray], weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique rows of the stacked columns and the summed weights of each.

    Each column is coded by a 1-D ``np.unique``; the codes are combined into one integer key
    (much faster than ``np.unique(axis=0)``, which sorts whole rows).
    """
    key = np.zeros(len(weights), dtype=np.int64)
    n_keys = 1
    for column in columns:
        uniques, codes = np.unique(column, return_inverse=True)
        if n_keys * len(uniques) >= 2**62:  # re-code the key so it cannot overflow
            key = np.unique(key, return_inverse=True)[1].ravel()
            n_keys = int(key.max()) + 1
        key = key * len(uniques) + codes.ravel()
        n_keys *= len(uniques)
    ukey, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    summed = np.bincount(inverse.ravel(), weights=weights, minlength=len(ukey))
    rows = np.column_stack([column[first] for column in columns])
    keep = summed > 0
    return rows[keep], summed[keep]


@dataclass(frozen=True)
class _Fit:
    log_params: np.ndarray
    objective: float
    success: bool
    message: str


def _penalised_objective(loglik, total: float, penalizer: float):
    """Mean negative log-likelihood plus ``penalizer·Σparams²``, on log-parameters.

    Returns (value, gradient) for L-BFGS-B; non-finite points are reported as +inf so the
    optimiser backs off instead of stopping.
    """

    def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        params = np.exp(log_params)
        ll, grad = loglik(params)
        value = -ll / total + penalizer * (params @ params)
        gradient = (-grad / total + 2.0 * penalizer * params) * params
        if not np.isfinite(value) or not np.isfinite(gradient).all():
            return np.inf, np.zeros_like(log_params)
        return float(value), gradient

    return objective


def _maximise(objective, starts: list[np.ndarray]) -> _Fit:
    """L-BFGS-B on log-parameters from each start until one converges; best one wins."""
    from scipy.optimize import minimize

    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * len(starts[0])
    best: _Fit | None = None
    with np.errstate(all="ignore"), single_thread(user_api="blas"):
        for start in starts:
            res = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds,
                           options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9})
            if not np.isfinite(res.fun):
                continue
            fit = _Fit(np.asarray(res.x), float(res.fun), bool(res.success), str(res.message))
            if best is None or fit.objective < best.objective - 1e-12:
                best = fit
            if fit.success and np.all(np.abs(fit.log_params) < _LOG_BOUND - 1e-6):
                break
    if best is None:
        return _Fit(np.asarray(starts[0]), np.inf, False, "no start gave a finite likelihood")
    return best


def _warn_if_poor(model: str, fit: _Fit, names: tuple[str, ...]) -> None:
    at_bound = [n for n, v in zip(names, fit.log_params, strict=True)
                if abs(v) >= _LOG_BOUND - 1e-6]
    if not fit.success:
        logger.warning("%s fit did not converge (%s); returning the best fit found",
                       model, fit.message)
    if at_bound:
        logger.warning("%s: parameters %s hit their bounds; the data do not identify them "
                       "(try a small penalizer)", model, ", ".join(at_bound))




# --------------------------------------------------------------------------- BG/NBD


class BetaGeoModel(Estimator):
    """BG/NBD model of repeat purchases (Fader, Hardie & Lee 2005); see the module docstring.

    ``penalizer`` adds ``penalizer * Σ params²`` to the mean negative log-likelihood
    (lifetimes' convention, so the same value means the same thing there); 0 gives the
    maximum-likelihood fit. It mostly tames a/b when the data show almost no dropout
    (the MLE then runs off to a -> 0, b -> inf); note it shrinks alpha too, and alpha
    depends on the time unit, so a penalizer tuned in weeks is stronger in days.
    """

    _names = ("r", "alpha", "a", "b")

    def __init__(self, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer

    def fit(self, x: Any, t_x: Any, T: Any, weights: Any = None) -> BetaGeoModel:
        """Fit on per-customer repeat count x, recency t_x and age T (same time unit)."""
        x, t_x, T = _check_rft(x, t_x, T)
        if len(x) == 0:
            raise ValueError("need at least one customer")
        w = np.ones_like(x) if weights is None else np.broadcast_to(_as_float("weights", weights),
                                                                     x.shape).astype(float)
        if (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
            raise ValueError("weights must be finite, non-negative and not all zero")
        if self.penalizer < 0:
            raise ValueError("penalizer must be >= 0")
        rows, w = _compress([x, t_x, T], w)
        ux, utx, uT = rows.T
        total = w.sum()
        penalizer = float(self.penalizer)
        loglik = _m.BgnbdLikelihood(ux, utx, uT, w)

        objective = _penalised_objective(loglik, total, penalizer)

        fit = _maximise(objective, self._starts(ux, uT, w))
        _warn_if_poor("BG/NBD", fit, self._names)
        params = np.exp(fit.log_params)
        self.params_ = dict(zip(self._names, map(float, params), strict=True))
        self.log_likelihood_ = loglik(params)[0]
        self.n_customers_ = round(float(total))
        self.converged_ = fit.success
        return self

    @staticmethod
    def _starts(x: np.ndarray, T: np.ndarray, w: np.ndarray) -> list[np.ndarray]:
        # E[λ] = r/α ≈ purchases per unit of time; dropout starts moderate (a < b).
        rate = max(float(np.sum(w * x)) / max(float(np.sum(w * T)), 1e-12), 1e-6)
        alpha = 1.0 / rate
        starts = [(1.0, alpha, 1.0, 3.0), (0.3, 0.3 * alpha, 0.5, 2.0),
                  (3.0, 3.0 * alpha, 2.0, 10.0), (0.1, 0.05 * alpha, 0.1, 0.5)]
        return [np.log(np.clip(s, 1e-12, 1e12)) for s in starts]

    def _params(self) -> np.ndarray:
        self._check_fitted()
        return np.array([self.params_[n] for n in self._names])

    def p_alive(self, x: Any, t_x: Any, T: Any) -> np.ndarray:
        """Probability that each customer is still alive at T."""
        params = self._params()
        x, t_x, T = _check_rft(x, t_x, T)
        return _m.bgnbd_p_alive(params, x, t_x, T)

    def expected_purchases(self, t: Any, x: Any, t_x: Any, T: Any) -> np.ndarray:
        """Expected purchases in the next ``t`` units, given each customer's history."""
        params = self._params()
        x, t_x, T = _check_rft(x, t_x, T)
        t = np.broadcast_to(_as_float("t", t), x.shape)
        if (t < 0).any():
            raise ValueError("t must be >= 0")
        with np.errstate(divide="ignore", invalid="ignore"):
            if_alive = _m.bgnbd_expected_if_alive(params, t, x, T)
        return np.where(t > 0, _m.bgnbd_p_alive(params, x, t_x, T) * if_alive, 0.0)

    def expected_purchases_unconditional(self, t: Any) -> np.ndarray:
        """Expected purchases of a newly acquired customer in her first ``t`` units, E[X(t)]."""
        params = self._params()
        t = _as_float("t", t)
        if (t < 0).any():
            raise ValueError("t must be >= 0")
        zero = np.zeros_like(t)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = _m.bgnbd_expected_if_alive(params, t, zero, zero)
        return np.where(t > 0, out, 0.0)


# --------------------------------------------------------------------------- Gamma-Gamma


class GammaGammaModel(Estimator):
    """Gamma-Gamma model of spend per transaction (FHL 2005, "RFM and CLV").

    ``params_`` holds ``p, q, v`` (FHL's γ is ``v``). ``penalizer`` as in BetaGeoModel;
    since ``v`` is in currency units, even a small penalizer pulls it (and q) down hard
    when spends are large: prefer 0 unless the fit fails.
    """

    _names = ("p", "q", "v")

    def __init__(self, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer

    def fit(self, frequency: Any, monetary_value: Any) -> GammaGammaModel:
        """Fit on customers with frequency > 0 and monetary_value > 0; others are skipped."""
        x = _as_float("frequency", frequency)
        m = _as_float("monetary_value", monetary_value)
        x, m = np.broadcast_arrays(x, m)
        if self.penalizer < 0:
            raise ValueError("penalizer must be >= 0")
        usable = np.isfinite(x) & np.isfinite(m) & (x > 0) & (m > 0)
        skipped = int((~usable & (x > 0)).sum())
        if skipped:
            logger.info("Gamma-Gamma: %d customers with repeat purchases but no positive "
                        "mean spend were left out of the fit", skipped)
        if not usable.any():
            raise ValueError("Gamma-Gamma needs at least one customer with frequency > 0 "
                             "and positive monetary value")
        rows, w = _compress([x[usable], m[usable]], np.ones(int(usable.sum())))
        ux, um = rows.T
        total = w.sum()
        penalizer = float(self.penalizer)
        loglik = _m.GammaGammaLikelihood(ux, um, w)

        objective = _penalised_objective(loglik, total, penalizer)

        mean_spend = float(np.sum(w * um) / total)
        starts = [np.log([p, q, v]) for p, q, v in
                  [(1.0, 2.0, mean_spend), (5.0, 4.0, 10.0 * mean_spend), (0.5, 1.5, 0.5)]]
        fit = _maximise(objective, starts)
        _warn_if_poor("Gamma-Gamma", fit, self._names)
        params = np.exp(fit.log_params)
        self.params_ = dict(zip(self._names, map(float, params), strict=True))
        self.log_likelihood_ = loglik(params)[0]
        self.n_customers_ = round(float(total))
        self.converged_ = fit.success
        if self.params_["q"] <= 1:
            logger.warning("Gamma-Gamma: q = %.3g <= 1, the population mean spend is infinite "
                           "and expected spend is not meaningful (a penalizer can cause this: "
                           "it shrinks v and q)", self.params_["q"])
        return self

    def conditional_expected_average_profit(
        self, frequency: Any, monetary_value: Any
    ) -> np.ndarray:
        """Expected value of each customer's future transactions.

        Customers with frequency 0 (or a NaN mean spend) get the population mean p·v/(q-1);
        a non-positive mean spend is taken as 0 (evidence of low spend), shrunk to the mean.
        """
        self._check_fitted()
        p, q, v = (self.params_[n] for n in self._names)
        x, m = np.broadcast_arrays(_as_float("frequency", frequency),
                                   _as_float("monetary_value", monetary_value))
        if (x < 0).any():
            raise ValueError("frequency must be >= 0")
        known = np.isfinite(m) & (x > 0)
        xk = np.where(known, x, 0.0)
        mk = np.where(known, np.maximum(m, 0.0), 0.0)
        return p * (v + xk * mk) / (p * xk + q - 1.0)

    def customer_lifetime_value(
        self,
        bgnbd: BetaGeoModel,
        x: Any,
        t_x: Any,
        T: Any,
        monetary_value: Any,
        *,
        horizon_units: float,
        discount_rate_per_unit: float = 0.0,
        step_units: float = 1,
    ) -> np.ndarray:
        """Discounted expected revenue over the next ``horizon_units`` time units.

        Σ_k [E(t_k) - E(t_{k-1})] · E[Z] / (1 + d)^{t_k} with t_k = k·step (the last step
        ends at the horizon): purchases in a step are discounted from the step's end.
        """
        if horizon_units < 0 or step_units <= 0 or discount_rate_per_unit <= -1:
            raise ValueError("need horizon_units >= 0, step_units > 0, discount rate > -1")
        x, t_x, T = _check_rft(x, t_x, T)
        spend = self.conditional_expected_average_profit(x, monetary_value)
        params = bgnbd._params()
        p_alive = _m.bgnbd_p_alive(params, x, t_x, T)
        edges = np.arange(step_units, horizon_units + step_units, step_units, dtype=float)
        edges = np.minimum(edges, horizon_units)
        edges = edges[np.concatenate([[True], np.diff(edges) > 0])] if len(edges) else edges
        clv = np.zeros_like(x)
        previous = np.zeros_like(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            for edge in edges[edges > 0]:  # a loop over time steps, not customers
                current = p_alive * _m.bgnbd_expected_if_alive(params, np.full_like(x, edge), x, T)
                clv += (current - previous) / (1.0 + discount_rate_per_unit) ** edge
                previous = current
        return clv * spend
