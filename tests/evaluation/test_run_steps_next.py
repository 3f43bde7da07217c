"""The recommendation, cluster and category steps inside ``crmine run`` on the demo CRM."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from crmine.demo import generate, write_files
from crmine.engine import Workspace
from crmine.pipeline.ingest_all import ingest_sources
from crmine.pipeline.run import run, steps_named
from crmine.pipeline.snapshots import SnapshotStore

pytestmark = pytest.mark.slow  # ingest + run of a demo workspace: ~30 s on a busy machine


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    data = generate(250, seed=4)
    tmp = tmp_path_factory.mktemp("next")
    ws = Workspace.init(tmp / "ws")
    ingest_sources(ws, sorted(write_files(data, tmp / "sources").items()))
    result = run(ws, steps=steps_named("customer features", "rfm", "recommendations", "clusters",
                                    "next categories"))  # features and RFM, then ours
    return result, SnapshotStore(ws.snapshots_dir).require_current(), data


def test_steps_ran(snapshot) -> None:
    result, _, _ = snapshot
    status = {s.name: (s.status, s.detail) for s in result.steps}
    for name in ("recommendations", "clusters", "next categories"):
        assert status[name][0] == "done", status[name]


def test_recommendations_table(snapshot) -> None:
    _, snap, data = snapshot
    recs = snap.read("recommendations")
    assert list(recs.columns) == ["customer_id", "rank", "product_id", "score", "source", "reason"]
    scores = snap.read("customer_scores")
    assert set(recs["customer_id"]) == set(scores["customer_id"])
    assert recs.groupby("customer_id")["rank"].max().le(10).all()
    assert not recs["product_id"].isin(data.truth.non_product_codes).any()
    models = snap.read("models").set_index("name")
    metrics = json.loads(models.loc["recommendations", "metrics"])
    assert 0.0 <= metrics["precision"] <= 1.0
    assert "validation" not in metrics or "not possible" not in metrics["validation"]


def test_clusters_on_scores(snapshot) -> None:
    _, snap, _ = snapshot
    scores = snap.read("customer_scores")
    buyers = scores["orders_count"].fillna(0) > 0
    assert scores.loc[buyers, "cluster"].notna().all()
    assert scores.loc[~buyers, "cluster"].isna().all()
    profiles = snap.read("cluster_profiles")
    assert profiles["size"].sum() == buyers.sum()
    assert set(scores.loc[buyers, "cluster_label"]) == set(profiles["label"])


def test_next_categories(snapshot) -> None:
    _, snap, data = snapshot
    table = snap.read("next_categories")
    assert list(table.columns) == ["customer_id", "rank", "category", "probability"]
    assert set(table["category"]) <= set(data.truth.categories["category"])
    assert table["probability"].between(0, 1).all()
    ranked = table.sort_values(["customer_id", "rank"])
    assert (ranked.groupby("customer_id")["probability"].diff().dropna() <= 0).all()
    assert isinstance(snap.read("models"), pd.DataFrame)
