"""Step: sentiment of every feedback and interaction text, adapted to the shop's own ratings.

Publishes ``feedback_scores`` (topics are added by the topics step) and
``interaction_scores``. Only texts dated before as_of are read.
"""

from __future__ import annotations

import numpy as np

from crmine.config import FeedbackSettings
from crmine.pipeline.step import StepContext, StepResult, record, step

SCORE_COLUMNS = ["feedback_id", "customer_id", "ts", "kind", "score", "language", "sentiment",
                 "sentiment_label", "topics"]  # fmt: skip


@step(
    "feedback sentiment",
    needs=(("feedback", "interactions"),),
    writes=("feedback_scores", "interaction_scores"),
    settings=(FeedbackSettings,),
)
def feedback_sentiment_step(ctx: StepContext) -> StepResult:
    import pandas as pd

    from crmine.models.text import detect_language, load_default
    from crmine.models.voice import cross_fit_sentiment
    from crmine.quality.feedback import normalised_score

    cfg = ctx.settings(FeedbackSettings)
    base = load_default()
    details, tables, models = [], {}, []
    model = base
    if "feedback" in ctx.available:
        fb = ctx.inputs.feedback()
        if len(fb) == 0:
            return StepResult.skipped(f"no feedback before {ctx.as_of}")
        texts = fb["text"].astype(object)
        u = normalised_score(fb["kind"].to_numpy(dtype=object),
                             fb["score"].to_numpy(dtype=np.float64, na_value=np.nan))  # fmt: skip
        res = cross_fit_sentiment(
            base, texts, u if cfg.adapt else np.full(len(fb), np.nan),
            folds=cfg.adapt_folds, seed=cfg.seed,
            min_rated=cfg.adapt_min_rated, max_fit=cfg.adapt_max_texts,
        )  # fmt: skip
        model = res.model or base
        langs = detect_language(texts)
        no_text = langs == "unknown"
        out = fb[["feedback_id", "customer_id", "ts", "kind", "score"]].copy()
        out["language"] = langs
        out["sentiment"] = np.where(no_text, np.nan, res.scores)
        out["sentiment_label"] = (
            pd.Series(res.labels, dtype=object).where(~no_text, None).to_numpy()
        )
        out["topics"] = [[] for _ in range(len(out))]
        tables["feedback_scores"] = out[SCORE_COLUMNS]
        models.append(record(
            "feedback_sentiment",
            {"adapted": res.adapted, "folds": cfg.adapt_folds, "neutral_band": base.neutral_band},
            training_window=f"rated feedback before {ctx.as_of}",
            metrics=res.metrics, rows=int(res.metrics.get("heldout_texts", 0)),
        ))  # fmt: skip
        scored = int((~no_text).sum())
        labels = out["sentiment_label"].value_counts()
        mix = ", ".join(f"{k} {v:,}" for k, v in labels.items())
        how = "adapted, cross-fitted" if res.adapted else "shipped model"
        gain = ""
        if res.adapted:
            m = res.metrics
            gain = (f"; held-out balanced accuracy {m['balanced_accuracy_label_before']:.3f}"
                    f" → {m['balanced_accuracy_label_after']:.3f}")  # fmt: skip
        details.append(f"{scored:,} feedback texts ({how}): {mix}{gain}")
    if "interactions" in ctx.available and "text" in ctx.inputs.columns("interactions"):
        it = ctx.inputs.before("interactions", "ts")
        it = it.filter(it.text.notnull()).order_by("ts")
        it = it.select([c for c in it.columns if c not in ("_source", "_source_row")]).to_pandas()
        if len(it):
            langs = detect_language(it["text"])
            scores = model.score(it["text"], languages=langs)
            keep = [c for c in ("customer_id", "ts", "channel", "direction", "topic", "resolved")
                    if c in it]  # fmt: skip
            out = it[keep].copy()
            out["language"] = langs
            out["sentiment"] = np.where(langs == "unknown", np.nan, scores)
            out["sentiment_label"] = np.where(langs == "unknown", None, model.label(scores))
            tables["interaction_scores"] = out
            details.append(f"{len(out):,} interaction texts")
    if not details:
        return StepResult.skipped("no feedback or interaction text")
    return StepResult.done("; ".join(details), tables, models)
