"""Step: monitoring. How this run's inputs and scores moved since the previous run (PSI per
feature and score), and how every earlier run's purchase predictions did once their horizon
had passed (realised AUC, Brier, calibration, revenue capture) beside what validation promised.

The outcomes are read from the orders before this run's as_of, so an earlier run is judged
only when its whole horizon lies in the past; its own predictions are read from its snapshot
as published, never recomputed.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from crmine.pipeline.step import StepContext, StepResult, step

SCORES = ("p_purchase", "expected_orders", "expected_revenue", "clv", "churn_risk", "p_alive")
#: matured earlier runs judged per run (the most recent ones)
MAX_EVALUATED = 12
COLUMNS = ["run_id", "model", "metric", "subject", "value", "reference", "status",
           "evaluated_run_id", "evaluated_as_of", "n"]  # fmt: skip


@step(
    "monitoring",
    reads=("customer_features", "customer_scores"),
    history=("customer_features", "customer_scores", "models"),
    writes=("monitoring",),
)
def monitoring_step(ctx: StepContext) -> StepResult:
    import pandas as pd

    from crmine.features.monitoring import drift

    rows: list[dict] = []
    for table, model in (("customer_features", "features"), ("customer_scores", "scores")):
        now, before = ctx.read(table), ctx.read_previous(table)
        if now is None or before is None or ctx.previous is None:
            continue
        columns = [c for c in now.columns if c != "customer_id"] if model == "features" else [
            c for c in SCORES if c in now.columns]
        for r in drift(before, now, columns):
            rows.append({**r, "model": model, "evaluated_run_id": ctx.previous.run_id,
                         "evaluated_as_of": _as_of(ctx.previous.meta), "n": float(len(now))})
    rows += _realised(ctx)
    if not rows:
        return StepResult.skipped("no earlier run to compare with")
    frame = pd.DataFrame(rows)
    frame["run_id"] = ctx.run_id
    frame = frame.reindex(columns=COLUMNS)
    drifting = frame[(frame["metric"] == "psi") & (frame["status"] == "drift")]
    judged = frame[frame["metric"] == "realised_auc"]
    parts = [f"{(frame['metric'] == 'psi').sum()} columns compared, {len(drifting)} drifting"]
    if len(judged):
        last = judged.iloc[-1]
        promised = "" if pd.isna(last["reference"]) else f" (validation {last['reference']:.3f})"
        parts.append(f"run of {last['evaluated_as_of']} realised AUC {last['value']:.3f}{promised}")
    return StepResult.done("; ".join(parts), {"monitoring": frame})


def _as_of(meta: dict) -> date | None:
    value = meta.get("as_of")
    return date.fromisoformat(value) if value else None


def _realised(ctx: StepContext) -> list[dict]:
    """Realised metrics of each matured earlier run (its as_of + horizon ≤ this as_of)."""
    import pandas as pd

    from crmine.features.monitoring import AUC_DECAY, realised_purchase

    matured = []
    for snap in ctx.earlier_runs("customer_scores"):
        meta = snap.meta
        start, days = _as_of(meta), meta.get("horizon_days")
        if start is not None and days and start + timedelta(days=int(days)) <= ctx.as_of:
            matured.append((snap, start, int(days)))
    matured = matured[-MAX_EVALUATED:]
    if not matured or "orders" not in ctx.available:
        return []
    orders = ctx.inputs.before("orders", "order_ts")
    first = min(start for _, start, _ in matured)
    buys = orders.filter(~orders.is_return & orders.customer_id.notnull()
                         & (orders.order_ts >= first)).select("customer_id", "order_ts", "amount")
    lines = buys.to_pandas()
    rows: list[dict] = []
    for snap, start, days in matured:
        scores = snap.read("customer_scores")
        if "p_purchase" not in scores:
            continue
        window = lines[(lines["order_ts"] >= pd.Timestamp(start))
                       & (lines["order_ts"] < pd.Timestamp(start + timedelta(days=days)))]
        revenue = window.groupby("customer_id")["amount"].sum()
        got = realised_purchase(scores, revenue)
        promised = _promised(snap)
        base = {"model": "purchase_propensity", "evaluated_run_id": snap.run_id,
                "evaluated_as_of": start, "n": got["n"]}  # fmt: skip
        for metric, subject, ref_key in (
            ("realised_auc", "p_purchase", "validation_auc"),
            ("realised_brier", "p_purchase", "validation_brier"),
            ("mean_predicted", "p_purchase", None),
            ("observed_rate", "p_purchase", None),
            ("revenue_capture_top_decile", "expected_revenue", None),
        ):
            if metric not in got:
                continue
            reference = promised.get(ref_key) if ref_key else (
                got["observed_rate"] if metric == "mean_predicted" else None)
            status = "ok"
            if metric == "realised_auc" and reference is not None and (
                    got[metric] < reference - AUC_DECAY):
                status = "decay"
            rows.append({**base, "metric": metric, "subject": subject,
                         "value": round(float(got[metric]), 4),
                         "reference": None if reference is None else round(float(reference), 4),
                         "status": status})  # fmt: skip
    return rows


def _promised(snap) -> dict[str, float]:
    """What the earlier run's validation said about its published purchase score."""
    if "models" not in snap.tables():
        return {}
    models = snap.read("models")
    row = models[models["name"] == "purchase_propensity"]
    if row.empty:
        return {}
    metrics = json.loads(row.iloc[0]["metrics"])
    return {k: float(v) for k, v in metrics.items()
            if k in ("validation_auc", "validation_brier") and isinstance(v, int | float)}
