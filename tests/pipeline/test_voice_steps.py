"""Voice steps in ``crmine run``: a feedback-only workspace, and the synthetic CRM against its truth."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import crmine.models.text as text_models
from crmine.demo import generate, write_files
from crmine.engine import Workspace
from crmine.features.service import SERVICE_FEATURES
from crmine.models.voice import nps
from crmine.pipeline.ingest import ingest
from crmine.pipeline.ingest_all import ingest_sources
from crmine.pipeline.run import run, steps_named
from crmine.pipeline.snapshots import SnapshotStore
from tests.conftest import configure

HAS_ZH = (resources.files("crmine.models.text") / "assets" / "zh_sentiment.json").is_file()


class _Zero:
    def score(self, texts: list[str]) -> np.ndarray:
        return np.zeros(len(texts))


def _model():
    """The shipped models; English alone (Chinese with no opinion) until its asset is built."""
    if HAS_ZH:
        return text_models.load_default()
    from crmine.models.text._en import LexiconScorer

    assets = resources.files("crmine.models.text") / "assets"
    lexicon = dict(
        (w, float(v))
        for w, v in (
            line.split("\t") for line in (assets / "en_lexicon.tsv").read_text().splitlines()
        )
    )
    return text_models.SentimentModel({"en": LexiconScorer(lexicon), "zh": _Zero()})


@pytest.fixture(scope="module")
def patched():
    mp = pytest.MonkeyPatch()
    model = _model()
    mp.setattr(text_models, "load_default", lambda *a, **k: model, raising=False)
    yield
    mp.undo()


def _workspace(root: Path) -> Workspace:
    """A workspace with fewer adaptation folds (fewer fits: the tests stay quick)."""
    return configure(Workspace.init(root), "feedback", adapt_folds=3)


def _steps():
    """Customer features and RFM, then the voice steps: independent of the other models."""
    return steps_named("customer features", "rfm", "feedback sentiment", "topics",
                       "nps and drivers", "service signals")  # fmt: skip


REVIEWS = [
    (5, "Love it, works great and the sound is excellent"),
    (4, "Good speaker, easy to set up"),
    (1, "Stopped working after a week, terrible, returning it"),
    (2, "Disappointed, the sound is poor and it keeps disconnecting"),
    (3, "It is ok"),
    (5, " "),
]


@pytest.fixture(scope="module")
def feedback_only(patched, tmp_path_factory) -> Workspace:
    """Anonymous star reviews without a kind column (like the Alexa reviews)."""
    rng = np.random.default_rng(0)
    n = 240
    pick = rng.integers(0, len(REVIEWS), n)
    frame = pd.DataFrame({
        "rating": [REVIEWS[i][0] for i in pick],
        "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 120, n), unit="D"),
        "variation": rng.choice(["Black", "White"], n),
        "review": [f"{REVIEWS[i][1]} #{j}" if REVIEWS[i][1].strip() else " "
                   for j, i in enumerate(pick)],
    })  # fmt: skip
    tmp = tmp_path_factory.mktemp("fb")
    frame.to_csv(tmp / "reviews.csv", index=False)
    ws = _workspace(tmp / "ws")
    ingest(ws, "feedback", tmp / "reviews.csv")
    run(ws)  # the default steps, as `crmine run` does
    return ws


def test_feedback_only_workspace_runs_sentiment_topics_and_scores(feedback_only):
    snap = SnapshotStore(feedback_only.snapshots_dir).require_current()
    steps = {s["name"]: s for s in snap.meta["steps"]}
    assert steps["feedback sentiment"]["status"] == "done"
    assert steps["service signals"]["status"] == "skipped"
    scores = snap.read("feedback_scores")
    with feedback_only.connect(read_only=True) as con:
        n = con.execute("SELECT count(*) FROM feedback").fetchone()[0]
    assert len(scores) == n and scores["feedback_id"].is_unique
    assert set(scores.columns) >= {"feedback_id", "customer_id", "ts", "language", "sentiment",
                                   "sentiment_label", "topics"}  # fmt: skip
    assert scores["customer_id"].isna().all()
    # a 1-5 score with text and no kind column is a review; blank texts have no sentiment
    assert set(scores["kind"]) <= {"review", "rating"}
    assert (scores.loc[scores["kind"] == "review", "language"] == "en").all()
    blank = scores["language"] == "unknown"
    assert blank.any() and scores.loc[blank, "sentiment"].isna().all()
    s = scores.loc[~blank, "sentiment"]
    assert s.between(-1, 1).all()
    assert set(scores.loc[~blank, "sentiment_label"]) <= {"negative", "neutral", "positive"}
    low = scores.loc[~blank & (scores["score"] <= 2), "sentiment"].mean()
    high = scores.loc[~blank & (scores["score"] >= 4), "sentiment"].mean()
    assert low < 0 < high


def test_feedback_only_summary_and_adaptation_record(feedback_only):
    snap = SnapshotStore(feedback_only.snapshots_dir).require_current()
    summary = snap.read("voice_summary")
    overall = summary[(summary["dimension"] == "all") & (summary["metric"] == "csat")]
    scores = snap.read("feedback_scores")
    assert overall["score"].item() == pytest.approx(100 * (scores["score"] >= 4).mean())
    assert "variation" in set(summary["dimension"]) and "month" in set(summary["dimension"])
    model = snap.read("models").set_index("name").loc["feedback_sentiment"]
    metrics = json.loads(model["metrics"])
    assert bool(metrics["adapted"])
    assert 0 <= metrics["balanced_accuracy_label_before"] <= 1
    assert 0 <= metrics["balanced_accuracy_label_after"] <= 1


def test_feedback_only_topics_tables(feedback_only):
    snap = SnapshotStore(feedback_only.snapshots_dir).require_current()
    topics = snap.read("feedback_topics")
    assert len(topics) > 0 and set(topics["language"]) == {"en"}
    assert {"topic", "kind", "top_terms", "n", "share", "mean_sentiment", "share_negative"} <= set(
        topics.columns
    )
    scores = snap.read("feedback_scores")
    counted = pd.Series([t for ts in scores["topics"] for t in ts]).value_counts()
    assert (topics.set_index("topic")["n"] == counted.reindex(topics["topic"]).fillna(0)).all()
    trend = snap.read("feedback_topic_trend")
    assert trend.groupby("topic")["n"].sum().reindex(topics["topic"]).fillna(0).tolist() == (
        topics["n"].tolist()
    )
    complaints = topics[topics["kind"] == "complaint"]
    if len(complaints):  # complaint topics come from negative texts: mostly negative
        assert (complaints["share_negative"] > 0.5).all()


@pytest.fixture(scope="module")
def demo(patched, tmp_path_factory):
    data = generate(300, seed=4)
    tmp = tmp_path_factory.mktemp("demo")
    paths = write_files(data, tmp / "sources")
    ws = _workspace(tmp / "ws")
    ingest_sources(ws, sorted(paths.items()))
    result = run(ws, steps=_steps())
    return data, ws, result


def test_demo_service_signals_reach_customer_features(demo):
    _, ws, result = demo
    steps = {s.name: s for s in result.steps}
    assert steps["service signals"].status == "done", steps["service signals"].detail
    snap = SnapshotStore(ws.snapshots_dir).require_current()
    feats = snap.read("customer_features")
    assert set(SERVICE_FEATURES) <= set(feats.columns)
    assert feats["contacts_total"].sum() > 0 and feats["complaints_total"].sum() > 0
    assert len(feats) == len(feats["customer_id"].unique())
    # point in time: nothing counted at or after as_of
    with ws.connect(read_only=True) as con:
        before = con.execute(
            "SELECT count(*) FROM interactions WHERE customer_id IN (SELECT unnest($ids)) "
            "AND ts < CAST($as_of AS TIMESTAMP)",
            {"ids": feats["customer_id"].astype(str).tolist(), "as_of": result.as_of},
        ).fetchone()[0]
    assert feats["contacts_total"].sum() == before


def test_demo_nps_by_segment_and_month(demo):
    _, ws, _ = demo
    snap = SnapshotStore(ws.snapshots_dir).require_current()
    summary = snap.read("voice_summary")
    scores = snap.read("feedback_scores")
    overall = summary.query("dimension == 'all' and metric == 'nps'")
    is_nps = scores["kind"] == "nps"
    assert overall["n"].item() == is_nps.sum()
    assert overall["score"].item() == pytest.approx(nps(scores.loc[is_nps, "score"].to_numpy()))
    assert {"rfm_segment", "month", "region"} <= set(summary["dimension"])
    drivers = snap.read("voice_drivers")
    assert {"driver", "effect", "n", "sentence"} <= set(drivers.columns)
    if len(drivers):
        neg = drivers[drivers["driver"].str.startswith("negative text")]
        assert (neg["effect"] < 0).all()  # a negative text goes with a lower score


@pytest.mark.skipif(not HAS_ZH, reason="the shipped Chinese sentiment model is not built yet")
def test_demo_sentiment_agrees_with_the_true_labels(demo):
    data, ws, _ = demo
    snap = SnapshotStore(ws.snapshots_dir).require_current()
    scores = snap.read("feedback_scores").merge(
        data.truth.feedback[["feedback_id", "label"]], on="feedback_id")  # fmt: skip
    scored = scores[scores["sentiment_label"].notna() & (scores["label"] != "neutral")]
    assert len(scored) > 50
    agree = (scored["sentiment_label"] == scored["label"]).mean()
    assert agree > 0.8


def test_no_text_no_interactions_skips_cleanly(patched, tmp_path: Path):
    csv = tmp_path / "nps.csv"
    rows = zip("ABCDEF", [9, 3, 10, 10, 6, 8], strict=True)
    csv.write_text(
        "customer_id,date,score\n"
        + "".join(f"{c},2024-01-0{i + 1},{v}\n" for i, (c, v) in enumerate(rows))
    )
    ws = _workspace(tmp_path / "ws")
    ingest(ws, "feedback", csv)
    run(ws, steps=_steps())
    snap = SnapshotStore(ws.snapshots_dir).require_current()
    scores = snap.read("feedback_scores")
    assert scores["kind"].tolist() == ["nps"] * 6  # 0-10 integers: inferred as NPS
    assert scores["sentiment"].isna().all()
    summary = snap.read("voice_summary").query("dimension == 'all' and metric == 'nps'")
    assert summary["score"].item() == pytest.approx(100 * (3 / 6 - 2 / 6))


@pytest.mark.realdata
@pytest.mark.slow
def test_alexa_reviews_adaptation_helps_on_held_out_folds(patched, datasets_dir, tmp_path: Path):
    ws = _workspace(tmp_path / "ws")
    ingest(ws, "feedback", datasets_dir / "amazon_alexa_reviews" / "amazon_alexa_reviews.parquet")
    run(ws, steps=steps_named("feedback sentiment"))
    snap = SnapshotStore(ws.snapshots_dir).require_current()
    scores = snap.read("feedback_scores")
    assert len(scores) == 2435  # ingest drops the 715 exact duplicates
    assert scores["customer_id"].isna().all()
    metrics = json.loads(snap.read("models").set_index("name").loc["feedback_sentiment", "metrics"])
    assert metrics["heldout_texts"] > 2000
    assert metrics["balanced_accuracy_label_before"] > 0.8
    assert metrics["balanced_accuracy_label_after"] > metrics["balanced_accuracy_label_before"]


def test_demo_interaction_texts_are_scored(demo):
    _, ws, result = demo
    snap = SnapshotStore(ws.snapshots_dir).require_current()
    it = snap.read("interaction_scores")
    with ws.connect(read_only=True) as con:
        n = con.execute(
            "SELECT count(*) FROM interactions WHERE text IS NOT NULL "
            "AND ts < CAST($as_of AS TIMESTAMP)",
            {"as_of": result.as_of},
        ).fetchone()[0]
    assert len(it) == n
    assert {"customer_id", "ts", "topic", "language", "sentiment", "sentiment_label"} <= set(
        it.columns
    )
    by_topic = it.groupby("topic")["sentiment"].mean()
    assert by_topic["complaint"] < by_topic["product"]


def test_read_feedback_selects_columns_whose_names_hold_quotes():
    """Extra feedback columns are selected by name; a quote in one must not break the SQL."""
    from crmine.engine.duck import DuckDBEngine
    from crmine.features.feedback import read_feedback

    con = DuckDBEngine.memory()
    con.execute(
        'CREATE TABLE feedback (feedback_id VARCHAR, customer_id VARCHAR, ts TIMESTAMP, '
        'kind VARCHAR, score DOUBLE, text VARCHAR, "shop ""A""" VARCHAR, _source VARCHAR)'
    )
    con.execute("INSERT INTO feedback VALUES ('f1', 'c1', '2024-01-01', 'nps', 9, 'ok', 'x', 's')")
    fb = read_feedback(con.ibis().table("feedback"))
    assert fb['shop "A"'].tolist() == ["x"]
