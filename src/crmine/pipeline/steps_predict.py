"""Run steps that predict: purchases, value and churn, filling ``customer_scores``.

The work is done by :func:`forecast_orders` and :func:`forecast_churn`, which read the
warehouse through Ibis **truncated at as_of** (every table is filtered to rows strictly
before it first), so ``crmine run --as-of D`` and ``crmine evaluate --cutoff D`` see exactly
the same data and nothing after D can leak in.

Purchase model (needs orders)
    * BG/NBD + Gamma-Gamma on purchase days before as_of, time unit weeks
      (:class:`crmine.models.clv.BtydForecaster`): p_alive, expected_orders (= expected
      purchase *days* in the horizon), BTYD revenue and CLV.
    * Rolling cutoffs ``as_of − horizon − k·step`` (k = 0 … ``max_cutoffs − 1``, each with at
      least ``min_history_days`` of data before it) so every label window ends before
      as_of. The latest cutoff validates; candidates train on cutoffs whose labels end
      before it (a strict time split); the winner is refit on every cutoff.
    * Features per cutoff: :func:`crmine.features.training_frame` (RFM, gaps, trends, basket,
      breadth, returns, tenure, customer attributes), the service signals of
      :func:`crmine.features.service.service_frame` (complaints, unresolved tickets,
      sentiment and its trend, last NPS, contacts; only feedback and interactions before the
      cutoff), and the BTYD outputs of a BG/NBD fit on data before that cutoff. At as_of the
      run's published customer_features are reused when given. A feature group can be left
      out (``exclude_features``, e.g. ``("service",)``) to measure what it adds.
    * p_purchase = calibrated propensity, blended in log-odds with BTYD's own P(purchase)
      at the weight that ranks the validation window best (0 … 0.5; BTYD's alone when
      there is too little history);
      expected_revenue = ML hurdle, BTYD×GG or their mean, whichever ranks the validation
      window's revenue best (Spearman); clv = that horizon revenue stretched to the CLV
      horizon by each customer's BTYD ratio (discounted CLV / horizon revenue), or BTYD's
      CLV when BTYD wins; value_tier by clv (top 20 % high, next 30 % medium, rest low).
    * churn_risk = 1 − p_purchase (non-contractual); top_reasons from the propensity
      model's attributions, read as pushes toward churn risk.

Churn (needs customers with a churned label): see :mod:`crmine.models.churn`; it replaces
churn_risk and top_reasons for every customer. Its inputs are the customers' attributes, their
order features and their service signals at as_of.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from crmine.pipeline.run import RunContext, Step

if TYPE_CHECKING:
    import ibis
    import pandas as pd

    from crmine.features.service import ServiceEvents

log = logging.getLogger(__name__)

LABEL_COLUMNS = ("purchased", "orders_in_horizon", "purchase_days_in_horizon", "revenue_in_horizon")
# Never features: keys, labels, raw timestamps (recency/tenure carry them) and the churn label.
NOT_FEATURES = (
    "customer_id",
    "cutoff",
    "first_order_ts",
    "last_order_ts",
    "churned",
    *LABEL_COLUMNS,
)
BTYD_FEATURES = ("p_alive", "p_purchase", "expected_orders", "expected_revenue", "clv")
# Groups of features that can be left out (PredictSettings.exclude_features).
FEATURE_GROUPS = ("service", "btyd")


@dataclass(frozen=True)
class PredictSettings:
    """Settings of the predictive steps; ``from_config`` reads [models], [clv] and [churn]."""

    candidates: tuple[str, ...] = ("logistic", "tree", "forest", "svm", "lightgbm")
    cutoff_step_days: int = 45
    max_cutoffs: int = 4
    min_history_days: int = 45
    min_customers: int = 30
    svm_max_rows: int = 2000
    max_train_rows: int = 20000
    reasons: int = 3
    random_state: int = 0
    clv_days: int = 365
    annual_discount_rate: float = 0.10
    churn_candidates: tuple[str, ...] = ("logistic", "lightgbm", "blend")
    churn_folds: int = 5
    exclude_features: tuple[str, ...] = ()  # groups from FEATURE_GROUPS

    @classmethod
    def from_config(cls, config: Any) -> PredictSettings:
        """Settings from the workspace; ConfigError naming the bad value otherwise."""
        from crmine.errors import ConfigError

        try:
            settings = cls._read(config)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"invalid [models], [clv] or [churn] setting: {exc}") from None
        problem = settings.problem()
        if problem:
            raise ConfigError(problem)
        return settings

    def problem(self) -> str | None:
        from crmine.models._candidates import CANDIDATES
        from crmine.models.churn import CHURN_CANDIDATES

        if not self.candidates or set(self.candidates) - set(CANDIDATES):
            return f"[models] candidates must be a non-empty list from {list(CANDIDATES)}"
        if not self.churn_candidates or set(self.churn_candidates) - set(CHURN_CANDIDATES):
            return f"[churn] candidates must be a non-empty list from {list(CHURN_CANDIDATES)}"
        if self.cutoff_step_days <= 0 or self.max_cutoffs < 2 or self.min_history_days < 0:
            return "[models] needs cutoff_step_days > 0, max_cutoffs >= 2 and min_history_days >= 0"
        if self.clv_days <= 0 or self.annual_discount_rate <= -1:
            return "[clv] needs horizon_days > 0 and annual_discount_rate > -1"
        if self.churn_folds < 2:
            return "[churn] folds must be at least 2"
        if set(self.exclude_features) - set(FEATURE_GROUPS):
            return f"[models] exclude_features must list groups from {list(FEATURE_GROUPS)}"
        return None

    @classmethod
    def _read(cls, config: Any) -> PredictSettings:
        models, clv, churn = (config.section(s) for s in ("models", "clv", "churn"))
        base = cls()
        return cls(
            candidates=tuple(models.get("candidates", base.candidates)),
            cutoff_step_days=int(models.get("cutoff_step_days", base.cutoff_step_days)),
            max_cutoffs=int(models.get("max_cutoffs", base.max_cutoffs)),
            min_history_days=int(models.get("min_history_days", base.min_history_days)),
            min_customers=int(models.get("min_customers", base.min_customers)),
            svm_max_rows=int(models.get("svm_max_rows", base.svm_max_rows)),
            max_train_rows=int(models.get("max_train_rows", base.max_train_rows)),
            reasons=int(models.get("reasons", base.reasons)),
            random_state=int(models.get("random_state", base.random_state)),
            clv_days=int(clv.get("horizon_days", base.clv_days)),
            annual_discount_rate=float(clv.get("annual_discount_rate", base.annual_discount_rate)),
            churn_candidates=tuple(churn.get("candidates", base.churn_candidates)),
            churn_folds=int(churn.get("folds", base.churn_folds)),
            exclude_features=tuple(models.get("exclude_features", base.exclude_features)),
        )


@dataclass
class Forecast:
    """Per-customer predictions (``scores``), what was fitted (``models``) and a summary."""

    scores: pd.DataFrame
    models: list[dict[str, Any]] = field(default_factory=list)
    detail: str = ""
    baselines: pd.DataFrame | None = None  # recency, last period, BTYD: for evaluation


# --------------------------------------------------------------------------- data


def _truncated(backend: ibis.BaseBackend, name: str, ts: str, as_of: datetime) -> ibis.Table:
    import ibis

    table = backend.table(name)
    return table.filter(table[ts] < ibis.literal(as_of))


def _occasions(orders: ibis.Table) -> pd.DataFrame:
    """customer_id, day, value: one row per purchase day (returns never count)."""
    from crmine.features.customer import flag_lines

    lines = flag_lines(orders.filter(orders.customer_id.notnull()))
    buys = lines.filter(~lines.is_ret)
    days = buys.group_by(["customer_id", buys.order_ts.date().name("day")]).aggregate(
        value=buys.net.sum()
    )
    frame = days.to_pandas()
    frame["day"] = frame["day"].astype("datetime64[ns]")
    return frame


def _summary(occasions: pd.DataFrame, cutoff: datetime) -> pd.DataFrame:
    from crmine.models.btyd import summarise_transactions

    before = occasions[occasions["day"] < cutoff]
    return summarise_transactions(
        before["customer_id"].to_numpy(),
        before["day"].to_numpy(),
        before["value"].to_numpy(),
        calibration_end=cutoff - timedelta(days=1),
        unit_days=7,
    )


def _btyd_at(
    occasions: pd.DataFrame, cutoff: datetime, horizon_days: int, settings: PredictSettings
) -> tuple[Any, pd.DataFrame] | None:
    """BTYD fitted on purchase days before ``cutoff`` and its per-customer forecasts."""
    from crmine.models.clv import BtydForecaster

    summary = _summary(occasions, cutoff)
    if summary.empty:
        return None
    try:
        model = BtydForecaster().fit(summary)
    except (ValueError, FloatingPointError) as exc:
        log.warning("BTYD fit before %s failed: %s", cutoff.date(), exc)
        return None
    pred = model.predict(
        summary,
        horizon_days,
        clv_days=settings.clv_days,
        annual_discount_rate=settings.annual_discount_rate,
    )
    pred.insert(0, "customer_id", summary["customer_id"].to_numpy())
    return model, pred


def _decayed(
    occasions: pd.DataFrame, cutoffs: list[datetime], half_lives: tuple[int, ...] = (14, 30, 90)
) -> pd.DataFrame:
    """Per (cutoff, customer): purchase days and spend, each weighted by 2^(−age / half-life).

    Recent activity counts more than old: a smoother recency × frequency than fixed windows.
    """
    import pandas as pd

    parts = []
    for cut in cutoffs:  # a handful of cutoffs; the work inside is vectorised
        before = occasions[occasions["day"] < cut]
        age = (cut - before["day"]).dt.total_seconds().to_numpy() / 86_400.0
        cols = {"customer_id": before["customer_id"].to_numpy()}
        for h in half_lives:
            w = np.exp2(-age / h)
            cols[f"decayed_days_{h}d"] = w
            cols[f"decayed_spend_{h}d"] = w * before["value"].to_numpy(float)
        part = pd.DataFrame(cols).groupby("customer_id", sort=False).sum().reset_index()
        parts.append(part.assign(cutoff=pd.Timestamp(cut)))
    out = pd.concat(parts, ignore_index=True)
    out["cutoff"] = out["cutoff"].astype("datetime64[ns]")
    return out


def plan_cutoffs(
    first_day: datetime, as_of: datetime, horizon_days: int, settings: PredictSettings
) -> tuple[list[datetime], list[datetime]]:
    """(all training cutoffs, newest first; those whose labels end before the newest)."""
    latest = as_of - timedelta(days=horizon_days)
    earliest = first_day + timedelta(days=settings.min_history_days)
    every = [
        latest - timedelta(days=k * settings.cutoff_step_days) for k in range(settings.max_cutoffs)
    ]
    every = [c for c in every if c >= earliest]
    if not every:
        return [], []
    return every, [c for c in every if c <= every[0] - timedelta(days=horizon_days)]


# --------------------------------------------------------------------------- forecast


def _service(
    backend: ibis.BaseBackend,
    as_of: datetime,
    available: set[str],
    settings: PredictSettings,
    service: ServiceEvents | None,
) -> ServiceEvents | None:
    """The service events the models use: ``service``, else read from the warehouse."""
    if "service" in settings.exclude_features:
        return None
    if service is None and {"feedback", "interactions"} & available:
        from crmine.features.service import read_service_events

        service = read_service_events(backend, as_of, available)
    return None if service is None or service.empty else service


def forecast_orders(
    backend: ibis.BaseBackend,
    as_of: datetime,
    horizon_days: int,
    available: set[str],
    settings: PredictSettings,
    *,
    service: ServiceEvents | None = None,
    features_now: pd.DataFrame | None = None,
) -> Forecast:
    """Purchase, revenue, value and non-contractual churn forecasts at ``as_of``.

    ``service``: feedback and interactions before as_of with their sentiment (the run passes
    the sentiment step's); without it they are read from the warehouse, unscored.
    ``features_now``: the customer features at as_of when already computed (the run's
    customer_features), so they are not computed again.
    """
    import pandas as pd

    orders = _truncated(backend, "orders", "order_ts", as_of)
    occasions = _occasions(orders)
    empty = pd.DataFrame({"customer_id": pd.Series(dtype=object)})
    if occasions.empty:
        return Forecast(empty, detail=f"skipped: no purchases before {as_of.date()}")
    n_buyers = occasions["customer_id"].nunique()
    out = Forecast(empty)
    btyd = _btyd_at(occasions, as_of, horizon_days, settings)
    scores = pd.DataFrame({"customer_id": occasions["customer_id"].unique()})
    if btyd is not None:
        model, pred = btyd
        scores = scores.merge(pred, on="customer_id", how="left")
        out.models.append(
            {
                "name": "bgnbd_gamma_gamma",
                "parameters": model.parameters(),
                "training_window": f"purchase days before {as_of.date()}",
                "rows": len(pred),
                "metrics": {"log_likelihood": model.bgnbd_.log_likelihood_},
            }
        )
    notes = [f"{n_buyers:,} buyers"]
    every, train_cuts = plan_cutoffs(
        occasions["day"].min().to_pydatetime(), as_of, horizon_days, settings
    )
    supervised = None
    if n_buyers < settings.min_customers:
        notes.append(f"propensity skipped: fewer than {settings.min_customers} buyers")
    elif not train_cuts:
        notes.append(
            "propensity skipped: too little history for a time-split validation "
            f"(needs {settings.min_history_days} + 2×{horizon_days} days)"
        )
    else:
        try:
            inputs = _Inputs(
                backend,
                orders,
                occasions,
                available,
                _service(backend, as_of, available, settings, service),
                features_now,
                btyd,
            )
            supervised = _supervised(inputs, as_of, horizon_days, settings, every, train_cuts)
        except ValueError as exc:  # data the models cannot learn from: BTYD alone, say why
            log.warning("purchase propensity skipped: %s", exc)
            supervised = f"propensity skipped: {exc}"
        if isinstance(supervised, str):
            notes.append(supervised)
            supervised = None
    if supervised is None and btyd is None:
        return Forecast(empty, detail="skipped: " + "; ".join(notes))
    priced = bool(occasions["value"].notna().any())
    out.scores = _publish(scores, btyd, supervised, horizon_days, settings, out, notes,
                          priced=priced)  # fmt: skip
    out.baselines = _baselines(orders, occasions, as_of, horizon_days, scores)
    out.detail = "; ".join(notes)
    return out


@dataclass
class _Supervised:
    at_as_of: pd.DataFrame  # customer_id, p_purchase, revenue_ml, contributions...
    reasons: list[list[str]] | None
    revenue_choice: str
    models: list[dict[str, Any]]


@dataclass
class _Inputs:
    """What the purchase models read, truncated at as_of."""

    backend: Any
    orders: Any  # ibis table
    occasions: pd.DataFrame
    available: set[str]
    service: ServiceEvents | None = None
    features_now: pd.DataFrame | None = None
    btyd_now: tuple[Any, pd.DataFrame] | None = None  # the BTYD fit at as_of, when made


def _order_features(
    inputs: _Inputs, cutoffs: list[datetime], horizon_days: int, as_of: datetime
) -> pd.DataFrame:
    """training_frame at the cutoffs and at as_of (reusing ``features_now`` there if it fits)."""
    import pandas as pd

    from crmine.features import training_frame

    customers = inputs.backend.table("customers") if "customers" in inputs.available else None
    now = inputs.features_now
    frame = training_frame(
        inputs.orders, cutoffs if now is not None else [*cutoffs, as_of], horizon_days, customers
    )
    frame["cutoff"] = frame["cutoff"].astype("datetime64[ns]")
    if now is None:
        return frame
    feats = [c for c in frame.columns if c not in (*LABEL_COLUMNS, "cutoff")]
    if set(feats) - set(now.columns):  # not the same features: compute them here
        rest = training_frame(inputs.orders, [as_of], horizon_days, customers)
        rest["cutoff"] = rest["cutoff"].astype("datetime64[ns]")
        return pd.concat([frame, rest], ignore_index=True)
    rows = now.loc[now["orders_count"].fillna(0).to_numpy() > 0, feats]
    rows = rows.assign(
        purchased=False,
        orders_in_horizon=0,
        purchase_days_in_horizon=0,
        revenue_in_horizon=0.0,
        cutoff=pd.Timestamp(as_of),
    )
    rows = rows.sort_values("customer_id", kind="stable")
    out = pd.concat([frame, rows[frame.columns]], ignore_index=True)
    out["cutoff"] = out["cutoff"].astype("datetime64[ns]")
    return out


def _feature_frame(
    inputs: _Inputs,
    cutoffs: list[datetime],
    horizon_days: int,
    settings: PredictSettings,
    as_of: datetime,
) -> pd.DataFrame:
    import pandas as pd

    from crmine.features.service import COUNT_FEATURES

    everything = [*cutoffs, as_of]
    frame = _order_features(inputs, cutoffs, horizon_days, as_of)
    parts = []
    for cut in everything if "btyd" not in settings.exclude_features else ():
        if cut == as_of and inputs.btyd_now is not None:
            fitted = inputs.btyd_now
        else:
            fitted = _btyd_at(inputs.occasions, cut, horizon_days, settings)
        if fitted is not None:
            pred = fitted[1].rename(columns={c: f"btyd_{c}" for c in BTYD_FEATURES})
            parts.append(pred.drop(columns=["spend_per_order"]).assign(cutoff=cut))
    if parts:
        btyd = pd.concat(parts, ignore_index=True)
        btyd["cutoff"] = btyd["cutoff"].astype("datetime64[ns]")
        frame = frame.merge(btyd, on=["cutoff", "customer_id"], how="left")
    frame = frame.merge(
        _decayed(inputs.occasions, everything), on=["cutoff", "customer_id"], how="left"
    )
    if inputs.service is not None:
        signals = inputs.service.at(everything)
        frame = frame.merge(signals, on=["cutoff", "customer_id"], how="left")
        for col in COUNT_FEATURES:
            frame[col] = frame[col].fillna(0).astype("int64")
    return frame


def _encode(frame: pd.DataFrame, encoder=None):
    """Design matrix per cutoff (dates become days before that row's cutoff)."""
    import pandas as pd

    from crmine.models._tabular import TabularEncoder

    feats = frame.drop(columns=[c for c in NOT_FEATURES if c in frame.columns])
    if encoder is None:
        encoder = TabularEncoder().fit(feats)
    blocks = [
        encoder.transform(feats.loc[idx], as_of=cut.to_pydatetime())
        for cut, idx in frame.groupby("cutoff").groups.items()
    ]
    return pd.concat(blocks).loc[frame.index], encoder


def _supervised(
    inputs: _Inputs, as_of, horizon_days, settings, every, train_cuts
) -> _Supervised | str:
    from crmine.evaluation import metrics
    from crmine.models.clv import HurdleRevenue
    from crmine.models.explain import top_reasons
    from crmine.models.propensity import PurchasePropensity

    frame = _feature_frame(inputs, every, horizon_days, settings, as_of)
    val_cut = every[0]
    is_train = frame["cutoff"].isin(train_cuts).to_numpy()
    if is_train.sum() > settings.max_train_rows:  # candidates are compared on a sample
        rng = np.random.default_rng(settings.random_state)
        keep = rng.choice(np.flatnonzero(is_train), settings.max_train_rows, replace=False)
        is_train = np.zeros(len(frame), bool)
        is_train[keep] = True
    is_val = (frame["cutoff"] == val_cut).to_numpy()
    is_all = frame["cutoff"].isin(every).to_numpy()
    is_now = (frame["cutoff"] == as_of).to_numpy()
    y = frame["purchased"].to_numpy(bool)
    if min(y[is_train].sum(), (~y[is_train]).sum(), y[is_val].sum(), (~y[is_val]).sum()) < 5:
        return "propensity skipped: the training or validation window lacks buyers or non-buyers"
    X, encoder = _encode(frame.loc[is_train | is_val])
    X_now, _ = _encode(frame.loc[is_now], encoder)
    X_train, X_val = X.loc[frame.index[is_train]], X.loc[frame.index[is_val]]
    model = PurchasePropensity(
        settings.candidates,
        svm_max_rows=settings.svm_max_rows,
        random_state=settings.random_state,
        blend_with="btyd_p_purchase" if "btyd_p_purchase" in X else None,
    )
    model.fit(X_train, y[is_train], X_val, y[is_val], refit=False)
    # Refit the winner on every cutoff (train, validation and those in between).
    X_all, _ = _encode(frame.loc[is_all], encoder)
    refit = _refit(model, X_all, y[is_all])
    p_now = refit.predict_proba(X_now)
    windows = (
        f"features before cutoffs {min(every).date()} … {val_cut.date()} "
        f"(every {settings.cutoff_step_days} days), labels up to {as_of.date()}; "
        f"validated on the cutoff {val_cut.date()}"
    )
    val_metrics: dict[str, Any] = {
        "chosen": model.chosen_,
        "validation_auc": model.validation_auc_,
        "validation_brier": model.validation_brier_,
        "calibration": model.calibration_used_,
        "blend_weight_btyd": model.blend_weight_,
        "validation_auc_blended": model.blended_validation_auc_,
        "candidates": model.comparison_,
    }
    if "btyd_p_purchase" in frame:
        val_metrics["bgnbd_validation_auc"] = metrics.auc(
            y[is_val], frame.loc[is_val, "btyd_p_purchase"].to_numpy(float)
        )
    params = {**model.params_, "features": list(X_now.columns)}
    models = [
        {
            "name": "purchase_propensity",
            "parameters": params,
            "training_window": windows,
            "rows": int(is_all.sum()),
            "metrics": val_metrics,
        }
    ]
    # Revenue: hurdle vs BTYD×GG vs their mean, judged on the validation window.
    revenue = frame["revenue_in_horizon"].to_numpy(float)
    hurdle = HurdleRevenue(random_state=settings.random_state)
    choice, revenue_now, rev_metrics = "bgnbd_gamma_gamma", None, {}
    try:
        hurdle.fit(X_train, revenue[is_train], X_val, revenue[is_val])
        ml_val = hurdle.predict(X_val, model.validation_proba_)
        options = {"hurdle": ml_val}
        if "btyd_expected_revenue" in frame:
            bt_val = frame.loc[is_val, "btyd_expected_revenue"].to_numpy(float)
            options |= {"bgnbd_gamma_gamma": bt_val, "blend": (ml_val + bt_val) / 2}
        truth = revenue[is_val]
        rev_metrics = {
            k: {
                "spearman": metrics.spearman(truth, v),
                "top_decile_capture": metrics.top_decile_capture(truth, v),
                "mae": metrics.mae(truth, v),
            }
            for k, v in options.items()
        }
        choice = max(
            rev_metrics,
            key=lambda k: (
                np.nan_to_num(rev_metrics[k]["spearman"], nan=-1),
                -rev_metrics[k]["mae"],
            ),
        )
        final = HurdleRevenue(
            n_estimators=hurdle.best_iteration_, random_state=settings.random_state
        )
        final.fit(X_all, revenue[is_all])
        revenue_now = final.predict(X_now, p_now)
    except ValueError as exc:
        rev_metrics = {"hurdle": f"not fitted: {exc}"}
    models.append(
        {
            "name": "horizon_revenue",
            "training_window": windows,
            "parameters": {
                "chosen": choice,
                "hurdle_trees": hurdle.__dict__.get("best_iteration_"),
                "rule": "best validation Spearman, then MAE",
            },
            "rows": int(is_all.sum()),
            "metrics": rev_metrics,
        }
    )
    contrib = -refit.contributions(X_now)  # toward "no purchase" = churn risk
    values = X_now.copy()
    reasons = top_reasons(contrib, list(X_now.columns), values, k=settings.reasons)
    at = frame.loc[is_now, ["customer_id"]].copy()
    at["p_purchase"] = p_now
    at["revenue_ml"] = revenue_now if revenue_now is not None else np.nan
    return _Supervised(at.reset_index(drop=True), reasons, choice, models)


def _refit(model, X_all, y_all):
    """The chosen candidate refit on every cutoff, keeping the validation calibration."""
    import copy

    from crmine.models import _candidates

    final = copy.copy(model)
    with _candidates.single_thread():
        chosen = _candidates.make(model.chosen_, model.random_state, **model.model_.params)
        final.model_ = chosen.fit(X_all, y_all)
        if model.explainer_ is not None:
            explainer = _candidates.make("lightgbm", model.random_state, **model.explainer_.params)
            final.explainer_ = explainer.fit(X_all, y_all)
    return final


def _publish(
    scores: pd.DataFrame,
    btyd,
    supervised: _Supervised | None,
    horizon_days: int,
    settings: PredictSettings,
    out: Forecast,
    notes: list[str],
    *,
    priced: bool = True,
) -> pd.DataFrame:
    """The published columns. ``priced``: orders carry amounts; without them revenue and CLV
    are unknown (not 0), so none is published and value tiers rank expected orders."""
    from crmine.models.churn import noncontractual_risk

    pub = scores[["customer_id"]].copy()
    has_btyd = btyd is not None
    if has_btyd:
        pub["p_alive"] = scores["p_alive"].to_numpy()
        pub["expected_orders"] = scores["expected_orders"].to_numpy()
    choice = "bgnbd_gamma_gamma"
    ml = np.full(len(pub), np.nan)
    if supervised is not None:
        out.models.extend(supervised.models)
        at = supervised.at_as_of
        pub = pub.merge(at[["customer_id", "p_purchase"]], on="customer_id", how="left")
        choice = supervised.revenue_choice
        ml = pub[["customer_id"]].merge(at, on="customer_id", how="left")["revenue_ml"]
        ml = ml.to_numpy(float)
        notes.append(
            f"propensity: {supervised.models[0]['parameters']['candidate']}, "
            f"validation AUC {supervised.models[0]['metrics']['validation_auc']:.3f}"
        )
    elif has_btyd:
        pub["p_purchase"] = scores["p_purchase"].to_numpy()
    validation = {m["name"]: m["metrics"] for m in out.models}
    if has_btyd and "purchase_propensity" in validation:
        out.models[0]["metrics"]["validation_auc_p_purchase"] = validation[
            "purchase_propensity"
        ].get("bgnbd_validation_auc")
    if priced:
        choice = _revenue_and_clv(pub, scores, has_btyd, ml, choice, settings, out, validation)
        notes.append(f"revenue from {choice}")
    else:
        _tiers_by_orders(pub, out)
        notes.append("orders carry no prices: no revenue or CLV, value tiers by expected orders")
    if "p_purchase" in pub:
        pub["churn_risk"] = noncontractual_risk(pub["p_purchase"].to_numpy(float))
    if supervised is not None and supervised.reasons is not None:
        order = supervised.at_as_of["customer_id"]
        lookup = dict(zip(order, supervised.reasons, strict=True))
        pub["top_reasons"] = [lookup.get(c) for c in pub["customer_id"]]
    return pub


def _revenue_and_clv(
    pub: pd.DataFrame,
    scores: pd.DataFrame,
    has_btyd: bool,
    ml: np.ndarray,
    choice: str,
    settings: PredictSettings,
    out: Forecast,
    validation: dict[str, Any],
) -> str:
    """expected_revenue from the chosen source, CLV and value tiers into ``pub``; the source."""
    from crmine.models.clv import value_tiers

    bt_rev = scores["expected_revenue"].to_numpy(float) if has_btyd else None
    revenue = {
        "hurdle": ml,
        "bgnbd_gamma_gamma": bt_rev,
        "blend": None if bt_rev is None else (ml + bt_rev) / 2,
    }.get(choice)
    if revenue is None or not np.isfinite(revenue).any():
        revenue, choice = bt_rev, "bgnbd_gamma_gamma"
    if revenue is None:
        return choice
    pub["expected_revenue"] = revenue
    if not has_btyd:
        return choice
    bt_clv = scores["clv"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        stretch = np.where(bt_rev > 0, bt_clv / bt_rev, np.nan)
    clv = (
        bt_clv
        if choice == "bgnbd_gamma_gamma"
        else np.where(np.isfinite(stretch), revenue * stretch, bt_clv)
    )
    pub["clv"] = clv
    pub["value_tier"] = value_tiers(clv)
    out.models.append(
        {
            "name": "clv",
            "training_window": "as the purchase models",
            "parameters": {
                "horizon_days": settings.clv_days,
                "annual_discount_rate": settings.annual_discount_rate,
                "horizon_revenue_from": choice,
                "method": "BTYD discounted CLV"
                if choice == "bgnbd_gamma_gamma"
                else "chosen horizon revenue × BTYD (discounted CLV / horizon "
                "revenue) per customer",
                "tiers": _TIERS,
            },
            "rows": len(pub),
            "metrics": {
                "horizon_revenue_validation": validation.get("horizon_revenue", {}).get(choice)
            },
        }
    )
    return choice


_TIERS = "top 20 % high, next 30 % medium, rest low"


def _tiers_by_orders(pub: pd.DataFrame, out: Forecast) -> None:
    """Without prices: value tiers rank BG/NBD's expected orders in the horizon."""
    from crmine.models.clv import value_tiers

    if "expected_orders" not in pub:
        return
    pub["value_tier"] = value_tiers(pub["expected_orders"].to_numpy(float))
    out.models.append(
        {
            "name": "clv",
            "training_window": "as the purchase models",
            "parameters": {
                "method": "orders carry no prices: no CLV; value tiers by BG/NBD expected "
                "orders in the horizon",
                "tiers": _TIERS,
            },
            "rows": len(pub),
        }
    )


def _baselines(
    orders, occasions: pd.DataFrame, as_of: datetime, horizon_days: int, scores: pd.DataFrame
) -> pd.DataFrame:
    """Per buyer: recency, last period's purchase days and revenue, and BTYD's forecasts."""
    import pandas as pd

    last = occasions.groupby("customer_id")["day"].max()
    recent = occasions[occasions["day"] >= as_of - timedelta(days=horizon_days)]
    by = recent.groupby("customer_id")
    base = pd.DataFrame(
        {
            "customer_id": last.index,
            "recency_days": (as_of - last).dt.total_seconds().to_numpy() / 86_400.0,
        }
    )
    base["last_period_days"] = base["customer_id"].map(by.size()).fillna(0).to_numpy(float)
    base["last_period_revenue"] = base["customer_id"].map(by["value"].sum()).fillna(0.0)
    keep = [
        c for c in ("p_alive", "p_purchase", "expected_orders", "expected_revenue") if c in scores
    ]
    btyd = scores[["customer_id", *keep]].rename(columns={c: f"btyd_{c}" for c in keep})
    return base.merge(btyd, on="customer_id", how="left")


def forecast_churn(
    backend: ibis.BaseBackend,
    as_of: datetime,
    available: set[str],
    settings: PredictSettings,
    *,
    hide: Any = None,
    service: ServiceEvents | None = None,
) -> Forecast:
    """Contractual churn from a churned label on customers (skipped when there is none).

    ``hide``: customer ids whose label is withheld from training (for evaluation).
    ``service``: as in :func:`forecast_orders`; the signals at as_of join the inputs.
    """
    import pandas as pd

    from crmine.features import PII_COLUMNS
    from crmine.models.churn import ContractualChurnModel
    from crmine.models.explain import top_reasons

    empty = pd.DataFrame({"customer_id": pd.Series(dtype=object)})
    if "customers" not in available:
        return Forecast(empty, detail="skipped: no customers table")
    table = backend.table("customers")
    if "churned" not in table.columns:
        return Forecast(empty, detail="skipped: customers carry no churned label")
    if "signup_date" in table.columns:
        table = table.filter(table.signup_date.isnull() | (table.signup_date < as_of.date()))
    keep = [c for c in table.columns if c not in PII_COLUMNS and not c.startswith("_")]
    customers = table.select(keep).distinct(on="customer_id").to_pandas()
    customers = customers[customers["customer_id"].notna()].reset_index(drop=True)
    if "orders" in available:
        from crmine.features import customer_features

        feats = customer_features(_truncated(backend, "orders", "order_ts", as_of), as_of)
        feats = feats.drop("first_order_ts", "last_order_ts").to_pandas()
        customers = customers.merge(feats, on="customer_id", how="left", suffixes=("", "_orders"))
    events = _service(backend, as_of, available, settings, service)
    if events is not None:
        from crmine.features.service import merge_service_features

        signals = events.at([as_of]).drop(columns="cutoff")
        customers = merge_service_features(customers, signals)
    label = customers.pop("churned")
    known = label.notna().to_numpy()
    if hide is not None:
        known = known & ~customers["customer_id"].isin(set(hide)).to_numpy()
    if known.sum() == 0:
        return Forecast(empty, detail="skipped: no customer has a churned label")
    attrs = customers.drop(columns=["customer_id"])
    model = ContractualChurnModel(
        settings.churn_candidates, folds=settings.churn_folds, random_state=settings.random_state
    )
    try:
        model.fit(attrs.loc[known], label[known].astype(bool).to_numpy(), as_of)
    except ValueError as exc:
        return Forecast(empty, detail=f"skipped: {exc}")
    risk = model.risk(attrs, known)  # labelled customers: out-of-fold
    contrib, X = model.contributions(attrs)
    scores = pd.DataFrame({"customer_id": customers["customer_id"], "churn_risk": risk})
    scores["top_reasons"] = top_reasons(contrib, model.features_, X, k=settings.reasons)
    record = {
        "name": "contractual_churn",
        "parameters": model.parameters(),
        "training_window": f"{int(known.sum()):,} customers with a churned label "
        f"(snapshot at {as_of.date()})",
        "rows": int(known.sum()),
        "metrics": {"cv_auc": model.cv_auc_, "candidates": model.comparison_},
    }
    detail = (
        f"{model.chosen_} on {int(known.sum()):,} labelled customers, CV AUC "
        f"{model.cv_auc_:.3f}; scored {len(scores):,}"
    )
    return Forecast(scores, [record], detail)


# --------------------------------------------------------------------------- steps


def _merge_into_scores(ctx: RunContext, new: pd.DataFrame) -> None:
    scores = ctx.tables["customer_scores"]
    cols = [c for c in new.columns if c != "customer_id"]
    base = scores.drop(columns=[c for c in cols if c in scores.columns])
    merged = base.merge(new, on="customer_id", how="left")
    ctx.tables["customer_scores"] = merged


def _record(ctx: RunContext, models: list[dict[str, Any]]) -> None:
    for m in models:
        ctx.record_model(
            m["name"],
            m["parameters"],
            training_window=m["training_window"],
            metrics=m.get("metrics"),
            rows=m.get("rows"),
        )


def _service_events(ctx: RunContext) -> ServiceEvents | None:
    """The run's feedback and interactions, scored by its sentiment step (when it ran)."""
    if not {"feedback", "interactions"} & ctx.available:
        return None
    from crmine.pipeline.steps_voice import service_events

    return service_events(ctx)


def purchase_step(ctx: RunContext) -> str:
    settings = PredictSettings.from_config(ctx.ws.config)
    fc = forecast_orders(
        ctx.ibis(),
        ctx.as_of_ts,
        ctx.horizon_days,
        ctx.available,
        settings,
        service=_service_events(ctx),
        features_now=ctx.tables.get("customer_features"),
    )
    if fc.detail.startswith("skipped:"):
        return fc.detail
    _merge_into_scores(ctx, fc.scores)
    _record(ctx, fc.models)
    return fc.detail


def churn_step(ctx: RunContext) -> str:
    settings = PredictSettings.from_config(ctx.ws.config)
    fc = forecast_churn(
        ctx.ibis(), ctx.as_of_ts, ctx.available, settings, service=_service_events(ctx)
    )
    if fc.detail.startswith("skipped:"):
        if "churn_risk" in ctx.tables.get("customer_scores", {}):
            return fc.detail + " (churn_risk = chance of no purchase in the horizon)"
        return fc.detail
    _merge_into_scores(ctx, fc.scores)
    _record(ctx, fc.models)
    return fc.detail


STEPS = [
    Step("purchase and value models", (("orders",),), purchase_step),
    Step("churn", (("customers",),), churn_step),
]


def as_datetime(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return datetime(value.year, value.month, value.day)
