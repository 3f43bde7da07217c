"""Step: contractual churn from a churned label on customers (replaces churn_risk and
top_reasons in ``customer_scores`` for every customer); skipped when there is no label."""

from __future__ import annotations

from crmine.config import ChurnSettings, ClvSettings, FeedbackSettings, ModelsSettings
from crmine.pipeline.step import StepContext, StepResult, step
from crmine.pipeline.steps.purchase import merge_scores, predict_settings
from crmine.pipeline.steps.service import service_events


@step(
    "churn",
    needs=(("customers",),),
    reads=("feedback_scores", "customer_scores"),
    extends=("customer_scores",),
    after=("purchase and value models",),  # its churn_risk replaces the purchase model's
    settings=(ModelsSettings, ClvSettings, ChurnSettings, FeedbackSettings),
)
def churn_step(ctx: StepContext) -> StepResult:
    from crmine.pipeline.forecast import forecast_churn

    fc = forecast_churn(ctx.ibis(), ctx.as_of_ts, set(ctx.available), predict_settings(ctx),
                        service=service_events(ctx))  # fmt: skip
    scores = ctx.read("customer_scores")
    if fc.skipped:
        if scores is not None and "churn_risk" in scores:
            return StepResult.skipped(fc.detail + " (churn_risk = chance of no purchase in the "
                                      "horizon)")  # fmt: skip
        return StepResult.skipped(fc.detail)
    if scores is None:
        return StepResult.skipped("no customers to score")
    return StepResult.done(fc.detail, {"customer_scores": merge_scores(scores, fc.scores)},
                           fc.models)  # fmt: skip
