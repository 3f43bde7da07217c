"""Feedback as the voice steps read it: one frame, every canonical column present, kinds known.

A source without a ``kind`` column (or with it empty) gets one per source from the range of
its scores (:func:`crmine.quality.feedback.infer_kind`); answers without an id get a stable
``row:N`` id so that scores, topics and drivers can be joined back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import ibis
    import pandas as pd


def read_feedback(feedback: ibis.Table) -> pd.DataFrame:
    """``feedback`` (already restricted to the rows wanted) ordered by time, kinds inferred."""
    import pandas as pd

    from crmine.quality.feedback import infer_kind

    cols = [c for c in feedback.columns if not c.startswith("_") or c == "_source"]
    fb = feedback.select(cols).order_by("ts").to_pandas()
    for col in ("kind", "score", "text", "customer_id", "feedback_id"):
        if col not in fb:
            fb[col] = None
    kinds = fb["kind"].astype("string").str.strip().str.lower()
    fb["kind"] = kinds.astype(object).where(kinds.notna() & kinds.ne(""), None)
    source = fb["_source"] if "_source" in fb else np.zeros(len(fb))
    has_text = fb["text"].astype("string").str.strip().fillna("").str.len().to_numpy() > 0
    score = fb["score"].to_numpy(dtype=np.float64, na_value=np.nan)
    kind = fb["kind"].to_numpy(dtype=object, copy=True)
    sources = np.asarray(source, dtype=str)
    for src in np.unique(sources):  # a few sources, not rows
        m = sources == src
        if pd.isna(kind[m]).all():
            kind[m] = infer_kind(score[m], has_text[m])
    fb["kind"] = kind
    if fb["feedback_id"].isna().any():
        fb["feedback_id"] = fb["feedback_id"].astype(object)
        fb.loc[fb["feedback_id"].isna(), "feedback_id"] = "row:" + fb.index.astype(str)
    return fb.drop(columns="_source", errors="ignore")

