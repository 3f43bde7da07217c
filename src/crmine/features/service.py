"""Point-in-time service signals per customer: complaints, contacts, sentiment, last NPS.

Only events strictly before ``as_of`` are read. Unhappy customers complain, call more and score
lower before they leave, so these columns give the purchase and churn models a view the orders
cannot. Inputs are pandas frames (the per-customer aggregation is small and set-based);
every column is documented in :data:`SERVICE_FEATURES`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING

import numpy as np

from crmine.models.voice import normalised_score

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_COMPLAINT_TOPICS = ("complaint", "refund", "投诉", "退款")
DAY = np.timedelta64(86_400, "s")

SERVICE_FEATURES: dict[str, str] = {
    "contacts_total": "service interactions before as_of",
    "contacts_30d": "service interactions in the 30 days before as_of",
    "contacts_90d": "service interactions in the 90 days before as_of",
    "days_since_last_contact": "days from the last interaction to as_of (NaN: never)",
    "unresolved_tickets": "interactions marked not resolved",
    "complaints_total": "negative feedback plus interactions on a complaint topic",
    "complaints_90d": "the same, in the 90 days before as_of",
    "feedback_count": "feedback answers before as_of",
    "mean_score_01": "mean feedback score mapped onto 0-1 by its scale (NaN: no scored answer)",
    "sentiment_mean": "mean sentiment of the customer's feedback texts, -1..1",
    "sentiment_trend": "mean sentiment in the last 90 days minus before (NaN: not both)",
    "last_nps_score": "the latest NPS answer, 0-10",
    "days_since_last_nps": "days from the latest NPS answer to as_of",
}
COUNT_FEATURES = ("contacts_total", "contacts_30d", "contacts_90d", "unresolved_tickets",
                  "complaints_total", "complaints_90d", "feedback_count")  # fmt: skip


def _before(frame: pd.DataFrame | None, as_of: datetime) -> pd.DataFrame | None:
    import pandas as pd

    if frame is None or len(frame) == 0 or "customer_id" not in frame:
        return None
    ts = pd.to_datetime(frame["ts"])
    keep = frame["customer_id"].notna() & ts.notna() & (ts < pd.Timestamp(as_of))
    out = frame.loc[keep].copy()
    out["ts"] = ts[keep]
    out["customer_id"] = out["customer_id"].astype(str)
    return out


def _days_before(ts: pd.Series, as_of: datetime) -> np.ndarray:
    return (np.datetime64(as_of, "s") - ts.to_numpy(dtype="datetime64[s]")) / DAY


def service_features(
    feedback: pd.DataFrame | None,
    interactions: pd.DataFrame | None,
    as_of: datetime | date,
    sentiment: pd.DataFrame | None = None,
    *,
    complaint_topics: Iterable[str] = DEFAULT_COMPLAINT_TOPICS,
    recent_days: int = 90,
) -> pd.DataFrame:
    """One row per customer with feedback or an interaction before ``as_of``.

    ``feedback``: customer_id, ts, kind, score (and feedback_id to join ``sentiment``, a frame
    of feedback_id, sentiment, sentiment_label). ``interactions``: customer_id, ts, and
    optionally topic, resolved. Negative feedback means a negative sentiment label, or, for an
    answer without text, a score in the bottom quarter of its scale (1-2 stars, 0-2 of 10).
    """
    import pandas as pd

    as_of = (
        datetime.combine(as_of, datetime.min.time()) if not isinstance(as_of, datetime) else as_of
    )
    parts: list[pd.DataFrame] = []
    fb = _before(feedback, as_of)
    it = _before(interactions, as_of)
    topics = {t.casefold() for t in complaint_topics}
    complaint_events = []
    if it is not None:
        age = _days_before(it["ts"], as_of)
        resolved = it["resolved"] if "resolved" in it else pd.Series(pd.NA, index=it.index)
        unresolved = (~resolved.astype("boolean")).fillna(False)
        complaint = (it["topic"].astype("string").str.strip().str.casefold().isin(topics)
                     .fillna(False) if "topic" in it else pd.Series(False, index=it.index))  # fmt: skip
        g = pd.DataFrame({
            "customer_id": it["customer_id"].to_numpy(),
            "contacts_total": 1,
            "contacts_30d": (age <= 30).astype(np.int64),
            "contacts_90d": (age <= 90).astype(np.int64),
            "unresolved_tickets": unresolved.to_numpy(dtype=np.int64),
            "age": age,
        }).groupby("customer_id")  # fmt: skip
        agg = g[["contacts_total", "contacts_30d", "contacts_90d", "unresolved_tickets"]].sum()
        agg["days_since_last_contact"] = g["age"].min()
        parts.append(agg)
        complaint_events.append(
            pd.DataFrame(
                {
                    "customer_id": it["customer_id"].to_numpy(),
                    "age": age,
                    "c": complaint.to_numpy(dtype=bool),
                }
            )
        )
    if fb is not None:
        if sentiment is not None and "feedback_id" in fb:
            sent = sentiment.drop_duplicates("feedback_id").set_index("feedback_id")
            fb = fb.drop(columns=["sentiment", "sentiment_label"], errors="ignore")
            fb = fb.join(sent[["sentiment", "sentiment_label"]], on="feedback_id")
        age = _days_before(fb["ts"], as_of)
        kind = fb["kind"].to_numpy(dtype=object) if "kind" in fb else np.full(len(fb), None)
        score = (
            fb["score"].to_numpy(dtype=np.float64, na_value=np.nan)
            if "score" in fb
            else np.full(len(fb), np.nan)
        )
        u = normalised_score(kind, score)
        sent = (
            fb["sentiment"].to_numpy(dtype=np.float64, na_value=np.nan)
            if "sentiment" in fb
            else np.full(len(fb), np.nan)
        )
        label = fb["sentiment_label"].astype("string") if "sentiment_label" in fb else None
        neg_text = (
            (label == "negative").fillna(False).to_numpy(dtype=bool)
            if label is not None
            else np.zeros(len(fb), bool)
        )
        negative = np.where(np.isnan(sent), u <= 0.25, neg_text)
        recent = age <= recent_days
        frame = pd.DataFrame({
            "customer_id": fb["customer_id"].to_numpy(),
            "feedback_count": 1,
            "u": u,
            "sentiment": sent,
            "s_recent": np.where(recent, sent, np.nan),
            "s_before": np.where(recent, np.nan, sent),
            "age": age,
            "nps": np.where(kind == "nps", score, np.nan),
            "nps_age": np.where((kind == "nps") & ~np.isnan(score), age, np.nan),
        })  # fmt: skip
        g = frame.groupby("customer_id")
        agg = pd.DataFrame({
            "feedback_count": g["feedback_count"].sum(),
            "mean_score_01": g["u"].mean(),
            "sentiment_mean": g["sentiment"].mean(),
            "sentiment_trend": g["s_recent"].mean() - g["s_before"].mean(),
        })  # fmt: skip
        latest = frame.dropna(subset=["nps_age"]).sort_values("nps_age", kind="stable")
        latest = latest.drop_duplicates("customer_id").set_index("customer_id")
        agg["last_nps_score"] = latest["nps"]
        agg["days_since_last_nps"] = latest["nps_age"]
        parts.append(agg)
        complaint_events.append(
            pd.DataFrame({"customer_id": fb["customer_id"].to_numpy(), "age": age, "c": negative})
        )
    if not parts:
        return pd.DataFrame(columns=["customer_id", *SERVICE_FEATURES])
    out = pd.concat(parts, axis=1)
    ev = pd.concat(complaint_events, ignore_index=True)
    ev = ev[ev["c"]]
    out["complaints_total"] = ev.groupby("customer_id").size()
    out["complaints_90d"] = ev[ev["age"] <= recent_days].groupby("customer_id").size()
    out = out.reindex(columns=list(SERVICE_FEATURES))
    for col in COUNT_FEATURES:
        out[col] = out[col].fillna(0).astype("int64")
    out.index.name = "customer_id"
    return out.reset_index()


def merge_service_features(customer_features: pd.DataFrame, service: pd.DataFrame) -> pd.DataFrame:
    """Left-join ``service`` onto the customer features; customers without events get zero counts."""
    base = customer_features.drop(columns=[c for c in SERVICE_FEATURES if c in customer_features])
    ids = base["customer_id"].astype(str)
    extra = service.set_index("customer_id").reindex(ids.to_numpy())
    for col in COUNT_FEATURES:
        extra[col] = extra[col].fillna(0).astype("int64")
    extra.index = base.index
    return base.join(extra)
