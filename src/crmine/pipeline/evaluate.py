"""``crmine evaluate``: an honest backtest of the run's predictions at a past cutoff.

The forecasts are made exactly as ``crmine run --as-of CUTOFF`` makes them (the same
functions, with every table truncated before the cutoff), then compared with what
customers did in ``[cutoff, cutoff + horizon)``; see :mod:`crmine.evaluation.backtest` for
the metrics, baselines and grades. Contractual churn (a churned label on customers) is a
snapshot, so it is judged on labels hidden from training: a random, stratified
``hidden_share`` of the labelled customers.

Feedback and interactions enter as in the run: the feedback's sentiment is scored by the
run's own sentiment step on the feedback before the cutoff, and the service signals are
computed from those events at every training cutoff.
"""

from __future__ import annotations

import dataclasses
import time
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crmine.engine.workspace import Workspace

def _available(backend) -> set[str]:
    """The input tables holding rows, as the run sees them."""
    from crmine.pipeline.run import input_tables

    return set(input_tables(backend))


def evaluate_workspace(
    ws: Workspace,
    cutoff: date,
    horizon_days: int = 90,
    *,
    hidden_share: float = 0.3,
    seed: int = 0,
    settings=None,
    service=None,
) -> dict[str, Any]:
    """Backtest every prediction the workspace's data supports; JSON-serialisable result.

    ``settings``: PredictSettings instead of the workspace's (e.g. with
    ``exclude_features=("service",)`` to measure what the service signals add).
    ``service``: the events :func:`service_events` returned for this cutoff, to score the
    sentiment once for several evaluations.
    """

    from crmine.errors import WorkspaceError
    from crmine.pipeline.forecast import PredictSettings

    if horizon_days <= 0:
        raise WorkspaceError("--horizon must be a positive number of days")
    as_of = datetime(cutoff.year, cutoff.month, cutoff.day)
    if settings is None:
        settings = PredictSettings.from_config(ws.config)
    started, cpu = time.perf_counter(), time.process_time()
    result: dict[str, Any] = {
        "cutoff": as_of.date().isoformat(),
        "horizon_days": horizon_days,
        "grading_rule": _grading_rule(),
        "sections": {},
        "models": [],
        "notes": [],
    }
    if settings.exclude_features:
        result["notes"].append(
            "models trained without the feature groups: " + ", ".join(settings.exclude_features)
        )
    with ws.connect(read_only=True) as con:
        backend = con.ibis()
        available = _available(backend)
        if not available:
            raise WorkspaceError(f"{ws.root} holds no data to evaluate")
        wanted = bool({"orders", "customers"} & available) and bool(
            {"feedback", "interactions"} & available
        )
        if service is None and wanted and "service" not in settings.exclude_features:
            service = _service_events(ws, backend, as_of, horizon_days, available, result)
        if "orders" in available:
            _orders_sections(backend, as_of, horizon_days, available, settings, result, service)
            from crmine.config import ForecastSettings
            from crmine.pipeline.evaluate_demand import demand_sections

            demand_sections(backend.table("orders"), as_of.date(), horizon_days,
                            ws.config.get(ForecastSettings), result)  # fmt: skip
        if "customers" in available:
            _contractual_section(
                backend, as_of, available, settings, result, hidden_share, seed, service
            )
    if not result["sections"]:
        result["notes"].append(
            "nothing to evaluate: no orders before the cutoff and no churn labels"
        )
    result["seconds"] = {
        "wall": round(time.perf_counter() - started, 2),
        "cpu": round(time.process_time() - cpu, 2),
    }
    return result


def service_events(ws: Workspace, cutoff: date, horizon_days: int = 90):
    """Feedback and interactions before ``cutoff``, scored as ``crmine run --as-of`` would."""
    as_of = datetime(cutoff.year, cutoff.month, cutoff.day)

    with ws.connect(read_only=True) as con:
        backend = con.ibis()
        return _service_events(ws, backend, as_of, horizon_days, _available(backend), {})


