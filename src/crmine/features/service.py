"""Point-in-time service signals per customer: complaints, contacts, sentiment, last NPS.

Only events strictly before each cutoff are read. Unhappy customers complain, call more and
score lower before they leave, so these columns give the purchase and churn models a view
the orders cannot. One implementation serves every use: :func:`service_frame` computes the
signals at several cutoffs at once (the purchase and churn models' training rows),
:func:`service_features` at one date (the published ``customer_features``). Inputs are
pandas frames; the work is vectorised (one group-by over the events of every cutoff). Every
column is documented in :data:`SERVICE_FEATURES`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from crmine.schema.features import SERVICE_FEATURES

if TYPE_CHECKING:
    import ibis
    import pandas as pd

__all__ = [
    "COUNT_FEATURES",
    "DEFAULT_COMPLAINT_TOPICS",
    "SERVICE_FEATURES",
    "ServiceEvents",
    "merge_service_features",
    "read_service_events",
    "service_features",
    "service_frame",
]

DEFAULT_COMPLAINT_TOPICS = ("complaint", "refund", "投诉", "退款")
DAY = np.timedelta64(86_400, "s")
KEYS = ["cutoff", "customer_id"]
COUNT_FEATURES = ("contacts_total", "contacts_30d", "contacts_90d", "unresolved_tickets",
                  "complaints_total", "complaints_90d", "feedback_count")  # fmt: skip


def _stamp(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return datetime(value.year, value.month, value.day)


def _at_cutoffs(frame: pd.DataFrame | None, cutoffs: list[datetime]) -> pd.DataFrame | None:
    """The events with a customer, once per cutoff they precede, with ``cutoff`` and ``age``."""
    import pandas as pd

    if frame is None or len(frame) == 0 or "customer_id" not in frame:
        return None
    ts = pd.to_datetime(frame["ts"])
    keep = (frame["customer_id"].notna() & ts.notna()).to_numpy()
    base = frame.loc[keep].copy()
    base["ts"] = ts[keep].astype("datetime64[ns]")
    base["customer_id"] = base["customer_id"].astype(str)
    stamps = base["ts"].to_numpy()
    # one boolean filter per cutoff (a handful), no loop over events
    parts = [base.loc[stamps < np.datetime64(cut)].assign(cutoff=pd.Timestamp(cut))
             for cut in cutoffs]  # fmt: skip
    out = pd.concat(parts, ignore_index=True)
    if out.empty:
        return None
    out["cutoff"] = out["cutoff"].astype("datetime64[ns]")
    out["age"] = (out["cutoff"] - out["ts"]).to_numpy() / DAY
    return out


def service_frame(
    feedback: pd.DataFrame | None,
    interactions: pd.DataFrame | None,
    cutoffs: Iterable[datetime | date],
    sentiment: pd.DataFrame | None = None,
    *,
    complaint_topics: Iterable[str] = DEFAULT_COMPLAINT_TOPICS,
    recent_days: int = 90,
) -> pd.DataFrame:
    """One row per (cutoff, customer with feedback or an interaction before that cutoff).

    ``feedback``: customer_id, ts, kind, score (and feedback_id to join ``sentiment``, a frame
    of feedback_id, sentiment, sentiment_label). ``interactions``: customer_id, ts, and
    optionally topic, resolved. Negative feedback means a negative sentiment label, or, for an
    answer without text, a score in the bottom quarter of its scale (1-2 stars, 0-2 of 10).
    Columns: cutoff, customer_id and :data:`SERVICE_FEATURES`.
    """
    import pandas as pd

    from crmine.quality.feedback import normalised_score

    cuts = sorted({_stamp(c) for c in cutoffs})
    parts: list[pd.DataFrame] = []
    complaint_events: list[pd.DataFrame] = []
    topics = {t.casefold() for t in complaint_topics}
    it = _at_cutoffs(interactions, cuts)
    if it is not None:
        age = it["age"].to_numpy()
        resolved = it["resolved"] if "resolved" in it else pd.Series(pd.NA, index=it.index)
        unresolved = (~resolved.astype("boolean")).fillna(False)
        complaint = (it["topic"].astype("string").str.strip().str.casefold().isin(topics)
                     .fillna(False) if "topic" in it else pd.Series(False, index=it.index))  # fmt: skip
        events = pd.DataFrame({
            "cutoff": it["cutoff"].to_numpy(),
            "customer_id": it["customer_id"].to_numpy(),
            "contacts_total": 1,
            "contacts_30d": (age <= 30).astype(np.int64),
            "contacts_90d": (age <= 90).astype(np.int64),
            "unresolved_tickets": unresolved.to_numpy(dtype=np.int64),
            "age": age,
        })  # fmt: skip
        g = events.groupby(KEYS, sort=False)
        agg = g[["contacts_total", "contacts_30d", "contacts_90d", "unresolved_tickets"]].sum()
        agg["days_since_last_contact"] = g["age"].min()
        parts.append(agg)
        complaint_events.append(events[[*KEYS, "age"]].assign(c=complaint.to_numpy(dtype=bool)))
    if feedback is not None and sentiment is not None and "feedback_id" in feedback:
        sent = sentiment.drop_duplicates("feedback_id").set_index("feedback_id")
        feedback = feedback.drop(columns=["sentiment", "sentiment_label"], errors="ignore")
        feedback = feedback.join(sent[["sentiment", "sentiment_label"]], on="feedback_id")
    fb = _at_cutoffs(feedback, cuts)
    if fb is not None:
        age = fb["age"].to_numpy()
        kind = fb["kind"].to_numpy(dtype=object) if "kind" in fb else np.full(len(fb), None)
        score = (fb["score"].to_numpy(dtype=np.float64, na_value=np.nan) if "score" in fb
                 else np.full(len(fb), np.nan))  # fmt: skip
        u = normalised_score(kind, score)
        sent = (fb["sentiment"].to_numpy(dtype=np.float64, na_value=np.nan) if "sentiment" in fb
                else np.full(len(fb), np.nan))  # fmt: skip
        label = fb["sentiment_label"].astype("string") if "sentiment_label" in fb else None
        neg_text = (np.zeros(len(fb), bool) if label is None
                    else (label == "negative").fillna(False).to_numpy(dtype=bool))  # fmt: skip
        negative = np.where(np.isnan(sent), u <= 0.25, neg_text)
        recent = age <= recent_days
        is_nps = (kind == "nps") & ~np.isnan(score)
        frame = pd.DataFrame({
            "cutoff": fb["cutoff"].to_numpy(),
            "customer_id": fb["customer_id"].to_numpy(),
            "feedback_count": 1,
            "u": u,
            "sentiment": sent,
            "s_recent": np.where(recent, sent, np.nan),
            "s_before": np.where(recent, np.nan, sent),
            "nps": np.where(is_nps, score, np.nan),
            "nps_age": np.where(is_nps, age, np.nan),
        })  # fmt: skip
        g = frame.groupby(KEYS, sort=False)
        agg = pd.DataFrame({
            "feedback_count": g["feedback_count"].sum(),
            "mean_score_01": g["u"].mean(),
            "sentiment_mean": g["sentiment"].mean(),
            "sentiment_trend": g["s_recent"].mean() - g["s_before"].mean(),
        })  # fmt: skip
        latest = frame.dropna(subset=["nps_age"]).sort_values("nps_age", kind="stable")
        latest = latest.drop_duplicates(KEYS).set_index(KEYS)
        agg["last_nps_score"] = latest["nps"]
        agg["days_since_last_nps"] = latest["nps_age"]
        parts.append(agg)
        complaint_events.append(frame[KEYS].assign(age=age, c=negative))
    if not parts:
        return pd.DataFrame(columns=[*KEYS, *SERVICE_FEATURES])
    out = pd.concat(parts, axis=1)
    ev = pd.concat(complaint_events, ignore_index=True)
    ev = ev[ev["c"].to_numpy(dtype=bool)]
    out["complaints_total"] = ev.groupby(KEYS).size()
    out["complaints_90d"] = ev[ev["age"] <= recent_days].groupby(KEYS).size()
    out = out.reindex(columns=list(SERVICE_FEATURES))
    for col in COUNT_FEATURES:
        out[col] = out[col].fillna(0).astype("int64")
    out = out.reset_index().sort_values(KEYS, kind="stable", ignore_index=True)
    out["cutoff"] = out["cutoff"].astype("datetime64[ns]")
    return out


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

    :func:`service_frame` at the single cutoff ``as_of``, without the cutoff column.
    """
    frame = service_frame(feedback, interactions, [as_of], sentiment,
                          complaint_topics=complaint_topics, recent_days=recent_days)  # fmt: skip
    return frame.drop(columns="cutoff").reset_index(drop=True)


