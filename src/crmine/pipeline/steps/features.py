"""Step: the point-in-time features of every customer known at as_of."""

from __future__ import annotations

from crmine.pipeline.step import StepContext, StepResult, step


@step("customer features", needs=(("orders", "customers"),), writes=("customer_features",))
def customer_features_step(ctx: StepContext) -> StepResult:
    from crmine.features import customer_attributes, known_customer_features

    inputs = ctx.inputs
    customers = inputs.table("customers") if "customers" in ctx.available else None
    if "orders" in ctx.available:
        feats = known_customer_features(inputs.table("orders"), ctx.as_of_ts, customers).execute()
    else:
        feats = customer_attributes(inputs.table("customers")).execute()
    # a fixed row order: SQL gives none, and sampled models (clusters) must see the same rows
    feats = feats.sort_values("customer_id", kind="stable", ignore_index=True)
    with_orders = int((feats["orders_count"] > 0).sum()) if "orders_count" in feats else 0
    return StepResult.done(
        f"{len(feats):,} customers, {with_orders:,} with purchases before {ctx.as_of}",
        {"customer_features": feats},
    )
