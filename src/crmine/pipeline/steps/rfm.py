"""Step: RFM scores and segments; creates ``customer_scores`` (one row per known customer)."""

from __future__ import annotations

from crmine.config import RFMSettings
from crmine.pipeline.step import StepContext, StepResult, record, step

SCORE_COLUMNS = (
    "customer_id", "as_of", "horizon_days", "first_order_date", "last_order_date",
    "recency_days", "orders_count", "revenue_total", "avg_order_value",
    "r_score", "f_score", "m_score", "rfm_segment",
)  # fmt: skip


@step(
    "rfm",
    needs=(("orders", "customers"),),
    reads=("customer_features",),
    writes=("customer_scores",),
    settings=(RFMSettings,),
)
def rfm_step(ctx: StepContext) -> StepResult:
    import pandas as pd

    from crmine.models.rfm import RFMScorer, SegmentMap

    feats = ctx.read("customer_features")
    if feats is None:
        return StepResult.skipped("no customer features")
    scores = pd.DataFrame({"customer_id": feats["customer_id"]})
    scores["as_of"] = pd.Timestamp(ctx.as_of).date()
    scores["horizon_days"] = ctx.horizon_days
    if "orders_count" not in feats or not (feats["orders_count"] > 0).any():
        return StepResult.skipped(
            "no purchases to score (customer_scores lists the customers only)",
            {"customer_scores": scores},
        )
    settings = ctx.settings(RFMSettings)
    segment_map = (  # from_config: a ConfigError when the rules do not cover every score
        SegmentMap.from_config(settings.segments, bins=settings.bins) if settings.segments else None
    )
    scorer = RFMScorer(bins=settings.bins, segment_map=segment_map).fit(feats)
    rfm = scorer.transform(feats)
    scores["first_order_date"] = pd.to_datetime(feats["first_order_ts"]).dt.date
    scores["last_order_date"] = pd.to_datetime(feats["last_order_ts"]).dt.date
    for col in SCORE_COLUMNS[5:]:
        scores[col] = rfm[col].array
    model = record(
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
    return StepResult.done(
        f"{scorer.n_fitted_:,} customers scored; largest segments: {top}",
        {"customer_scores": scores},
        [model],
    )