def merge_service_features(customer_features: pd.DataFrame, service: pd.DataFrame) -> pd.DataFrame:
    """Left-join ``service`` onto the customer features; customers without events get zero counts.

    With a ``cutoff`` column in both frames, rows are matched on (cutoff, customer_id).
    """
    keys = KEYS if "cutoff" in service and "cutoff" in customer_features else ["customer_id"]
    base = customer_features.drop(columns=[c for c in SERVICE_FEATURES if c in customer_features])
    index = [base[k].astype(str) if k == "customer_id" else base[k] for k in keys]
    service = service.assign(customer_id=service["customer_id"].astype(str))
    extra = service.set_index(keys)[list(SERVICE_FEATURES)]
    extra = extra.reindex(index[0].to_numpy() if len(keys) == 1 else
                          list(zip(*(i.to_numpy() for i in index), strict=True)))  # fmt: skip
    for col in COUNT_FEATURES:
        extra[col] = extra[col].fillna(0).astype("int64")
    extra.index = base.index
    return base.join(extra)


@dataclass(frozen=True)
class ServiceEvents:
    """Feedback and interactions (already truncated at the scoring date) and their settings.

    ``sentiment`` (feedback_id, sentiment, sentiment_label) is the text sentiment of the
    feedback, e.g. the run's ``feedback_scores``. :meth:`at` gives the signals at any cutoffs.
    """

    feedback: pd.DataFrame | None = None
    interactions: pd.DataFrame | None = None
    sentiment: pd.DataFrame | None = None
    complaint_topics: tuple[str, ...] = DEFAULT_COMPLAINT_TOPICS
    recent_days: int = 90

    @property
    def empty(self) -> bool:
        return all(f is None or len(f) == 0 for f in (self.feedback, self.interactions))

    def at(self, cutoffs: Sequence[datetime | date]) -> pd.DataFrame:
        """:func:`service_frame` of these events at ``cutoffs``."""
        return service_frame(self.feedback, self.interactions, cutoffs, self.sentiment,
                             complaint_topics=self.complaint_topics,
                             recent_days=self.recent_days)  # fmt: skip


