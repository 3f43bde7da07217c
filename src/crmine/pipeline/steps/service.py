"""Step: point-in-time service signals (complaints, tickets, sentiment, NPS) per customer.

They extend ``customer_features`` so that the purchase, churn and cluster models read them.
:func:`service_events` is the one source of these signals: the purchase and churn models
compute their training rows at every cutoff from the same events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmine.config import FeedbackSettings
from crmine.pipeline.step import StepContext, StepResult, step

if TYPE_CHECKING:
    from crmine.features.service import ServiceEvents


def service_events(ctx: StepContext) -> ServiceEvents | None:
    """Feedback and interactions before as_of, with the sentiment step's kinds and scores.

    None when the workspace holds neither. The calling step must declare that it reads
    ``feedback_scores`` and the ``[feedback]`` settings.
    """
    if not {"feedback", "interactions"} & ctx.available:
        return None
    from crmine.features.service import read_service_events

    cfg = ctx.settings(FeedbackSettings)
    return read_service_events(ctx.ibis(), ctx.as_of_ts, ctx.available,
                               ctx.read("feedback_scores"),
                               complaint_topics=list(cfg.complaint_topics),
                               recent_days=cfg.recent_days)  # fmt: skip


@step(
    "service signals",
    needs=(("feedback", "interactions"),),
    reads=("customer_features", "feedback_scores"),
    extends=("customer_features",),
    settings=(FeedbackSettings,),
)
def service_signals_step(ctx: StepContext) -> StepResult:
    from crmine.features.service import merge_service_features

    feats = ctx.read("customer_features")
    if feats is None:
        return StepResult.skipped("no customer features to extend (no customers or orders)")
    events = service_events(ctx)
    assert events is not None  # the step needs feedback or interactions
    service = events.at([ctx.as_of_ts]).drop(columns="cutoff")
    if service.empty:
        return StepResult.skipped("no feedback or interaction names a customer")
    known = set(feats["customer_id"].astype(str))
    matched = int(service["customer_id"].isin(known).sum())
    return StepResult.done(
        f"{matched:,} of {len(feats):,} customers have service signals "
        f"({int(service['complaints_total'].gt(0).sum()):,} with complaints)",
        {"customer_features": merge_service_features(feats, service)},
    )