def _service_events(
    ws: Workspace,
    backend,
    as_of: datetime,
    horizon_days: int,
    available: set[str],
    result: dict[str, Any],
):
    """The run's sentiment step on the feedback before the cutoff, then the events."""
    from crmine.pipeline.inputs import RunInputs
    from crmine.pipeline.step import StepContext
    from crmine.pipeline.steps.sentiment import feedback_sentiment_step
    from crmine.pipeline.steps.service import service_events, service_signals_step

    inputs = RunInputs(backend, as_of.date(), frozenset(available))
    tables: dict[str, Any] = {}

    def context(step) -> StepContext:
        return StepContext(step, as_of.date(), horizon_days, frozenset(available), ws.config,
                           inputs, tables)  # fmt: skip

    if "feedback" in available:  # the signals read the feedback's sentiment only
        sentiment = feedback_sentiment_step.step  # type: ignore[attr-defined]
        outcome = sentiment.run(context(sentiment))
        result.setdefault("notes", []).append(f"feedback sentiment: {outcome.detail}")
        result.setdefault("models", []).extend(dataclasses.asdict(m) for m in outcome.models)
        tables.update(outcome.tables)
    return service_events(context(service_signals_step.step))  # type: ignore[attr-defined]


def _grading_rule() -> str:
    from crmine.evaluation.grades import RULE

    return RULE


def _orders_sections(
    backend,
    as_of: datetime,
    horizon_days: int,
    available: set[str],
    settings,
    result: dict[str, Any],
    service,
) -> None:
    from crmine.evaluation import backtest
    from crmine.features import horizon_labels
    from crmine.pipeline.forecast import forecast_orders

    last = backend.table("orders").order_ts.max().execute()
    last = None if last is None or last != last else last.to_pydatetime()  # NaT: no orders
    end = as_of + timedelta(days=horizon_days)
    if last is None or last < as_of:
        result["notes"].append(f"no orders on or after {as_of.date()}: nothing to compare with")
        return
    if last < end - timedelta(days=1):
        result["notes"].append(
            f"the data end on {last.date()}, before the horizon does "
            f"({end.date()}): the outcome is incomplete"
        )
    fc = forecast_orders(backend, as_of, horizon_days, available, settings, service=service)
    result["models"] += [dataclasses.asdict(m) for m in fc.models]
    result["forecast"] = fc.detail
    if fc.skipped or fc.baselines is None:
        result["notes"].append(f"purchase forecasts skipped: {fc.detail}")
        return
    truth = horizon_labels(backend.table("orders"), as_of, horizon_days).to_pandas()
    frame = fc.scores.merge(fc.baselines, on="customer_id", how="left")
    frame = frame.merge(truth, on="customer_id", how="left")
    # a fixed row order: the bootstrap intervals resample rows
    frame = frame.sort_values("customer_id", kind="stable", ignore_index=True)
    bought = frame["purchased"].fillna(False).to_numpy(bool)
    days = frame["purchase_days_in_horizon"].fillna(0).to_numpy(float)
    revenue = frame["revenue_in_horizon"].fillna(0.0).to_numpy(float)
    sections = result["sections"]
    sections["purchase"] = backtest.purchase_section(
        bought, frame["p_purchase"].to_numpy(float), frame
    )
    if "expected_orders" in frame:
        sections["orders"] = backtest.value_section(
            days, frame["expected_orders"].to_numpy(float), frame, "orders", model_is_bgnbd=True
        )
    if "expected_revenue" in frame:
        sections["revenue"] = backtest.value_section(
            revenue, frame["expected_revenue"].to_numpy(float), frame, "revenue"
        )
    if "churn_risk" in frame:
        base = {
            "recency": frame["recency_days"].to_numpy(float),
            "last_period": -frame["last_period_days"].to_numpy(float),
        }
        if "btyd_p_purchase" in frame:
            base["bgnbd"] = 1.0 - frame["btyd_p_purchase"].to_numpy(float)
        sections["churn"] = backtest.churn_section(
            ~bought,
            frame["churn_risk"].to_numpy(float),
            base,
            "non-contractual: no purchase within the horizon, among customers who had bought",
        )


