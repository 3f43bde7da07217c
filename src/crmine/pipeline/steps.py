"""The steps of ``crmine run``, in order. Each reads the warehouse and adds published tables."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmine.pipeline.run import RunContext, Step

if TYPE_CHECKING:
    import pandas as pd

SCORE_COLUMNS = [
    "customer_id",
    "as_of",
    "horizon_days",
    "first_order_date",
    "last_order_date",
    "recency_days",
    "orders_count",
    "revenue_total",
    "avg_order_value",
    "r_score",
    "f_score",
    "m_score",
    "rfm_segment",
]


def customer_features_step(ctx: RunContext) -> str:
    """Point-in-time features of every customer known at as_of."""
    from crmine.features import known_customer_features, known_customers

    backend = ctx.ibis()
    customers = backend.table("customers") if "customers" in ctx.available else None
    if "orders" in ctx.available:
        orders = backend.table("orders")
        feats = known_customer_features(orders, ctx.as_of_ts, customers).execute()
    else:
        feats = _customers_only(backend.table("customers"), ctx, known_customers)
    # a fixed row order: SQL gives none, and sampled models (clusters) must see the same rows
    feats = feats.sort_values("customer_id", kind="stable", ignore_index=True)
    ctx.tables["customer_features"] = feats
    with_orders = int((feats["orders_count"] > 0).sum()) if "orders_count" in feats else 0
    return f"{len(feats):,} customers, {with_orders:,} with purchases before {ctx.as_of}"


def _customers_only(customers, ctx: RunContext, known_customers) -> pd.DataFrame:
    from crmine.features import PII_COLUMNS

    keep = [c for c in customers.columns if c not in PII_COLUMNS and not c.startswith("_")]
    ids = customers.filter(customers.customer_id.notnull())
    return ids.select(keep).distinct(on="customer_id").execute()


def rfm_step(ctx: RunContext) -> str:
    import pandas as pd

    from crmine.models.rfm import RFMScorer, SegmentMap

    feats = ctx.tables["customer_features"]
    scores = pd.DataFrame({"customer_id": feats["customer_id"]})
    scores["as_of"] = pd.Timestamp(ctx.as_of).date()
    scores["horizon_days"] = ctx.horizon_days
    if "orders_count" not in feats or not (feats["orders_count"] > 0).any():
        ctx.tables["customer_scores"] = scores
        return "skipped: no purchases to score (customer_scores lists the customers only)"
    settings = ctx.ws.config.rfm
    segment_map = (
        SegmentMap.from_config(settings.segments, bins=settings.bins) if settings.segments else None
    )
    scorer = RFMScorer(bins=settings.bins, segment_map=segment_map).fit(feats)
    rfm = scorer.transform(feats)
    scores["first_order_date"] = pd.to_datetime(feats["first_order_ts"]).dt.date
    scores["last_order_date"] = pd.to_datetime(feats["last_order_ts"]).dt.date
    for col in SCORE_COLUMNS[5:]:
        scores[col] = rfm[col].array
    ctx.tables["customer_scores"] = scores
    ctx.record_model(
        "rfm",
        {
            "bins": settings.bins,
            "edges": {k: [float(x) for x in v] for k, v in scorer.edges_.items()},
            "segments": scorer.segment_map_.to_config(),
        },
        training_window=f"all history before {ctx.as_of}",
        rows=scorer.n_fitted_,
    )
    counts = rfm["rfm_segment"].value_counts()
    top = ", ".join(f"{k} {v:,}" for k, v in counts.head(3).items())
    return f"{scorer.n_fitted_:,} customers scored; largest segments: {top}"


STEPS = [
    Step("customer features", (("orders", "customers"),), customer_features_step),
    Step("rfm", (("orders", "customers"),), rfm_step),
]