def _has_keys(table: ibis.Table) -> bool:
    return {"customer_id", "ts"} <= set(table.columns)


def read_service_events(
    backend: ibis.BaseBackend,
    as_of: datetime | date,
    available: Iterable[str],
    scored: pd.DataFrame | None = None,
    **settings: Any,
) -> ServiceEvents:
    """Feedback and interactions with a customer, dated before ``as_of``, from the warehouse.

    ``scored``: the run's feedback_scores (feedback_id, kind, sentiment, sentiment_label);
    its kinds (inferred where the source had none) and sentiment replace the raw ones.
    ``settings``: complaint_topics, recent_days.
    """
    import ibis

    at = ibis.literal(_stamp(as_of))
    available = set(available)
    fb = it = None
    if "feedback" in available and _has_keys(backend.table("feedback")):
        table = backend.table("feedback")
        cols = [c for c in ("feedback_id", "customer_id", "ts", "kind", "score")
                if c in table.columns]  # fmt: skip
        fb = table.filter(table.customer_id.notnull(), table.ts < at).select(cols).to_pandas()
        if scored is not None and "feedback_id" in fb:
            fb = fb.drop(columns="kind", errors="ignore").merge(
                scored[["feedback_id", "kind"]].drop_duplicates("feedback_id"),
                on="feedback_id", how="left")  # fmt: skip
    if "interactions" in available and _has_keys(backend.table("interactions")):
        table = backend.table("interactions")
        cols = [c for c in ("customer_id", "ts", "topic", "resolved") if c in table.columns]
        it = table.filter(table.customer_id.notnull(), table.ts < at).select(cols).to_pandas()
    sentiment = None
    if scored is not None and {"sentiment", "sentiment_label"} <= set(scored.columns):
        sentiment = scored[["feedback_id", "sentiment", "sentiment_label"]]
    kwargs = {k: v for k, v in settings.items() if k in ("complaint_topics", "recent_days")}
    if "complaint_topics" in kwargs:
        kwargs["complaint_topics"] = tuple(kwargs["complaint_topics"])
    if "recent_days" in kwargs:
        kwargs["recent_days"] = int(kwargs["recent_days"])
    return ServiceEvents(fb, it, sentiment, **kwargs)
