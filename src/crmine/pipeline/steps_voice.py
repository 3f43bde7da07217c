"""The voice-of-the-customer steps of ``crmine run``: sentiment, topics, NPS and drivers, service.

Publishes ``feedback_scores`` (and ``interaction_scores``), ``feedback_topics``,
``feedback_topic_trend``, ``voice_summary`` and ``voice_drivers``, and adds service signals
to ``customer_features``. Every step works on a workspace holding only feedback. Only
feedback and interactions dated before ``as_of`` are read. Settings come from the
``[feedback]`` section of crmine.toml (:data:`DEFAULTS` when a key is absent).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from crmine.pipeline.run import RunContext, Step
from crmine.sqlnames import quote_identifier

if TYPE_CHECKING:
    import pandas as pd

DEFAULTS: dict[str, Any] = {
    "adapt": True,  # adapt the sentiment model to the workspace's own ratings
    "adapt_folds": 5,  # cross-fitting folds: no text is scored by a model that saw its rating
    "adapt_min_rated": 20,  # fewest low and high rated texts needed to adapt
    "adapt_max_texts": 20000,  # each adaptation learns from at most this many rated texts
    "seed": 0,
    "complaint_topics": ["complaint", "refund", "投诉", "退款"],  # interaction topics
    "recent_days": 90,  # window of the sentiment trend and recent complaints
    "min_group": 5,  # fewest answers for a voice_summary row
    "driver_min_n": 20,  # fewest answers mentioning a driver for it to be estimated
    "max_drivers": 15,
    "max_levels": 30,  # attributes with more distinct values are not drivers
    "n_topics": 8,  # topics per language (passed to the topic model)
}
CORE_FEEDBACK = {"feedback_id", "customer_id", "ts", "kind", "score", "text", "order_id"}
SCORE_COLUMNS = ["feedback_id", "customer_id", "ts", "kind", "score", "language", "sentiment",
                 "sentiment_label", "topics"]  # fmt: skip


def settings(ctx: RunContext) -> dict[str, Any]:
    return {**DEFAULTS, **ctx.ws.config.section("feedback")}


def _columns(ctx: RunContext, table: str) -> list[str]:
    return [r[0] for r in ctx.con.execute(f"DESCRIBE {table}").fetchall()]


def read_feedback(ctx: RunContext) -> pd.DataFrame:
    """Feedback before as_of with ``kind`` inferred per source where the source had none."""
    import pandas as pd

    from crmine.models.voice import infer_kind

    cols = [c for c in _columns(ctx, "feedback") if not c.startswith("_") or c == "_source"]
    sel = ", ".join(quote_identifier(c) for c in cols)
    fb = ctx.con.execute(
        f"SELECT {sel} FROM feedback WHERE ts < CAST($as_of AS TIMESTAMP) ORDER BY ts",
        {"as_of": ctx.as_of_ts},
    ).fetchdf()
    for col in ("kind", "score", "text", "customer_id", "feedback_id"):
        if col not in fb:
            fb[col] = None
    kinds = fb["kind"].astype("string").str.strip().str.lower()
    fb["kind"] = kinds.astype(object).where(kinds.notna() & kinds.ne(""), None)
    source = fb["_source"] if "_source" in fb else np.zeros(len(fb))
    has_text = fb["text"].astype("string").str.strip().fillna("").str.len().to_numpy() > 0
    score = fb["score"].to_numpy(dtype=np.float64, na_value=np.nan)
    kind = fb["kind"].to_numpy(dtype=object, copy=True)
    for src in np.unique(np.asarray(source, dtype=str)):  # a few sources, not rows
        m = np.asarray(source, dtype=str) == src
        if pd.isna(kind[m]).all():
            kind[m] = infer_kind(score[m], has_text[m])
    fb["kind"] = kind
    if fb["feedback_id"].isna().any():
        fb["feedback_id"] = fb["feedback_id"].astype(object)
        fb.loc[fb["feedback_id"].isna(), "feedback_id"] = "row:" + fb.index.astype(str)
    return fb.drop(columns="_source", errors="ignore")


# --- feedback sentiment ---------------------------------------------------------------------


def feedback_sentiment_step(ctx: RunContext) -> str:
    """Sentiment of every feedback and interaction text, adapted to the user's own ratings."""
    import pandas as pd

    from crmine.models.text import detect_language, load_default
    from crmine.models.voice import cross_fit_sentiment, normalised_score

    cfg = settings(ctx)
    base = load_default()
    details = []
    model = base
    if "feedback" in ctx.available:
        fb = read_feedback(ctx)
        if len(fb) == 0:
            return f"skipped: no feedback before {ctx.as_of}"
        texts = fb["text"].astype(object)
        u = normalised_score(fb["kind"].to_numpy(dtype=object),
                             fb["score"].to_numpy(dtype=np.float64, na_value=np.nan))  # fmt: skip
        res = cross_fit_sentiment(
            base, texts, u if cfg["adapt"] else np.full(len(fb), np.nan),
            folds=int(cfg["adapt_folds"]), seed=int(cfg["seed"]),
            min_rated=int(cfg["adapt_min_rated"]), max_fit=int(cfg["adapt_max_texts"]),
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
        ctx.tables["feedback_scores"] = out[SCORE_COLUMNS]
        ctx.record_model(
            "feedback_sentiment",
            {"adapted": res.adapted, "folds": int(cfg["adapt_folds"]),
             "neutral_band": base.neutral_band},
            training_window=f"rated feedback before {ctx.as_of}",
            metrics=res.metrics, rows=int(res.metrics.get("heldout_texts", 0)),
        )  # fmt: skip
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
    if "interactions" in ctx.available and "text" in _columns(ctx, "interactions"):
        it = ctx.con.execute(
            "SELECT * EXCLUDE (_source, _source_row) FROM interactions "
            "WHERE ts < CAST($as_of AS TIMESTAMP) AND text IS NOT NULL ORDER BY ts",
            {"as_of": ctx.as_of_ts},
        ).fetchdf()
        if len(it):
            langs = detect_language(it["text"])
            scores = model.score(it["text"], languages=langs)
            keep = [c for c in ("customer_id", "ts", "channel", "direction", "topic", "resolved")
                    if c in it]  # fmt: skip
            out = it[keep].copy()
            out["language"] = langs
            out["sentiment"] = np.where(langs == "unknown", np.nan, scores)
            out["sentiment_label"] = np.where(langs == "unknown", None, model.label(scores))
            ctx.tables["interaction_scores"] = out
            details.append(f"{len(out):,} interaction texts")
    return "; ".join(details) if details else "skipped: no feedback or interaction text"


# --- topics -------------------------------------------------------------------------------


def _explode_topics(scores: pd.DataFrame) -> pd.DataFrame:
    """One row per (feedback, topic label) with the feedback's month and sentiment."""
    import pandas as pd

    long = scores[["language", "sentiment", "sentiment_label", "ts", "topics"]].explode("topics")
    long = long.dropna(subset=["topics"]).rename(columns={"topics": "topic"}).reset_index(drop=True)
    long["month"] = pd.to_datetime(long["ts"]).dt.to_period("M").astype(str)
    return long


def topics_step(ctx: RunContext) -> str:
    """The themes of the feedback texts, and separately of the complaints, per language.

    Topics are fitted once on every text and once on the negative texts only: in feedback that
    is mostly praise, complaint themes would otherwise be drowned by "love / great / easy".
    A text carries the labels of both kinds; complaint labels read "<lang> complaint: ...".
    """
    import pandas as pd

    from crmine.models.text import extract_topics

    scores = ctx.tables.get("feedback_scores")
    if scores is None:
        return "skipped: no feedback scored"
    cfg = settings(ctx)
    fb = read_feedback(ctx)[["feedback_id", "text"]].drop_duplicates("feedback_id")
    texts = scores[["feedback_id"]].merge(fb, on="feedback_id", how="left")["text"]
    langs = scores["language"].to_numpy(dtype=str)
    k = int(cfg["n_topics"])
    themes = extract_topics(texts, langs, n_topics=k, random_state=int(cfg["seed"]))
    negative = (scores["sentiment_label"] == "negative").to_numpy()
    neg_rows = np.flatnonzero(negative)
    compl = extract_topics(texts.iloc[neg_rows], langs[neg_rows], n_topics=max(2, k // 2),
                           random_state=int(cfg["seed"]))  # fmt: skip
    relabel = {lab: lab.replace(":", " complaint:", 1) for lab in compl.topics["label"]}
    per_text = [list(t) for t in themes.per_text]
    for i, labs in zip(neg_rows, compl.per_text, strict=True):
        per_text[i] = per_text[i] + [relabel[lab] for lab in labs]
    scores = scores.assign(topics=per_text)
    ctx.tables["feedback_scores"] = scores
    table = pd.concat([
        themes.topics.assign(kind="theme"),
        compl.topics.assign(kind="complaint", label=compl.topics["label"].map(relabel)),
    ], ignore_index=True)  # fmt: skip
    cols = ["topic", "language", "kind", "top_terms", "n", "share", "mean_sentiment",
            "share_negative"]  # fmt: skip
    if table.empty:
        ctx.tables["feedback_topics"] = pd.DataFrame(columns=cols)
        ctx.tables["feedback_topic_trend"] = pd.DataFrame(
            columns=["month", "topic", "n", "mean_sentiment", "share_negative"]
        )
        return "skipped: too few texts per language for topics"
    long = _explode_topics(scores)
    long["neg"] = (long["sentiment_label"] == "negative").astype(float)
    stats = long.groupby("topic").agg(n=("topic", "size"), mean_sentiment=("sentiment", "mean"),
                                      share_negative=("neg", "mean"))  # fmt: skip
    texts_per_lang = pd.Series(langs).value_counts()
    table = table.rename(columns={"label": "topic"}).join(stats, on="topic")
    table["n"] = table["n"].fillna(0).astype("int64")
    table["share"] = table["n"] / table["language"].map(texts_per_lang).to_numpy()
    table["top_terms"] = table["top_terms"].map(list)
    table = table.sort_values(["kind", "n"], ascending=[False, False], kind="stable")
    ctx.tables["feedback_topics"] = table[cols].reset_index(drop=True)
    trend = (
        long.groupby(["month", "topic"])
        .agg(
            n=("topic", "size"),
            mean_sentiment=("sentiment", "mean"),
            share_negative=("neg", "mean"),
        )
        .reset_index()
    )
    ctx.tables["feedback_topic_trend"] = trend
    top = table[table["kind"] == "complaint"].head(3)["topic"].tolist()
    return (f"{int((table['kind'] == 'theme').sum())} themes, "
            f"{int((table['kind'] == 'complaint').sum())} complaint topics"
            + (f"; top complaints: {'; '.join(top)}" if top else ""))  # fmt: skip


# --- NPS, CSAT and drivers ------------------------------------------------------------------


def _voice_frame(ctx: RunContext, cfg: dict[str, Any]) -> tuple[pd.DataFrame, list[str]]:
    """feedback_scores with the feedback's own attributes and the customer's dimensions."""
    import pandas as pd

    scores = ctx.tables["feedback_scores"]
    attrs = [
        c for c in _columns(ctx, "feedback") if c not in CORE_FEEDBACK and not c.startswith("_")
    ]
    frame = scores.copy()
    if attrs:
        fb = read_feedback(ctx)[["feedback_id", *attrs]]
        frame = frame.merge(fb.drop_duplicates("feedback_id"), on="feedback_id", how="left")
    dims: list[str] = []
    cs = ctx.tables.get("customer_scores")
    if cs is not None:
        for col in ("rfm_segment", "cluster_label"):
            if col in cs and cs[col].notna().any():
                frame = frame.merge(cs[["customer_id", col]].astype({"customer_id": str}),
                                    on="customer_id", how="left")  # fmt: skip
                dims.append(col)
    if "customers" in ctx.available:
        ccols = _columns(ctx, "customers")
        wanted = [c for c in ("region", "gender") if c in ccols and c not in frame]
        if wanted:
            sel = ", ".join(wanted)
            cust = ctx.con.execute(
                f"SELECT DISTINCT ON (customer_id) customer_id, {sel} FROM customers "
                "WHERE customer_id IS NOT NULL"
            ).fetchdf()
            frame = frame.merge(cust, on="customer_id", how="left")
            dims.extend(c for c in wanted if frame[c].notna().any())
    frame["month"] = pd.to_datetime(frame["ts"]).dt.to_period("M").astype(str)
    low_card = [c for c in attrs if 1 < frame[c].nunique() <= int(cfg["max_levels"])]
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


def nps_drivers_step(ctx: RunContext) -> str:
    """voice_summary (NPS, CSAT, sentiment by dimension and month) and voice_drivers."""
    import pandas as pd

    from crmine.models.voice import (
        NPS_KINDS,
        STAR_KINDS,
        Driver,
        attribute_drivers,
        driver_effects,
        voice_summary,
    )

    if "feedback_scores" not in ctx.tables:
        return "skipped: no feedback scored"
    cfg = settings(ctx)
    frame, dims = _voice_frame(ctx, cfg)
    summary = voice_summary(frame, [*dims, "month", "language"], min_n=int(cfg["min_group"]))
    ctx.tables["voice_summary"] = summary
    topics = _topic_indicators(frame)
    kind = frame["kind"].to_numpy(dtype=object)
    score = frame["score"].to_numpy(dtype=np.float64, na_value=np.nan)
    groups = {
        "nps": (np.isin(kind, list(NPS_KINDS)) & ~np.isnan(score), "points (0-10 NPS scale)"),
        "stars": (np.isin(kind, list(STAR_KINDS)) & (score >= 1) & (score <= 5), "stars (1-5)"),
    }
    label = frame["sentiment_label"].astype("string")
    parts, notes = [], []
    min_n = int(cfg["driver_min_n"])
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
                                          max_levels=int(cfg["max_levels"]))  # fmt: skip
        notes += [f"{c} ({scale})" for c in dropped]
        eff = driver_effects(score[rows], drivers + attr, unit=unit, min_n=min_n,
                             max_drivers=int(cfg["max_drivers"]))  # fmt: skip
        if len(eff):
            eff.insert(0, "scale", scale)
            parts.append(eff)
    drivers_df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["scale", "driver", "kind", "effect", "ci_low", "ci_high", "n", "significant",
                 "sentence"])  # fmt: skip
    ctx.tables["voice_drivers"] = drivers_df
    overall = summary[summary["dimension"] == "all"].set_index("metric")["score"]
    heads = [f"NPS {overall['nps']:+.0f}" if "nps" in overall else "",
             f"CSAT {overall['csat']:.1f}%" if "csat" in overall else "",
             f"mean sentiment {overall['mean_sentiment']:+.2f}" if "mean_sentiment" in overall
             else ""]  # fmt: skip
    detail = ", ".join(h for h in heads if h) or "no NPS or 1-5 scores"
    detail += f"; {int(drivers_df['significant'].sum()) if len(drivers_df) else 0} clear drivers"
    if notes:
        detail += f" (left out as restating the score: {', '.join(notes)})"
    return detail


