"""Step: ``campaign_scores``: whom to contact in each campaign, and what the contact adds.

For every campaign arm the run can learn from (:mod:`crmine.pipeline.campaign_rows`):

* with a randomised control group, the uplift model (:class:`crmine.models.uplift.
  UpliftModel`) gives p_response, p_response_control and uplift. When no uplift model beats
  targeting by the response model on validation, uplift is left empty, the contact list is
  ranked by p_response, and each contact is credited with the campaign's average effect;
* without a control group, the response model (:class:`crmine.models.campaigns.
  ResponseModel`) gives p_response only: what the contact *adds* cannot be measured, so no
  uplift is published and expected profit credits the whole response to the contact.

The customers scored are those the campaign has not reached; expected_profit, target and
rank follow ``[campaigns]`` (margin, cost_per_contact, budget_contacts).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np

from crmine.config import CampaignSettings
from crmine.pipeline.step import StepContext, StepResult, step

if TYPE_CHECKING:
    import pandas as pd

    from crmine.models.base import ModelRecord
    from crmine.pipeline.campaign_rows import CampaignData

COLUMNS = ("campaign_id", "customer_id", "p_response", "p_response_control", "uplift",
           "expected_profit", "target", "rank")  # fmt: skip


@step(
    "campaigns",
    needs=(("campaigns", "customers"),),
    writes=("campaign_scores",),
    settings=(CampaignSettings,),
)
def campaigns_step(ctx: StepContext) -> StepResult:
    import pandas as pd

    from crmine.features import customer_attributes
    from crmine.pipeline.campaign_rows import from_customers, from_table

    settings = ctx.settings(CampaignSettings)
    if "campaigns" in ctx.available:
        arms = from_table(ctx.inputs, settings)
    else:
        customers = customer_attributes(ctx.inputs.table("customers")).execute()
        arms = from_customers(customers.sort_values("customer_id", ignore_index=True), settings)
    if not arms:
        return StepResult.skipped("no campaign outcomes: load a campaigns table, or name the "
                                  "customers columns holding them in [campaigns] "
                                  "outcome_columns")  # fmt: skip
    frames, records, notes = [], [], []
    for arm in arms:  # one model per campaign arm
        try:
            frame, model, note = score_campaign(arm, settings, ctx.as_of_ts)
        except ValueError as exc:
            notes.append(f"{arm.campaign_id}: not modelled ({exc})")
            continue
        frames.append(frame.assign(_parent=arm.parent))
        records.append(model)
        notes.append(note)
    if not frames:
        return StepResult.skipped("; ".join(notes))
    scores = best_arm(pd.concat(frames, ignore_index=True)).drop(columns="_parent")
    return StepResult.done("; ".join(notes), {"campaign_scores": scores}, records)


def best_arm(scores: pd.DataFrame) -> pd.DataFrame:
    """With several arms of one campaign (a men's and a women's e-mail against one control):
    ``best_campaign``, the arm that earns most for each customer, empty where none pays.
    Without such a campaign the column is left out."""
    arms = scores.groupby("_parent")["campaign_id"].transform("nunique")
    several = scores[arms > 1]
    if several.empty:
        return scores
    ordered = several.sort_values(["_parent", "customer_id", "expected_profit", "campaign_id"],
                                  ascending=[True, True, False, True])  # fmt: skip
    best = ordered.drop_duplicates(["_parent", "customer_id"])
    best = best.loc[best["expected_profit"] > 0, ["_parent", "customer_id", "campaign_id"]]
    best = best.rename(columns={"campaign_id": "best_campaign"})
    return scores.merge(best, on=["_parent", "customer_id"], how="left")


def score_campaign(arm: CampaignData, settings: CampaignSettings, as_of: Any
                   ) -> tuple[pd.DataFrame, ModelRecord, str]:  # fmt: skip
    """Fit the campaign's model, score the customers it has not reached, rank and target."""
    import pandas as pd

    from crmine.models.campaign_segments import response_by_segment, segment_reasons
    from crmine.models.campaigns import ResponseModel
    from crmine.models.targeting import expected_profit, profit_curve, rank_and_target
    from crmine.models.uplift import UpliftModel

    when = arm.sent or as_of
    n = len(arm.score_ids)
    model: UpliftModel | ResponseModel | None = None
    reason = "no control group"
    if arm.has_control and arm.treated.any():
        try:
            model = UpliftModel(folds=settings.folds, random_state=settings.seed).fit(
                arm.train, arm.responded, arm.treated, as_of=when)
        except ValueError as exc:  # too few held-out responders to learn from
            reason = f"uplift not measurable ({exc})"
    if isinstance(model, UpliftModel):
        rule = model.response_rule_["qini"]
        why = (f"its Qini {model.cv_qini_:.4f} is not above the response model's {rule:.4f}"
               if model.cv_qini_ <= rule else
               f"its Qini {model.cv_qini_:.4f} is within the noise of random targeting (90 % "
               f"interval from {model.intervals_['chosen']['qini'][0]:.4f})")
        pred = model.predict(arm.score) if n else pd.DataFrame(
            {"p_response": [], "p_response_control": [], "uplift": []})
        value = pred["uplift"].to_numpy() if model.claimed_ else np.full(n, model.ate_)
        how = (f"uplift by {model.chosen_} (validation Qini {model.cv_qini_:.4f} vs response "
               f"model {rule:.4f})" if model.claimed_ else
               f"no uplift claimed: the best uplift model ({model.chosen_}) does not beat "
               f"targeting by response and random on validation: {why}; ranked by "
               f"p_response, each contact credited the average effect {model.ate_:+.4f}")
    else:
        treated = arm.treated
        model = ResponseModel(folds=settings.folds, random_state=settings.seed).fit(
            arm.train[treated], arm.responded[treated], as_of=when)
        p = model.predict_proba(arm.score) if n else np.zeros(0)
        pred = pd.DataFrame({"p_response": p, "p_response_control": np.nan, "uplift": np.nan})
        value = p
        how = (f"{reason}: p_response only ({model.chosen_}, validation AUC "
               f"{model.cv_auc_:.3f} vs {model.baseline_auc_:.3f} for the best single column"
               + ("" if model.beats_baseline_ else "; the baseline is published: no model "
                  "beat it") + ")")
    revenue = settings.revenue_per_response or arm.revenue_per_response or 1.0
    profit = expected_profit(value, revenue=revenue, margin=settings.margin,
                             cost=settings.cost_per_contact)  # fmt: skip
    rank, target = rank_and_target(profit, pred["p_response"].to_numpy(), settings.budget_contacts)
    segments = response_by_segment(arm.train, arm.responded, arm.treated)
    contacted = arm.responded[arm.treated]
    reasons = segment_reasons(arm.score, segments, float(contacted.mean()) if len(contacted)
                              else 0.0)  # fmt: skip
    frame = pd.DataFrame({
        "campaign_id": arm.campaign_id, "customer_id": arm.score_ids,
        "p_response": pred["p_response"].to_numpy(float),
        "p_response_control": pred["p_response_control"].to_numpy(float),
        "uplift": pred["uplift"].to_numpy(float), "expected_profit": profit,
        "target": target, "rank": rank, "top_reasons": reasons,
    }).sort_values("rank", ignore_index=True)  # fmt: skip
    base = model.describe()
    curve = profit_curve(profit)
    record = dataclasses.replace(
        base,
        parameters={**base.parameters, "campaign_id": arm.campaign_id, "source": arm.source},
        metrics={**base.metrics, "scored": n, "targeted": int(target.sum()),
                 "revenue_per_response": revenue, "profit_curve": curve,
                 "by_segment": segments},
    )  # fmt: skip
    note = (f"{arm.campaign_id}: {how}; " + (
        f"{n:,} customers scored, {int(target.sum()):,} to contact (expected profit "
        f"{profit[target].sum():,.2f})" if n else
        "every customer already has an outcome in it: none left to score"))
    return frame, record, note
