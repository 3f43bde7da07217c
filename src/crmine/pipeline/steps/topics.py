"""Step: the themes of the feedback texts, and separately of the complaints, per language.

Topics are fitted once on every text and once on the negative texts only: in feedback that
is mostly praise, complaint themes would otherwise be drowned by "love / great / easy".
A text carries the labels of both kinds; complaint labels read "<lang> complaint: ...".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crmine.config import FeedbackSettings
from crmine.pipeline.step import StepContext, StepResult, step

if TYPE_CHECKING:
    import pandas as pd

TOPIC_COLUMNS = ["topic", "language", "kind", "top_terms", "n", "share", "mean_sentiment",
                 "share_negative"]  # fmt: skip
TREND_COLUMNS = ["month", "topic", "n", "mean_sentiment", "share_negative"]


def explode_topics(scores: pd.DataFrame) -> pd.DataFrame:
    """One row per (feedback, topic label) with the feedback's month and sentiment."""
    import pandas as pd

    long = scores[["language", "sentiment", "sentiment_label", "ts", "topics"]].explode("topics")
    long = long.dropna(subset=["topics"]).rename(columns={"topics": "topic"}).reset_index(drop=True)
    months = pd.to_datetime(long["ts"]).dt.to_period("M")
    long["month"] = months.astype(str).where(months.notna(), None)  # undated: no month
    return long


@step(
    "topics",
    needs=(("feedback",),),
    reads=("feedback_scores",),
    extends=("feedback_scores",),
    writes=("feedback_topics", "feedback_topic_trend"),
    settings=(FeedbackSettings,),
)
def topics_step(ctx: StepContext) -> StepResult:
    import pandas as pd

    from crmine.models.text import extract_topics

    scores = ctx.read("feedback_scores")
    if scores is None:
        return StepResult.skipped("no feedback scored")
    cfg = ctx.settings(FeedbackSettings)
    fb = ctx.inputs.feedback()[["feedback_id", "text"]].drop_duplicates("feedback_id")
    texts = scores[["feedback_id"]].merge(fb, on="feedback_id", how="left")["text"]
    langs = scores["language"].to_numpy(dtype=str)
    k = cfg.n_topics
    themes = extract_topics(texts, langs, n_topics=k, random_state=cfg.seed)
    negative = (scores["sentiment_label"] == "negative").to_numpy()
    neg_rows = np.flatnonzero(negative)
    compl = extract_topics(texts.iloc[neg_rows], langs[neg_rows], n_topics=max(2, k // 2),
                           random_state=cfg.seed)  # fmt: skip
    relabel = {lab: lab.replace(":", " complaint:", 1) for lab in compl.topics["label"]}
    per_text = [list(t) for t in themes.per_text]
    for i, labs in zip(neg_rows, compl.per_text, strict=True):
        per_text[i] = per_text[i] + [relabel[lab] for lab in labs]
    scores = scores.assign(topics=per_text)
    table = pd.concat([
        themes.topics.assign(kind="theme"),
        compl.topics.assign(kind="complaint", label=compl.topics["label"].map(relabel)),
    ], ignore_index=True)  # fmt: skip
    if table.empty:
        return StepResult.skipped("too few texts per language for topics", {
            "feedback_scores": scores,
            "feedback_topics": pd.DataFrame(columns=TOPIC_COLUMNS),
            "feedback_topic_trend": pd.DataFrame(columns=TREND_COLUMNS),
        })  # fmt: skip
    long = explode_topics(scores)
    long["neg"] = (long["sentiment_label"] == "negative").astype(float)
    stats = long.groupby("topic").agg(n=("topic", "size"), mean_sentiment=("sentiment", "mean"),
                                      share_negative=("neg", "mean"))  # fmt: skip
    texts_per_lang = pd.Series(langs).value_counts()
    table = table.rename(columns={"label": "topic"}).join(stats, on="topic")
    table["n"] = table["n"].fillna(0).astype("int64")
    table["share"] = table["n"] / table["language"].map(texts_per_lang).to_numpy()
    table["top_terms"] = table["top_terms"].map(list)
    table = table.sort_values(["kind", "n"], ascending=[False, False], kind="stable")
    trend = (
        long.groupby(["month", "topic"])
        .agg(
            n=("topic", "size"),
            mean_sentiment=("sentiment", "mean"),
            share_negative=("neg", "mean"),
        )
        .reset_index()
    )
    top = table[table["kind"] == "complaint"].head(3)["topic"].tolist()
    detail = (f"{int((table['kind'] == 'theme').sum())} themes, "
              f"{int((table['kind'] == 'complaint').sum())} complaint topics"
              + (f"; top complaints: {'; '.join(top)}" if top else ""))  # fmt: skip
    return StepResult.done(detail, {
        "feedback_scores": scores,
        "feedback_topics": table[TOPIC_COLUMNS].reset_index(drop=True),
        "feedback_topic_trend": trend,
    })  # fmt: skip