def _contractual_section(
    backend,
    as_of: datetime,
    available: set[str],
    settings,
    result: dict[str, Any],
    hidden_share: float,
    seed: int,
    service,
) -> None:
    from crmine.evaluation import backtest
    from crmine.models._tabular import TabularEncoder
    from crmine.pipeline.forecast import forecast_churn

    table = backend.table("customers")
    if "churned" not in table.columns:
        return
    labels = table.filter(table.churned.notnull()).select("customer_id", "churned").to_pandas()
    labels = labels.drop_duplicates("customer_id")
    if labels["churned"].nunique() < 2:
        result["notes"].append("contractual churn: labels hold a single class")
        return
    from sklearn.model_selection import train_test_split

    ids = labels["customer_id"].to_numpy()
    y = labels["churned"].astype(bool).to_numpy()
    train_ids, hidden_ids, y_train, y_hidden = train_test_split(
        ids, y, test_size=hidden_share, random_state=seed, stratify=y
    )
    fc = forecast_churn(backend, as_of, available, settings, hide=hidden_ids, service=service)
    if fc.skipped:
        result["notes"].append(f"contractual churn skipped: {fc.detail}")
        return
    result["models"] += [dataclasses.asdict(m) for m in fc.models]
    risk = fc.scores.set_index("customer_id")["churn_risk"]
    # Baseline: the one attribute that best ranks the training labels.
    attrs = table.to_pandas().drop_duplicates("customer_id").set_index("customer_id")
    attrs = attrs.drop(
        columns=[c for c in ("churned", "name", "email", "phone") if c in attrs.columns]
    )
    encoder = TabularEncoder(max_ratio_columns=0).fit(attrs.loc[train_ids])
    name, base = backtest.best_single_attribute(
        encoder.transform(attrs.loc[train_ids]), y_train, encoder.transform(attrs.loc[hidden_ids])
    )
    section = backtest.churn_section(
        y_hidden,
        risk.reindex(hidden_ids).to_numpy(float),
        {"best_attribute": base},
        f"contractual: churned label of {len(hidden_ids):,} customers hidden from training "
        f"({hidden_share:.0%}, stratified, seed {seed})",
    )
    section["best_attribute"] = name
    result["sections"]["contractual_churn"] = section


def rolling_cutoffs(ws: Workspace, n: int, horizon_days: int) -> list[date]:
    """``n`` cutoffs one horizon apart, the last one horizon before the last order."""

    from crmine.errors import WorkspaceError

    if n < 1:
        raise WorkspaceError("--rolling must be at least 1")
    with ws.connect(read_only=True) as con:
        backend = con.ibis()
        if "orders" not in _available(backend):
            raise WorkspaceError(f"{ws.root} has no orders: name the cutoffs with --cutoffs")
        last = backend.table("orders").order_ts.max().execute().date()
    end = last + timedelta(days=1)
    return [end - timedelta(days=horizon_days * k) for k in range(n, 0, -1)]


def evaluate_cutoffs(
    ws: Workspace,
    cutoffs: list[date],
    horizon_days: int = 90,
    *,
    settings=None,
    progress=None,
) -> dict[str, Any]:
    """:func:`evaluate_workspace` at each cutoff, and the summary across them
    (:func:`crmine.evaluation.across.summarise`). ``progress(i, n, cutoff)`` before each."""
    from crmine.evaluation.across import summarise

    results = []
    for i, cut in enumerate(sorted(cutoffs)):
        if progress is not None:
            progress(i, len(cutoffs), cut)
        results.append(evaluate_workspace(ws, cut, horizon_days, settings=settings))
    return {"horizon_days": horizon_days, "results": results, "across": summarise(results)}

