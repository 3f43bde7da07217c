"""Forecasts at as_of: purchases, value and churn, the columns of ``customer_scores``.

:func:`forecast_orders` and :func:`forecast_churn` read the warehouse through Ibis
**truncated at as_of** (every table is filtered to rows strictly before it first), so
``crmine run --as-of D`` and ``crmine evaluate --cutoff D`` see exactly the same data and
nothing after D can leak in. This module assembles the data and hands it to the models:

Purchase and value (needs orders)
    * BG/NBD + Gamma-Gamma on purchase days before as_of (:func:`crmine.models.clv.
      btyd_forecast_at`): p_alive, expected_orders, BTYD revenue and CLV.
    * The training frame at rolling cutoffs (:mod:`crmine.features.purchase`): order
      features, the service signals of :func:`crmine.features.service.service_frame`, and
      the outputs of a BTYD fit before each cutoff. At as_of the run's customer_features
      are reused when given. A feature group can be left out (``exclude_features``, e.g.
      ``("service",)``) to measure what it adds.
    * :class:`crmine.models.purchase.PurchaseValueModel` learns propensity and horizon
      revenue on a strict time split; :func:`crmine.models.purchase.combine_forecasts`
      makes the published columns (p_purchase, expected_revenue, clv, value_tier,
      churn_risk = 1 − p_purchase, top_reasons).

Churn (needs customers with a churned label): see :mod:`crmine.models.churn`; it replaces
churn_risk and top_reasons for every customer. Its inputs are the customers' attributes, their
order features and their service signals at as_of.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ibis
    import pandas as pd

    from crmine.features.service import ServiceEvents
    from crmine.models.base import ModelRecord

log = logging.getLogger(__name__)

from crmine.features.purchase import LABEL_COLUMNS, NOT_FEATURES  # noqa: E402, F401 - re-exported

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
    promote: str = "always"  # or "if_better": keep the previous model when it validates better

    @classmethod
    def from_config(cls, config: Any) -> PredictSettings:
        """The [models], [clv] and [churn] sections of a loaded :class:`~crmine.config.Config`."""
        return cls.from_sections(config.models, config.clv, config.churn)

    @classmethod
    def from_sections(cls, models: Any, clv: Any, churn: Any) -> PredictSettings:
        return cls(
            candidates=tuple(models.candidates),
            cutoff_step_days=models.cutoff_step_days,
            max_cutoffs=models.max_cutoffs,
            min_history_days=models.min_history_days,
            min_customers=models.min_customers,
            svm_max_rows=models.svm_max_rows,
            max_train_rows=models.max_train_rows,
            reasons=models.reasons,
            random_state=models.random_state,
            clv_days=clv.horizon_days,
            annual_discount_rate=clv.annual_discount_rate,
            churn_candidates=tuple(churn.candidates),
            churn_folds=churn.folds,
            exclude_features=tuple(models.exclude_features),
            promote=models.promote,
        )


@dataclass
class Forecast:
    """Per-customer predictions (``scores``), what was fitted (``models``) and a summary.

    ``skipped``: nothing could be predicted; ``detail`` says why.
    """

    scores: pd.DataFrame
    models: list[ModelRecord] = field(default_factory=list)
    detail: str = ""
    baselines: pd.DataFrame | None = None  # recency, last period, BTYD: for evaluation
    skipped: bool = False
    #: the fitted models that made the scores, kept with the snapshot (champion/challenger)
    fitted: dict[str, Any] = field(default_factory=dict)


def _truncated(backend: ibis.BaseBackend, name: str, ts: str, as_of: datetime) -> ibis.Table:
    import ibis

    table = backend.table(name)
    return table.filter(table[ts] < ibis.literal(as_of))


def _btyd_at(occasions: pd.DataFrame, cutoff: datetime, horizon_days: int,
             settings: PredictSettings):  # fmt: skip
    from crmine.models.clv import btyd_forecast_at

    return btyd_forecast_at(occasions, cutoff, horizon_days, clv_days=settings.clv_days,
                            annual_discount_rate=settings.annual_discount_rate)  # fmt: skip


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


@dataclass
class PurchaseInputs:
    """What the purchase models read, truncated at as_of."""

    backend: Any
    orders: Any  # ibis table
    occasions: pd.DataFrame
    available: set[str]
    service: ServiceEvents | None = None
    features_now: pd.DataFrame | None = None
    btyd_now: tuple[Any, pd.DataFrame] | None = None  # the BTYD fit at as_of, when made


def purchase_training_frame(
    inputs: PurchaseInputs,
    cutoffs: list[datetime],
    horizon_days: int,
    settings: PredictSettings,
    as_of: datetime,
) -> pd.DataFrame:
    """The (cutoff, customer) rows at ``cutoffs`` and at as_of: order features, BTYD's
    forecasts from a fit before each cutoff, decayed activity and the service signals."""
    import pandas as pd

    from crmine.features.purchase import decayed_activity, order_feature_rows
    from crmine.features.service import COUNT_FEATURES

    everything = [*cutoffs, as_of]
    customers = inputs.backend.table("customers") if "customers" in inputs.available else None
    frame = order_feature_rows(inputs.orders, customers, cutoffs, horizon_days, as_of,
                               inputs.features_now)  # fmt: skip
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
        decayed_activity(inputs.occasions, everything), on=["cutoff", "customer_id"], how="left"
    )
    if inputs.service is not None:
        signals = inputs.service.at(everything)
        frame = frame.merge(signals, on=["cutoff", "customer_id"], how="left")
        for col in COUNT_FEATURES:
            frame[col] = frame[col].fillna(0).astype("int64")
    # A fixed row order: the warehouse returns rows in any order, and the fits (samples,
    # folds, tie-breaks) must not depend on it, so the same data gives the same scores.
    return frame.sort_values(["cutoff", "customer_id"], kind="stable", ignore_index=True)


def forecast_orders(
    backend: ibis.BaseBackend,
    as_of: datetime,
    horizon_days: int,
    available: set[str],
    settings: PredictSettings,
    *,
    service: ServiceEvents | None = None,
    features_now: pd.DataFrame | None = None,
    champion: tuple[str, Any] | None = None,
) -> Forecast:
    """Purchase, revenue, value and non-contractual churn forecasts at ``as_of``.

    ``service``: feedback and interactions before as_of with their sentiment (the run passes
    the sentiment step's); without it they are read from the warehouse, unscored.
    ``features_now``: the customer features at as_of when already computed (the run's
    customer_features), so they are not computed again.
    """
    import pandas as pd

    from crmine.features.purchase import customer_margins, plan_cutoffs, purchase_occasions
    from crmine.models.purchase import combine_forecasts

    orders = _truncated(backend, "orders", "order_ts", as_of)
    occasions = purchase_occasions(orders)
    empty = pd.DataFrame({"customer_id": pd.Series(dtype=object)})
    if occasions.empty:
        counts = orders.aggregate(lines=orders.count(), named=orders.customer_id.count())
        lines, named = counts.execute().iloc[0]
        anonymous = named == 0 and lines > 0
        why = ("no order line names a customer (the lines serve product and demand figures)"
               if anonymous else f"no purchases before {as_of.date()}")  # fmt: skip
        return Forecast(empty, detail=why, skipped=True)
    n_buyers = occasions["customer_id"].nunique()
    btyd = _btyd_at(occasions, as_of, horizon_days, settings)
    scores = pd.DataFrame({"customer_id": occasions["customer_id"].unique()})
    if btyd is not None:
        scores = scores.merge(btyd[1], on="customer_id", how="left")
    notes = [f"{n_buyers:,} buyers"]
    every, train_cuts = plan_cutoffs(
        occasions["day"].min().to_pydatetime(), as_of, horizon_days,
        step_days=settings.cutoff_step_days, max_cutoffs=settings.max_cutoffs,
        min_history_days=settings.min_history_days,
    )  # fmt: skip
    supervised = promotion = None
    if n_buyers < settings.min_customers:
        notes.append(f"propensity skipped: fewer than {settings.min_customers} buyers")
    elif not train_cuts:
        notes.append(
            "propensity skipped: too little history for a time-split validation "
            f"(needs {settings.min_history_days} + 2×{horizon_days} days)"
        )
    else:
        events = _service(backend, as_of, available, settings, service)
        inputs = PurchaseInputs(backend, orders, occasions, available, events, features_now, btyd)
        try:
            supervised, promotion = _supervised(inputs, as_of, horizon_days, settings, every,
                                                train_cuts, champion)  # fmt: skip
        except ValueError as exc:  # data the models cannot learn from: BTYD alone, say why
            log.warning("purchase propensity skipped: %s", exc)
            notes.append(f"propensity skipped: {exc}")
    if supervised is None and btyd is None:
        return Forecast(empty, detail="; ".join(notes), skipped=True)
    priced = bool(occasions["value"].notna().any())
    ranking = None
    if supervised is None and btyd is not None:
        from crmine.models.clv import btyd_purchase_ranking

        ranking = btyd_purchase_ranking(occasions, as_of, horizon_days, settings.min_history_days)
    combined = combine_forecasts(
        scores, btyd[0].describe() if btyd is not None else None, supervised,
        clv_days=settings.clv_days, annual_discount_rate=settings.annual_discount_rate,
        priced=priced, btyd_ranking=ranking,
    )  # fmt: skip
    notes.extend(combined.notes)
    published = combined.scores
    margins = customer_margins(orders) if priced else None
    if margins is not None and "clv" in published:
        from crmine.models.clv import profit_forecasts

        published, note = profit_forecasts(published, margins)
        notes.append(note)
    baselines = _baselines(occasions, as_of, horizon_days, scores)
    records = combined.records
    if promotion is not None:
        records = _with_promotion(records, promotion)
        notes.append(f"purchase model: {promotion.reason}")
    fitted = {"purchase_propensity": supervised[0]} if supervised is not None else {}
    return Forecast(published, records, "; ".join(notes), baselines, fitted=fitted)


def _with_promotion(records: list[ModelRecord], promotion) -> list[ModelRecord]:
    """The purchase model's record with the champion/challenger decision in its metrics."""
    from dataclasses import replace

    out = []
    for rec in records:
        if rec.name == "purchase_propensity":
            window = rec.training_window
            if promotion.kept_champion:
                window = f"kept from run {promotion.champion_run}: {window}"
            rec = replace(rec, training_window=window,
                          metrics={**rec.metrics, "promotion": promotion.as_metrics()})
        out.append(rec)
    return out


def _supervised(inputs: PurchaseInputs, as_of, horizon_days, settings, every, train_cuts,
                champion=None):
    """The purchase and value model fitted on the rolling cutoffs (or the champion, when
    promotion keeps it), its scores at as_of, and the promotion decision (None: not asked)."""
    from crmine.models.promotion import challenge
    from crmine.models.purchase import PurchaseValueModel

    frame = purchase_training_frame(inputs, every, horizon_days, settings, as_of)
    model = PurchaseValueModel(
        settings.candidates, svm_max_rows=settings.svm_max_rows,
        max_train_rows=settings.max_train_rows, reasons=settings.reasons,
        random_state=settings.random_state, not_features=NOT_FEATURES,
    )  # fmt: skip
    model.fit(frame, train_cutoffs=train_cuts, validation_cutoff=every[0], refit_cutoffs=every,
              horizon_days=horizon_days)  # fmt: skip
    promotion = None
    if settings.promote == "if_better":
        if champion is None:
            from crmine.models.promotion import Promotion

            promotion = Promotion(False, "no earlier model to compare with",
                                  model.validation_auc)  # fmt: skip
        else:
            validation = frame.loc[(frame["cutoff"] == every[0]).to_numpy()]
            promotion = challenge(champion[1], model, validation, every[0], champion[0])
            if promotion.kept_champion:
                model = champion[1]
    now = frame.loc[(frame["cutoff"] == as_of).to_numpy()]
    return (model, model.predict(now)), promotion


def _baselines(
    occasions: pd.DataFrame, as_of: datetime, horizon_days: int, scores: pd.DataFrame
) -> pd.DataFrame:
    """Per buyer: recency, last period's purchase days and revenue, and BTYD's forecasts."""
    from crmine.features.purchase import recent_activity

    base = recent_activity(occasions, as_of, horizon_days)
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
        return Forecast(empty, detail="no customers table", skipped=True)
    table = backend.table("customers")
    if "churned" not in table.columns:
        return Forecast(empty, detail="customers carry no churned label", skipped=True)
    if "signup_date" in table.columns:
        table = table.filter(table.signup_date.isnull() | (table.signup_date < as_of.date()))
    keep = [c for c in table.columns if c not in PII_COLUMNS and not c.startswith("_")]
    customers = table.select(keep).distinct(on="customer_id").order_by("customer_id").to_pandas()
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
        return Forecast(empty, detail="no customer has a churned label", skipped=True)
    attrs = customers.drop(columns=["customer_id"])
    model = ContractualChurnModel(
        settings.churn_candidates, folds=settings.churn_folds, random_state=settings.random_state
    )
    try:
        model.fit(attrs.loc[known], label[known].astype(bool).to_numpy(), as_of=as_of)
    except ValueError as exc:
        return Forecast(empty, detail=str(exc), skipped=True)
    risk = model.risk(attrs, known)  # labelled customers: out-of-fold
    contrib = model.contributions(attrs)
    scores = pd.DataFrame({"customer_id": customers["customer_id"], "churn_risk": risk})
    scores["top_reasons"] = top_reasons(contrib.to_numpy(), model.features_, model.encode(attrs),
                                        k=settings.reasons)  # fmt: skip
    detail = (
        f"{model.chosen_} on {int(known.sum()):,} labelled customers, CV AUC "
        f"{model.cv_auc_:.3f}; scored {len(scores):,}"
    )
    return Forecast(scores, [model.describe()], detail)


def as_datetime(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return datetime(value.year, value.month, value.day)
