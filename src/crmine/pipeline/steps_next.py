"""Run steps for "what next": product recommendations, customer clusters, category needs.

Settings come from the ``[recommendations]``, ``[clusters]`` and ``[next_categories]``
sections of crmine.toml (plain dicts; every key optional, defaults below).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmine.pipeline.run import RunContext, Step

if TYPE_CHECKING:
    import pandas as pd

_LINE_COLUMNS = (
    "customer_id", "order_id", "order_ts", "product_id", "product_name", "category",
    "quantity", "unit_price", "amount", "is_return",
)
_GROUP_COLUMNS = ("region", "country", "city", "segment")


def order_lines(ctx: RunContext) -> pd.DataFrame:
    """Order lines with a customer strictly before as_of: one SQL query on the warehouse.

    Read once per run and shared by the steps of this module (none of them modifies it).
    """
    cached = getattr(ctx, "_order_lines", None)
    if cached is not None:
        return cached
    present = {row[0] for row in ctx.con.execute("DESCRIBE orders").fetchall()}
    cols = ", ".join(c for c in _LINE_COLUMNS if c in present)
    sql = f"SELECT {cols} FROM orders WHERE order_ts < ? AND customer_id IS NOT NULL"
    lines = ctx.con.execute(sql, [ctx.as_of_ts]).df()
    ctx._order_lines = lines  # type: ignore[attr-defined]
    return lines


def _customer_groups(ctx: RunContext) -> tuple[pd.Series | None, str | None]:
    """customer_id → region (or country, city, segment) from the customer features, if any."""
    feats = ctx.tables.get("customer_features")
    if feats is None:
        return None, None
    for col in _GROUP_COLUMNS:
        if col in feats and feats[col].notna().any():
            return feats.set_index("customer_id")[col].dropna().astype("string"), col
    return None, None


def _customers(ctx: RunContext, lines: pd.DataFrame) -> pd.Series:
    import pandas as pd

    scores = ctx.tables.get("customer_scores")
    if scores is not None and len(scores):
        return scores["customer_id"].astype("string")
    return pd.Series(lines["customer_id"].dropna().unique(), dtype="string")


def recommendations_step(ctx: RunContext) -> str:
    """Top-k next products per customer: a ranker (or blend weights) learned on the last horizon."""
    from crmine.evaluation.recommend import validate_weights
    from crmine.models.recommend import NextProductRecommender

    conf = ctx.ws.config.section("recommendations")
    if not conf.get("enabled", True):
        return "skipped: disabled in [recommendations]"
    lines = order_lines(ctx)
    if "product_id" not in lines or lines["product_id"].notna().sum() == 0:
        return "skipped: orders carry no product_id"
    k = int(conf.get("k", 10))
    params: dict[str, Any] = {
        "repurchase": bool(conf.get("repurchase", True)),
        "half_life_days": float(conf.get("half_life_days", 180)),
        "exclude_products": [str(x) for x in conf.get("exclude_products", [])],
        "detect_non_products": bool(conf.get("detect_non_products", True)),
    }
    groups, group_col = _customer_groups(ctx)
    weights = conf.get("weights", "learned")
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
        weights = {str(s): float(w) for s, w in dict(weights).items()}
    try:
        model = NextProductRecommender(
            k=k, weights=weights, horizon_days=ctx.horizon_days, **params
        ).fit(lines, ctx.as_of_ts, groups)
    except ValueError as exc:
        return f"skipped: {exc}"
    customers = _customers(ctx, lines)
    group_values = None if groups is None else groups.reindex(customers).to_numpy()
    recs = model.recommend(customers, k, group_values)
    ctx.tables["recommendations"] = recs
    if model.ranker_ is not None:
        metrics["learned_blend"] = model.training_
        if "held_out_precision" in model.training_:
            metrics["precision"] = model.training_["held_out_precision"]
            metrics["validation"] = (
                f"precision@{model.training_['held_out_k']} on the customers of the training "
                "window the ranker did not train on (two folds)"
            )
    ctx.record_model(
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
    return f"{recs['customer_id'].nunique():,} customers × up to {k} products ({shares}){valid}"


def clusters_step(ctx: RunContext) -> str:
    """K-Means clusters of customers with purchases; adds cluster / cluster_label to scores."""
    import pandas as pd

    from crmine.models.cluster import CustomerClusterer

    conf = ctx.ws.config.section("clusters")
    feats = ctx.tables.get("customer_features")
    scores = ctx.tables.get("customer_scores")
    if feats is None or scores is None:
        return "skipped: no customer features"
    k_min, k_max = int(conf.get("k_min", 3)), int(conf.get("k_max", 8))
    if "orders_count" in feats:
        buyers = int((feats["orders_count"].fillna(0) > 0).sum())
        if buyers < max(20, 3 * k_max):
            return f"skipped: {buyers} customers with purchases, too few to cluster"
    elif len(feats) < max(20, 3 * k_max):
        return f"skipped: {len(feats)} customers, too few to cluster"
    model = CustomerClusterer(
        k_min=k_min, k_max=k_max, random_state=int(conf.get("random_state", 0))
    ).fit(feats)
    ids = scores["customer_id"].astype("string")
    cluster = model.labels_.reindex(ids).astype("Int64").to_numpy()
    scores["cluster"] = cluster
    scores["cluster_label"] = pd.Series(cluster).map(model.cluster_labels_).astype("string").array
    ctx.tables["cluster_profiles"] = model.profiles_
    ctx.tables["cluster_projection"] = model.projection_
    chosen = model.selection_.set_index("k").loc[model.k_]
    ctx.record_model(
        "clusters",
        {**model.get_params(), "k": model.k_, "features": model.feature_names_},
        training_window=f"customer features as of {ctx.as_of}",
        metrics={
            "silhouette": float(chosen["silhouette"]),
            "stability_ari": float(chosen["stability"]),
            "selection": model.selection_.round(4).to_dict(orient="records"),
        },
        rows=len(model.labels_),
    )
    sizes = ", ".join(
        f"{r.label} {r.size:,}" for r in model.profiles_.itertuples(index=False)
    )
    return f"{model.k_} clusters: {sizes}"


def next_categories_step(ctx: RunContext) -> str:
    """Probability of buying in each category within the horizon, per customer."""
    from crmine.models.categories import CategoryNeeds

    conf = ctx.ws.config.section("next_categories")
    if not conf.get("enabled", True):
        return "skipped: disabled in [next_categories]"
    lines = order_lines(ctx)
    no_category = "category" not in lines or lines["category"].notna().sum() == 0
    can_derive = conf.get("derive_from_names", True) and "product_name" in lines
    if no_category and not can_derive:
        return "skipped: orders carry no category"
    model = CategoryNeeds(
        horizon_days=ctx.horizon_days,
        top_n=int(conf.get("top_n", 3)),
        n_derived=int(conf.get("derived_categories", 15)),
        exclude_products=[str(x) for x in
                          ctx.ws.config.section("recommendations").get("exclude_products", [])],
    )
    try:
        model.fit(lines, ctx.as_of_ts)
    except ValueError as exc:
        return f"skipped: {exc}"
    customers = _customers(ctx, lines)
    table = model.predict(customers)
    ctx.tables["next_categories"] = table
    ctx.record_model(
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
    source = "derived from product names" if model.derived_ else "from the data"
    return f"{len(model.categories_)} categories ({source}) for {customers.size:,} customers{note}"


STEPS = [
    Step("recommendations", (("orders",),), recommendations_step),
    Step("clusters", (("orders", "customers"),), clusters_step),
    Step("next categories", (("orders",),), next_categories_step),
]
