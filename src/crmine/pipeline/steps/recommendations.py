"""Step: top-k next products per customer, ranked by a model learned on the last horizon."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmine.config import RecommendationSettings
from crmine.pipeline.step import StepContext, StepResult, record, step

if TYPE_CHECKING:
    import pandas as pd

GROUP_COLUMNS = ("region", "country", "city", "segment")


def customer_groups(feats: pd.DataFrame | None) -> tuple[pd.Series | None, str | None]:
    """customer_id → region (or country, city, segment) from the customer features, if any."""
    if feats is None:
        return None, None
    for col in GROUP_COLUMNS:
        if col in feats and feats[col].notna().any():
            return feats.set_index("customer_id")[col].dropna().astype("string"), col
    return None, None


def scored_customers(scores: pd.DataFrame | None, lines: pd.DataFrame) -> pd.Series:
    """The customers to score: those of customer_scores, else those of the order lines."""
    import pandas as pd

    if scores is not None and len(scores):
        return scores["customer_id"].astype("string")
    return pd.Series(lines["customer_id"].dropna().unique(), dtype="string")


@step(
    "recommendations",
    needs=(("orders",),),
    reads=("customer_features", "customer_scores"),
    writes=("recommendations",),
    settings=(RecommendationSettings,),
)
def recommendations_step(ctx: StepContext) -> StepResult:
    from crmine.models.recommend import NextProductRecommender
    from crmine.models.recommend_validation import validate_weights

    conf = ctx.settings(RecommendationSettings)
    if not conf.enabled:
        return StepResult.skipped("disabled in [recommendations]")
    lines = ctx.inputs.order_lines()
    if "product_id" not in lines or lines["product_id"].notna().sum() == 0:
        return StepResult.skipped("orders carry no product_id")
    k = conf.k
    params: dict[str, Any] = {
        "repurchase": conf.repurchase,
        "half_life_days": conf.half_life_days,
        "exclude_products": list(conf.exclude_products),
        "detect_non_products": conf.detect_non_products,
    }
    groups, group_col = customer_groups(ctx.read("customer_features"))
    weights: Any = conf.weights
    metrics: dict[str, Any] = {}
    window = f"order lines before {ctx.as_of}"
    if weights == "auto":
        try:
            weights, metrics = validate_weights(
                lines, ctx.as_of_ts, ctx.horizon_days, k, params=params, customer_groups=groups
            )
            window += f"; weights chosen on the {ctx.horizon_days} days before it"
        except ValueError as exc:  # too little history before the validation window
            weights, metrics = None, {"validation": f"not possible: {exc}"}
    elif weights == "learned":
        weights = None
        window += f"; ranker trained on the {ctx.horizon_days} days before it"
    else:
        weights = dict(weights)
    try:
        model = NextProductRecommender(
            k=k, weights=weights, horizon_days=ctx.horizon_days, **params
        ).fit(lines, as_of=ctx.as_of_ts, customer_groups=groups)
    except ValueError as exc:
        return StepResult.skipped(str(exc))
    customers = scored_customers(ctx.read("customer_scores"), lines)
    group_values = None if groups is None else groups.reindex(customers).to_numpy()
    recs = model.recommend(customers, k, group_values)
    if model.ranker_ is not None:
        metrics["learned_blend"] = model.training_
        if "held_out_precision" in model.training_:
            metrics["precision"] = model.training_["held_out_precision"]
            metrics["validation"] = (
                f"precision@{model.training_['held_out_k']} on the customers of the training "
                "window the ranker did not train on (two folds)"
            )
    info = record(
        "recommendations",
        {
            **params,
            "k": k,
            "weights": model.weights_ if model.ranker_ is None else "learned",
            "group_column": group_col,
            "non_products": model.non_products_,
        },
        training_window=window,
        metrics=metrics,
        rows=model.n_purchases_,
    )
    top = recs["source"].value_counts().head(3)
    shares = ", ".join(f"{s} {n / max(len(recs), 1):.0%}" for s, n in top.items())
    p = metrics.get("precision")
    valid = f"; validation precision@{k} {p:.3f}" if isinstance(p, float) else ""
    return StepResult.done(
        f"{recs['customer_id'].nunique():,} customers × up to {k} products ({shares}){valid}",
        {"recommendations": recs},
        [info],
    )