# --- service signals ------------------------------------------------------------------------


def service_events(ctx: RunContext):
    """The feedback and interactions before as_of, with the sentiment step's kinds and scores.

    The one source of the service signals: the customer_features columns and the purchase
    and churn models' training rows (at every cutoff) are computed from these events.
    """
    from crmine.features.service import read_service_events

    cfg = settings(ctx)
    return read_service_events(ctx.ibis(), ctx.as_of_ts, ctx.available,
                               ctx.tables.get("feedback_scores"),
                               complaint_topics=cfg["complaint_topics"],
                               recent_days=cfg["recent_days"])  # fmt: skip


def service_signals_step(ctx: RunContext) -> str:
    """Add point-in-time service signals to customer_features for the purchase/churn models."""
    from crmine.features.service import merge_service_features

    feats = ctx.tables.get("customer_features")
    if feats is None:
        return "skipped: no customer features to extend (no customers or orders)"
    service = service_events(ctx).at([ctx.as_of_ts]).drop(columns="cutoff")
    if service.empty:
        return "skipped: no feedback or interaction names a customer"
    ctx.tables["customer_features"] = merge_service_features(feats, service)
    known = set(feats["customer_id"].astype(str))
    matched = int(service["customer_id"].isin(known).sum())
    return (f"{matched:,} of {len(feats):,} customers have service signals "
            f"({int(service['complaints_total'].gt(0).sum()):,} with complaints)")  # fmt: skip


STEPS = [
    Step("feedback sentiment", (("feedback", "interactions"),), feedback_sentiment_step),
    Step("topics", (("feedback",),), topics_step),
    Step("nps and drivers", (("feedback",),), nps_drivers_step),
    Step("service signals", (("feedback", "interactions"),), service_signals_step),
]
