"""Step: NPS, CSAT and sentiment by segment, cluster and month (``voice_summary``), and what
moves the scores (``voice_drivers``): topics, the tone of the text, the feedback's own
attributes and the customer's dimensions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crmine.config import FeedbackSettings
from crmine.pipeline.step import StepContext, StepResult, step

if TYPE_CHECKING:
    import pandas as pd

CORE_FEEDBACK = {"feedback_id", "customer_id", "ts", "kind", "score", "text", "order_id"}
DRIVER_COLUMNS = ["scale", "driver", "kind", "effect", "ci_low", "ci_high", "n", "significant",
                  "sentence"]  # fmt: skip


def _voice_frame(ctx: StepContext, cfg: FeedbackSettings) -> tuple[pd.DataFrame, list[str]]:
    """feedback_scores with the feedback's own attributes and the customer's dimensions."""
    import pandas as pd

    from crmine.features import customer_attributes

    scores = ctx.read("feedback_scores")
    assert scores is not None
    attrs = [
        c for c in ctx.inputs.columns("feedback")
        if c not in CORE_FEEDBACK and not c.startswith("_")
    ]  # fmt: skip
    frame = scores.copy()
    if attrs:
        fb = ctx.inputs.feedback()[["feedback_id", *attrs]]
        frame = frame.merge(fb.drop_duplicates("feedback_id"), on="feedback_id", how="left")
    dims: list[str] = []
    cs = ctx.read("customer_scores")
    if cs is not None:
        for col in ("rfm_segment", "cluster_label"):
            if col in cs and cs[col].notna().any():
                frame = frame.merge(cs[["customer_id", col]].astype({"customer_id": str}),
                                    on="customer_id", how="left")  # fmt: skip
                dims.append(col)
    if "customers" in ctx.available:
        ccols = ctx.inputs.columns("customers")
        wanted = [c for c in ("region", "gender") if c in ccols and c not in frame]
        if wanted:
            cust = customer_attributes(ctx.inputs.table("customers"))
            cust = cust.select("customer_id", *wanted).to_pandas()
            frame = frame.merge(cust, on="customer_id", how="left")
            dims.extend(c for c in wanted if frame[c].notna().any())
    months = pd.to_datetime(frame["ts"]).dt.to_period("M")
    frame["month"] = months.astype(str).where(months.notna(), None)  # undated: no month
    low_card = [c for c in attrs if 1 < frame[c].nunique() <= cfg.max_levels]
    return frame, dims + low_card


def _topic_indicators(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """One 0/1 column per topic label: does the answer mention it."""
    flat = frame["topics"].reset_index(drop=True).explode().dropna()
    out = {}
    for name, rows in flat.groupby(flat.astype(str)).groups.items():  # per topic, not per row
        ind = np.zeros(len(frame), bool)
        ind[np.asarray(rows, dtype=np.int64)] = True
        out[str(name)] = ind
    return out


@step(
    "nps and drivers",
    needs=(("feedback",),),
    reads=("feedback_scores", "customer_scores"),
    writes=("voice_summary", "voice_drivers"),
    settings=(FeedbackSettings,),
)
def nps_drivers_step(ctx: StepContext) -> StepResult:
    import pandas as pd

    from crmine.models.voice import (
        NPS_KINDS,
        STAR_KINDS,
        Driver,
        attribute_drivers,
        driver_effects,
        voice_summary,
    )

    if ctx.read("feedback_scores") is None:
        return StepResult.skipped("no feedback scored")
    cfg = ctx.settings(FeedbackSettings)
    frame, dims = _voice_frame(ctx, cfg)
    summary = voice_summary(frame, [*dims, "month", "language"], min_n=cfg.min_group)
    topics = _topic_indicators(frame)
    kind = frame["kind"].to_numpy(dtype=object)
    score = frame["score"].to_numpy(dtype=np.float64, na_value=np.nan)
    groups = {
        "nps": (np.isin(kind, list(NPS_KINDS)) & ~np.isnan(score), "points (0-10 NPS scale)"),
        "stars": (np.isin(kind, list(STAR_KINDS)) & (score >= 1) & (score <= 5), "stars (1-5)"),
    }
    label = frame["sentiment_label"].astype("string")
    parts, notes = [], []
    min_n = cfg.driver_min_n
    attr_cols = [d for d in dims if d not in ("month",)]
    for scale, (rows, unit) in groups.items():
        if rows.sum() < 2 * min_n:
            continue
        sub = frame.loc[rows]
        drivers = [Driver(f'"{name}"', ind[rows], "topic") for name, ind in topics.items()]
        lab = label[rows]
        for tone in ("negative", "positive"):
            drivers.append(Driver(f"{tone} text (vs neutral)", (lab == tone).fillna(False)
                                  .to_numpy(dtype=bool), "sentiment"))  # fmt: skip
        attr, dropped = attribute_drivers(sub, attr_cols, score[rows], min_n=min_n,
                                          max_levels=cfg.max_levels)  # fmt: skip
        notes += [f"{c} ({scale})" for c in dropped]
        eff = driver_effects(score[rows], drivers + attr, unit=unit, min_n=min_n,
                             max_drivers=cfg.max_drivers)  # fmt: skip
        if len(eff):
            eff.insert(0, "scale", scale)
            parts.append(eff)
    drivers_df = (pd.concat(parts, ignore_index=True) if parts
                  else pd.DataFrame(columns=DRIVER_COLUMNS))  # fmt: skip
    overall = summary[summary["dimension"] == "all"].set_index("metric")["score"]
    heads = [f"NPS {overall['nps']:+.0f}" if "nps" in overall else "",
             f"CSAT {overall['csat']:.1f}%" if "csat" in overall else "",
             f"mean sentiment {overall['mean_sentiment']:+.2f}" if "mean_sentiment" in overall
             else ""]  # fmt: skip
    detail = ", ".join(h for h in heads if h) or "no NPS or 1-5 scores"
    detail += f"; {int(drivers_df['significant'].sum()) if len(drivers_df) else 0} clear drivers"
    if notes:
        detail += f" (left out as restating the score: {', '.join(notes)})"
    return StepResult.done(detail, {"voice_summary": summary, "voice_drivers": drivers_df})
