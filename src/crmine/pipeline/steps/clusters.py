"""Step: K-Means customer groups with readable labels; adds cluster and cluster_label to
``customer_scores`` and publishes their profiles and a 2-D projection."""

from __future__ import annotations

from crmine.config import ClusterSettings
from crmine.pipeline.step import StepContext, StepResult, record, step


def fewest_to_cluster(conf: ClusterSettings) -> int:
    """Customers a clustering needs: three per group at the largest k, and at least 20."""
    return max(20, 3 * conf.k_max)


@step(
    "clusters",
    needs=(("orders", "customers"),),
    reads=("customer_features", "customer_scores"),
    extends=("customer_scores",),
    writes=("cluster_profiles", "cluster_projection"),
    settings=(ClusterSettings,),
)
def clusters_step(ctx: StepContext) -> StepResult:
    import pandas as pd

    from crmine.models.cluster import CustomerClusterer

    conf = ctx.settings(ClusterSettings)
    feats = ctx.read("customer_features")
    scores = ctx.read("customer_scores")
    if feats is None or scores is None:
        return StepResult.skipped("no customer features")
    fewest = fewest_to_cluster(conf)
    if "orders_count" in feats:
        buyers = int((feats["orders_count"].fillna(0) > 0).sum())
        if buyers < fewest:
            return StepResult.skipped(f"{buyers} customers with purchases, too few to cluster")
    elif len(feats) < fewest:
        return StepResult.skipped(f"{len(feats)} customers, too few to cluster")
    model = CustomerClusterer(
        k_min=conf.k_min, k_max=conf.k_max, random_state=conf.random_state
    ).fit(feats)
    ids = scores["customer_id"].astype("string")
    cluster = model.labels_.reindex(ids).astype("Int64").to_numpy()
    scores = scores.copy()
    scores["cluster"] = cluster
    scores["cluster_label"] = pd.Series(cluster).map(model.cluster_labels_).astype("string").array
    chosen = model.selection_.set_index("k").loc[model.k_]
    info = record(
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
    sizes = ", ".join(f"{r.label} {r.size:,}" for r in model.profiles_.itertuples(index=False))
    return StepResult.done(
        f"{model.k_} clusters: {sizes}",
        {
            "customer_scores": scores,
            "cluster_profiles": model.profiles_,
            "cluster_projection": model.projection_,
        },
        [info],
    )
