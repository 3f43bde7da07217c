"""Step: per customer, the probability of buying in each category within the horizon."""

from __future__ import annotations

from crmine.config import NextCategorySettings
from crmine.pipeline.step import StepContext, StepResult, record, step
from crmine.pipeline.steps.recommendations import scored_customers


@step(
    "next categories",
    needs=(("orders",),),
    reads=("customer_scores",),
    writes=("next_categories",),
    settings=(NextCategorySettings,),
)
def next_categories_step(ctx: StepContext) -> StepResult:
    from crmine.models.categories import CategoryNeeds

    conf = ctx.settings(NextCategorySettings)
    if not conf.enabled:
        return StepResult.skipped("disabled in [next_categories]")
    lines = ctx.inputs.order_lines()
    no_category = "category" not in lines or lines["category"].notna().sum() == 0
    can_derive = conf.derive_from_names and "product_name" in lines
    if no_category and not can_derive:
        return StepResult.skipped("orders carry no category")
    model = CategoryNeeds(
        horizon_days=ctx.horizon_days,
        top_n=conf.top_n,
        n_derived=conf.derived_categories,
        exclude_products=list(conf.exclude_products),
    )
    try:
        model.fit(lines, as_of=ctx.as_of_ts)
    except ValueError as exc:
        return StepResult.skipped(str(exc))
    customers = scored_customers(ctx.read("customer_scores"), lines)
    table = model.predict(lines, customers)
    info = record(
        "next_categories",
        {**model.get_params(), "categories": model.categories_, "derived": model.derived_},
        training_window=model.training_window_,
        metrics=model.metrics_,
        rows=model.n_training_rows_,
    )
    auc = model.metrics_.get("mean_auc")
    base = model.metrics_.get("mean_auc_baseline_own_history")
    note = f"; validation mean AUC {auc:.3f}" if isinstance(auc, float) else ""
    if note and isinstance(base, float):
        note += f" (own history {base:.3f})"
    m = model.metrics_
    if m.get("published") == "base rate":
        note += "; the model did not beat the base rate on validation: base rates published"
    elif str(m.get("calibration", "")).startswith("Platt"):
        note += (f"; calibrated on the validation window (mean {m['mean_predicted']:.3f}, "
                 f"observed {m['observed_rate']:.3f})")  # fmt: skip
    source = "derived from product names" if model.derived_ else "from the data"
    return StepResult.done(
        f"{len(model.categories_)} categories ({source}) for {customers.size:,} customers{note}",
        {"next_categories": table},
        [info],
    )
