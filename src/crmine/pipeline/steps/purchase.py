"""Step: purchase, value and non-contractual churn forecasts into ``customer_scores``.

The models are fitted on the warehouse truncated at as_of (:mod:`crmine.pipeline.forecast`),
exactly as ``crmine evaluate --cutoff`` fits them, with the run's customer features and the
service signals scored by its sentiment step.
"""

from __future__ import annotations

from crmine.config import ChurnSettings, ClvSettings, FeedbackSettings, ModelsSettings
from crmine.pipeline.step import StepContext, StepResult, step
from crmine.pipeline.steps.service import service_events


def merge_scores(scores, new):
    """``scores`` with the columns of ``new`` (by customer_id), replacing any it already had."""
    cols = [c for c in new.columns if c != "customer_id"]
    base = scores.drop(columns=[c for c in cols if c in scores.columns])
    return base.merge(new, on="customer_id", how="left")


def predict_settings(ctx: StepContext):
    from crmine.pipeline.forecast import PredictSettings

    return PredictSettings.from_sections(
        ctx.settings(ModelsSettings), ctx.settings(ClvSettings), ctx.settings(ChurnSettings)
    )


@step(
    "purchase and value models",
    needs=(("orders",),),
    reads=("customer_features", "feedback_scores", "customer_scores"),
    extends=("customer_scores",),
    settings=(ModelsSettings, ClvSettings, ChurnSettings, FeedbackSettings),
    history=("models",),
)
def purchase_step(ctx: StepContext) -> StepResult:
    from crmine.pipeline.forecast import forecast_orders

    scores = ctx.read("customer_scores")
    if scores is None:
        return StepResult.skipped("no customers to score")
    settings = predict_settings(ctx)
    champion = ctx.previous_fitted("purchase_propensity") if settings.promote == "if_better" else None
    fc = forecast_orders(
        ctx.ibis(),
        ctx.as_of_ts,
        ctx.horizon_days,
        set(ctx.available),
        settings,
        service=service_events(ctx),
        features_now=ctx.read("customer_features"),
        champion=champion,
    )
    if fc.skipped:
        return StepResult.skipped(fc.detail)
    return StepResult.done(fc.detail, {"customer_scores": merge_scores(scores, fc.scores)},
                           fc.models, fitted=fc.fitted)  # fmt: skip
