"""Service signals: hand-counted on a tiny history, nothing at or after as_of, merge keeps customers."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from crmine.features.service import SERVICE_FEATURES, merge_service_features, service_features

AS_OF = datetime(2024, 7, 1)


def _ts(*days_before: float) -> list[pd.Timestamp]:
    return [pd.Timestamp(AS_OF) - pd.Timedelta(days=d) for d in days_before]


@pytest.fixture
def history() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    interactions = pd.DataFrame({
        "customer_id": ["A", "A", "A", "B", "B", "C"],
        "ts": _ts(10, 60, 200, 5, -1, 0),  # B's last one is after as_of, C's is exactly at it
        "topic": ["complaint", "delivery", "refund", "billing", "complaint", "complaint"],
        "resolved": [False, True, None, False, False, False],
    })  # fmt: skip
    feedback = pd.DataFrame({
        "feedback_id": ["f1", "f2", "f3", "f4", "f5", "f6"],
        "customer_id": ["A", "A", "A", "B", None, "B"],
        "ts": _ts(20, 150, 300, 40, 3, -5),
        "kind": ["nps", "review", "nps", "rating", "nps", "nps"],
        "score": [3.0, 2.0, 9.0, 1.0, 0.0, 10.0],
    })  # fmt: skip
    sentiment = pd.DataFrame({
        "feedback_id": ["f1", "f2", "f3", "f4", "f5", "f6"],
        "sentiment": [-0.8, -0.4, 0.6, np.nan, 0.0, 0.9],  # f4 has no text
        "sentiment_label": ["negative", "negative", "positive", None, "neutral", "positive"],
    })  # fmt: skip
    return feedback, interactions, sentiment


def test_hand_counted_signals(history):
    feedback, interactions, sentiment = history
    out = service_features(feedback, interactions, AS_OF, sentiment).set_index("customer_id")
    assert set(out.index) == {"A", "B"}  # C's only contact is at as_of: not before it
    assert list(out.columns) == list(SERVICE_FEATURES)
    a, b = out.loc["A"], out.loc["B"]
    assert (a.contacts_total, a.contacts_30d, a.contacts_90d) == (3, 1, 2)
    assert a.days_since_last_contact == pytest.approx(10)
    assert a.unresolved_tickets == 1  # None is unknown, not unresolved
    # A: complaint + refund contacts, and two negative feedback texts
    assert a.complaints_total == 4
    assert a.complaints_90d == 2  # the day-10 complaint and the day-20 negative NPS text
    assert a.feedback_count == 3
    assert a.last_nps_score == 3.0 and a.days_since_last_nps == pytest.approx(20)
    assert a.sentiment_mean == pytest.approx((-0.8 - 0.4 + 0.6) / 3)
    assert a.sentiment_trend == pytest.approx(-0.8 - (-0.4 + 0.6) / 2)
    assert a.mean_score_01 == pytest.approx((0.3 + 0.25 + 0.9) / 3)
    # B: the after-as_of contact and NPS answer are not seen; 1 star without text is negative
    assert (b.contacts_total, b.unresolved_tickets, b.complaints_total) == (1, 1, 1)
    assert np.isnan(b.last_nps_score) and np.isnan(b.sentiment_mean)


def test_nothing_at_or_after_as_of_changes_the_features(history):
    feedback, interactions, sentiment = history
    before = service_features(feedback, interactions, AS_OF, sentiment)
    later_fb = pd.DataFrame({"feedback_id": ["z"], "customer_id": ["A"], "ts": _ts(-3),
                             "kind": ["nps"], "score": [0.0]})  # fmt: skip
    later_it = pd.DataFrame({"customer_id": ["A", "A"], "ts": _ts(0, -30),
                             "topic": ["complaint"] * 2, "resolved": [False] * 2})  # fmt: skip
    after = service_features(pd.concat([feedback, later_fb]), pd.concat([interactions, later_it]),
                             AS_OF, sentiment)  # fmt: skip
    pd.testing.assert_frame_equal(before, after)


def test_either_source_alone_and_none(history):
    feedback, interactions, _ = history
    only_it = service_features(None, interactions, AS_OF).set_index("customer_id")
    assert only_it.loc["A", "complaints_total"] == 2 and only_it.loc["A", "feedback_count"] == 0
    only_fb = service_features(feedback, None, AS_OF).set_index("customer_id")
    # without sentiment, scores in the bottom quarter count: A's 2 stars (not 3/10), B's 1 star
    assert only_fb.loc["A", "complaints_total"] == 1 and only_fb.loc["B", "complaints_total"] == 1
    assert only_fb.loc["A", "contacts_total"] == 0
    assert service_features(None, None, AS_OF).empty


def test_merge_keeps_every_customer_and_zero_fills_counts(history):
    feedback, interactions, sentiment = history
    feats = pd.DataFrame({"customer_id": ["A", "D"], "orders_count": [3, 1]})
    merged = merge_service_features(
        feats, service_features(feedback, interactions, AS_OF, sentiment)
    )
    assert merged["customer_id"].tolist() == ["A", "D"]
    assert merged["orders_count"].tolist() == [3, 1]
    d = merged.set_index("customer_id").loc["D"]
    assert d.contacts_total == 0 and d.complaints_total == 0 and np.isnan(d.days_since_last_contact)
    again = merge_service_features(
        merged, service_features(feedback, interactions, AS_OF, sentiment)
    )
    pd.testing.assert_frame_equal(again, merged)  # merging twice changes nothing


def test_many_cutoffs_at_once_match_one_cutoff_at_a_time(history):
    from crmine.features.service import service_frame

    feedback, interactions, sentiment = history
    cuts = [AS_OF - pd.Timedelta(days=d) for d in (0, 15, 100)]
    frame = service_frame(feedback, interactions, cuts, sentiment)
    assert list(frame.columns) == ["cutoff", "customer_id", *SERVICE_FEATURES]
    for cut in cuts:
        one = service_features(feedback, interactions, cut, sentiment)
        part = frame[frame["cutoff"] == cut].drop(columns="cutoff").reset_index(drop=True)
        pd.testing.assert_frame_equal(part, one)
    # an earlier cutoff sees fewer events: A's contacts 3 at as_of, 2 at -15 days, 1 at -100
    a = frame[frame["customer_id"] == "A"].set_index("cutoff")["contacts_total"]
    assert a.loc[cuts].tolist() == [3, 2, 1]


def test_events_read_from_the_warehouse_stop_before_as_of(history, tmp_path):
    from crmine.engine.duck import DuckDBEngine
    from crmine.features.service import read_service_events

    feedback, interactions, sentiment = history
    con = DuckDBEngine.memory()
    con.write("feedback", feedback)
    con.write("interactions", interactions)
    backend = con.ibis()
    scored = sentiment.assign(kind=["nps", "review", "nps", "rating", "nps", "nps"])
    events = read_service_events(backend, AS_OF, {"feedback", "interactions"}, scored)
    assert (events.feedback["ts"] < AS_OF).all() and (events.interactions["ts"] < AS_OF).all()
    assert events.feedback["customer_id"].notna().all()
    direct = service_features(feedback, interactions, AS_OF, sentiment)
    pd.testing.assert_frame_equal(events.at([AS_OF]).drop(columns="cutoff"), direct)
