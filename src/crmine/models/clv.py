"""Customer value: BTYD forecasts, a supervised revenue model, CLV and value tiers.

``BtydForecaster`` — BG/NBD + Gamma-Gamma on a per-customer summary (x, t_x, T,
monetary_value; see :func:`crmine.models.btyd.summarise_transactions`). Time is in **weeks**
(``unit_days = 7``, the convention of the published CDNOW fits); horizons are given in days
and converted. It never raises on odd data: with too few repeat buyers for Gamma-Gamma, the
spend per occasion is the customers' own mean (or the overall mean).

* ``p_alive`` — BG/NBD P(alive);
* ``expected_orders`` — expected purchase *days* in the horizon (BG/NBD counts occasions);
* ``p_purchase`` — P(at least one purchase in the horizon) = P(alive) ·
  (1 − ((α+T)/(α+T+t))^(r+x)): exact under BG/NBD, since a customer can only drop out
  right after a purchase, and λ given alive is Gamma(r+x, α+T);
* ``expected_revenue`` — expected_orders × Gamma-Gamma spend per occasion;
* ``clv`` — discounted expected revenue over ``clv_days`` (monthly steps, each discounted
  from its end at the annual rate).

``HurdleRevenue`` — revenue in the horizon = P(buy) × E[revenue | buy], the second part a
LightGBM regression of log revenue among buyers (Duan's smearing factor undoes the log's
bias). The two stages keep the many zero customers from dragging the spend model down.

``value_tiers`` — "high" for the top 20 % by clv, "medium" for the next 30 %, "low" for the
rest (ties at an edge stay together in the higher tier; customers without a clv get none).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from crmine.models.base import Estimator, ModelRecord
from crmine.models.btyd import BetaGeoModel, GammaGammaModel, summarise_transactions

if TYPE_CHECKING:
    from datetime import date, datetime

    import pandas as pd

__all__ = ["BtydForecaster", "HurdleRevenue", "btyd_forecast_at", "profit_forecasts",
           "value_tiers"]

log = logging.getLogger(__name__)

UNIT_DAYS = 7.0
TIERS: tuple[tuple[str, float], ...] = (("high", 0.20), ("medium", 0.30), ("low", 0.50))


class BtydForecaster(Estimator):
    """BG/NBD + Gamma-Gamma with the forecasts the run publishes (see the module docstring)."""

    record_name = "bgnbd_gamma_gamma"

    def __init__(
        self,
        horizon_days: float = 90.0,
        *,
        clv_days: float = 365.0,
        annual_discount_rate: float = 0.10,
        penalizer: float = 0.0,
        gg_min_customers: int = 20,
    ) -> None:
        """``penalizer`` 0 = maximum likelihood, retried with 0.001 when drop-out runs off."""
        self.horizon_days = horizon_days
        self.clv_days = clv_days
        self.annual_discount_rate = annual_discount_rate
        self.penalizer = penalizer
        self.gg_min_customers = gg_min_customers

    def fit(self, summary: pd.DataFrame, *, as_of: date | None = None) -> BtydForecaster:
        """``summary``: columns x, t_x, T (weeks) and monetary_value, one row per customer,
        summarising purchase days before ``as_of`` (named in the model's record)."""
        self.as_of_ = as_of
        self.rows_ = len(summary)
        x, t_x, T = (summary[c].to_numpy(float) for c in ("x", "t_x", "T"))
        if len(x) == 0:
            raise ValueError("BTYD needs at least one customer")
        with _quiet_unless(self.penalizer > 0):  # its warnings matter only without a retry
            self.bgnbd_ = BetaGeoModel(self.penalizer).fit(x, t_x, T)
        a, b = self.bgnbd_.params_["a"], self.bgnbd_.params_["b"]
        if self.penalizer == 0 and (not self.bgnbd_.converged_ or a / (a + b) < 1e-4):
            # The MLE ran off to "nobody ever drops out" (P(alive) = 1 for all): the data
            # do not identify drop-out, so a small penalty keeps a and b finite.
            retry = BetaGeoModel(0.001).fit(x, t_x, T)
            if retry.converged_:
                self.bgnbd_ = retry
            else:
                log.warning("BG/NBD: no converged fit, with or without a penalty; "
                            "P(alive) and expected purchases are rough")
        m = summary["monetary_value"].to_numpy(float)
        usable = (x > 0) & (m > 0)
        self.gamma_gamma_: GammaGammaModel | None = None
        if usable.sum() >= self.gg_min_customers:
            gg = GammaGammaModel().fit(x, m)
            if gg.params_["q"] > 1:
                self.gamma_gamma_ = gg
        self.mean_spend_ = float(m[usable].mean()) if usable.any() else 0.0
        return self

    def spend(self, summary: pd.DataFrame) -> np.ndarray:
        self._check_fitted()
        x, m = summary["x"].to_numpy(float), summary["monetary_value"].to_numpy(float)
        if self.gamma_gamma_ is not None:
            return self.gamma_gamma_.conditional_expected_average_profit(x, m)
        own = (x > 0) & (m > 0)
        return np.where(own, m, self.mean_spend_)

    def predict(self, summary: pd.DataFrame) -> pd.DataFrame:
        """p_alive, p_purchase, expected_orders, spend, expected_revenue, clv per summary row."""
        import pandas as pd

        self._check_fitted()
        horizon_days, clv_days = self.horizon_days, self.clv_days
        annual_discount_rate = self.annual_discount_rate
        x, t_x, T = (summary[c].to_numpy(float) for c in ("x", "t_x", "T"))
        bg = self.bgnbd_
        t = horizon_days / UNIT_DAYS
        r, alpha = bg.params_["r"], bg.params_["alpha"]
        p_alive = bg.p_alive(x, t_x, T)
        expected = bg.expected_purchases(t, x, t_x, T)
        p_buy = p_alive * (1.0 - ((alpha + T) / (alpha + T + t)) ** (r + x))
        spend = self.spend(summary)
        weekly = (1.0 + annual_discount_rate) ** (UNIT_DAYS / 365.0) - 1.0
        clv_units = clv_days / UNIT_DAYS
        if self.gamma_gamma_ is not None:
            clv = self.gamma_gamma_.customer_lifetime_value(
                bg, x, t_x, T, summary["monetary_value"].to_numpy(float),
                horizon_units=clv_units, discount_rate_per_unit=weekly,
                step_units=min(30.4375 / UNIT_DAYS, clv_units) if clv_units > 0 else 1,
            )
        else:
            clv = bg.expected_purchases(clv_units, x, t_x, T) * spend
        return pd.DataFrame({
            "p_alive": p_alive,
            "p_purchase": np.clip(p_buy, 0.0, 1.0),
            "expected_orders": np.nan_to_num(expected),
            "spend_per_order": spend,
            "expected_revenue": np.nan_to_num(expected) * spend,
            "clv": np.nan_to_num(clv),
        }, index=summary.index)

    def describe(self) -> ModelRecord:
        self._check_fitted()
        window = "purchase days" + (f" before {self.as_of_:%Y-%m-%d}" if self.as_of_ else "")
        return ModelRecord(self.record_name, self.parameters(), window, self.rows_,
                           {"log_likelihood": self.bgnbd_.log_likelihood_})  # fmt: skip

    def parameters(self) -> dict[str, Any]:
        """The fitted BG/NBD and Gamma-Gamma parameters (what the record publishes)."""
        self._check_fitted()
        out: dict[str, Any] = {"unit": "weeks", "bgnbd": self.bgnbd_.params_,
                               "bgnbd_converged": self.bgnbd_.converged_,
                               "bgnbd_penalizer": self.bgnbd_.penalizer}
        if self.gamma_gamma_ is not None:
            out["gamma_gamma"] = self.gamma_gamma_.params_
        else:
            out["spend"] = f"own mean spend (population mean {self.mean_spend_:.4g})"
        return out


def btyd_forecast_at(
    occasions: pd.DataFrame,
    cutoff: datetime,
    horizon_days: int,
    *,
    clv_days: float = 365.0,
    annual_discount_rate: float = 0.10,
) -> tuple[BtydForecaster, pd.DataFrame] | None:
    """BTYD fitted on purchase days before ``cutoff`` and its per-customer forecasts.

    ``occasions``: customer_id, day, value (one row per purchase day). None when there is
    nothing to fit or the fit fails (logged): BTYD is then simply absent, never fatal.
    """
    from datetime import timedelta

    before = occasions[occasions["day"] < cutoff]
    summary = summarise_transactions(
        before["customer_id"].to_numpy(), before["day"].to_numpy(), before["value"].to_numpy(),
        calibration_end=cutoff - timedelta(days=1), unit_days=int(UNIT_DAYS),
    )  # fmt: skip
    if summary.empty:
        return None
    model = BtydForecaster(horizon_days, clv_days=clv_days,
                           annual_discount_rate=annual_discount_rate)  # fmt: skip
    try:
        model.fit(summary, as_of=cutoff.date())
    except (ValueError, FloatingPointError) as exc:
        log.warning("BTYD fit before %s failed: %s", cutoff.date(), exc)
        return None
    pred = model.predict(summary)
    pred.insert(0, "customer_id", summary["customer_id"].to_numpy())
    return model, pred


def profit_forecasts(scores: pd.DataFrame, margins: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """``scores`` with expected_profit, clv_profit and value tiers by clv_profit.

    A customer's margin is their profit over their revenue so far, shrunk toward the shop's
    margin by one median customer's revenue (a customer with one small order says little
    about their margin; one with many says much): m = (profit + shop × r0) / (revenue + r0).
    A customer who returned more than they bought has no margin of their own (the shop's).
    """
    import pandas as pd

    out = scores.copy()
    rev = margins["revenue"].to_numpy(float)
    prof = margins["profit"].to_numpy(float)
    positive = rev > 0
    shop = float(prof[positive].sum() / rev[positive].sum()) if positive.any() else 0.0
    r0 = float(np.median(rev[positive])) if positive.any() else 1.0
    own = np.where(positive, (prof + shop * r0) / (np.maximum(rev, 0.0) + r0), shop)
    margin = pd.Series(own, index=margins["customer_id"].to_numpy())
    m = margin.reindex(out["customer_id"].to_numpy()).fillna(shop).to_numpy(float)
    out["expected_profit"] = out["expected_revenue"].to_numpy(float) * m
    out["clv_profit"] = out["clv"].to_numpy(float) * m
    out["value_tier"] = value_tiers(out["clv_profit"].to_numpy(float))
    return out, (f"value tiers by profit CLV (the orders' profit column: shop margin "
                 f"{shop:.1%}, each customer's own shrunk toward it)")  # fmt: skip


#: shortest validation window worth fitting BTYD for, in days
MIN_VALIDATION_DAYS = 14


def btyd_purchase_ranking(
    occasions: pd.DataFrame, as_of: datetime, horizon_days: int, min_history_days: int
) -> tuple[str, dict[str, Any]]:
    """Which of BTYD's own scores ranks "buys within the horizon" better, decided on the
    latest windows before ``as_of``: its P(≥1 purchase) or its expected purchases.

    Under a correct BG/NBD the probability ranks best; on real data the expected count
    often does (on CDNOW at 1997-10-01, 39 weeks: AUC 0.763 against 0.747), and a published
    score must not lose to a baseline shown beside it. The data decides: BTYD is fitted
    before the two latest windows that fit (the horizon, capped by the history after
    ``min_history_days``, and half of it), and the score with the higher mean AUC over
    them wins; ties keep the probability. Returns (``"p_purchase"`` or
    ``"expected_orders"``, what was measured).
    """
    from datetime import timedelta

    from crmine.evaluation import metrics

    first = occasions["day"].min()
    room = (as_of - first).days - min_history_days
    longest = min(horizon_days, room)
    windows = sorted({w for w in (longest, longest // 2) if w >= MIN_VALIDATION_DAYS})
    gains: list[float] = []
    for days in windows:
        cut = as_of - timedelta(days=days)
        fitted = btyd_forecast_at(occasions, cut, days)
        if fitted is None:
            continue
        pred = fitted[1]
        window = occasions[(occasions["day"] >= cut) & (occasions["day"] < as_of)]
        y = pred["customer_id"].isin(window["customer_id"]).to_numpy()
        if y.all() or not y.any():
            continue
        gains.append(metrics.auc(y, pred["expected_orders"].to_numpy(float))
                     - metrics.auc(y, pred["p_purchase"].to_numpy(float)))  # fmt: skip
    choice = "expected_orders" if gains and float(np.mean(gains)) > 0 else "p_purchase"
    return choice, {"p_purchase_ranked_by": choice, "validation_windows_days": windows,
                    "validation_auc_gain_of_expected_orders": gains}  # fmt: skip


@contextlib.contextmanager
def _quiet_unless(loud: bool) -> Iterator[None]:
    """Hold back the BTYD module's warnings for a first attempt that may be retried."""
    btyd_log = logging.getLogger("crmine.models.btyd")
    level = btyd_log.level
    if not loud:
        btyd_log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        btyd_log.setLevel(level)


class HurdleRevenue(Estimator):
    """Revenue in the horizon as P(buy) × E[revenue | buy] (see the module docstring)."""

    def __init__(self, n_estimators: int = 300, learning_rate: float = 0.05,
                 random_state: int = 0) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, revenue: Any, X_val: pd.DataFrame | None = None,
            revenue_val: Any = None) -> HurdleRevenue:
        """Fit E[revenue | buy] on rows with positive revenue (early stopping on X_val)."""
        import lightgbm as lgb

        revenue = np.asarray(revenue, float)
        buy = revenue > 0
        if buy.sum() < 10:
            raise ValueError("need at least 10 customers with revenue in the horizon")
        self.features_ = list(X.columns)
        self.model_ = lgb.LGBMRegressor(
            n_estimators=self.n_estimators, learning_rate=self.learning_rate, num_leaves=15,
            min_child_samples=20, subsample=0.8, subsample_freq=1, colsample_bytree=0.8,
            reg_lambda=5.0, random_state=self.random_state, n_jobs=1, verbose=-1,
        )
        kwargs: dict[str, Any] = {}
        if X_val is not None and revenue_val is not None:
            rv = np.asarray(revenue_val, float)
            if (rv > 0).sum() >= 10:
                kwargs = {"eval_X": (np.asarray(X_val[rv > 0], float),),
                          "eval_y": (np.log(rv[rv > 0]),),
                          "callbacks": [lgb.early_stopping(30, verbose=False)]}
        from crmine.models._tabular import canonical_order

        Xb, yb = np.asarray(X[buy], float), np.log(revenue[buy])
        order = canonical_order(Xb, yb)  # the fit must not depend on the input row order
        Xb, yb = Xb[order], yb[order]
        self.model_.fit(Xb, yb, **kwargs)
        self.best_iteration_ = int(self.model_.best_iteration_ or self.n_estimators)
        residual = yb - self.model_.predict(Xb)
        self.smearing_ = float(np.mean(np.exp(residual)))
        return self

    def revenue_if_buying(self, X: pd.DataFrame) -> np.ndarray:
        self._check_fitted()
        return np.exp(self.model_.predict(np.asarray(X[self.features_], float))) * self.smearing_

    def predict(self, X: pd.DataFrame, p_purchase: Any) -> np.ndarray:
        return np.asarray(p_purchase, float) * self.revenue_if_buying(X)


def value_tiers(clv: Any, tiers: tuple[tuple[str, float], ...] = TIERS) -> np.ndarray:
    """Tier label per customer by clv rank (top 20 % high, next 30 % medium, rest low)."""
    from scipy.stats import rankdata

    clv = np.asarray(clv, float)
    out = np.full(len(clv), None, dtype=object)
    known = np.isfinite(clv)
    if not known.any():
        return out
    # Share of customers strictly above; a tied block starting inside a tier stays in it.
    above = (rankdata(-clv[known], method="min") - 1) / known.sum()
    labels = np.full(known.sum(), tiers[-1][0], dtype=object)
    edge = 0.0
    edges = []
    for name, share in tiers[:-1]:
        edge += share
        edges.append((name, edge))
    for name, upper in reversed(edges):
        labels[above < upper - 1e-12] = name
    out[known] = labels
    return out
