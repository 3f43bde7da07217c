"""run: a snapshot per run, published atomically; a failed run leaves the previous intact."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from crmine.engine import Workspace
from crmine.errors import WorkspaceError
from crmine.pipeline.ingest import ingest
from crmine.pipeline.run import StepFailed, default_steps, run, steps_named
from crmine.pipeline.snapshots import SnapshotStore
from crmine.pipeline.step import Step
from tests.pipeline.conftest import ORDERS_CSV, write

BASE = steps_named("customer features", "rfm")


@pytest.fixture
def loaded(ws: Workspace, tmp_path: Path) -> Workspace:
    ingest(ws, "orders", write(tmp_path / "orders.csv", ORDERS_CSV))
    return ws


def test_run_publishes_customer_scores(loaded: Workspace):
    result = run(loaded, steps=BASE)
    assert result.as_of == date(2024, 1, 11)  # the day after the last order
    snap = SnapshotStore(loaded.snapshots_dir).require_current()
    scores = snap.read("customer_scores").set_index("customer_id")
    assert set(scores.index) == {"17850", "12000"}
    # 17850: one purchase order (1001) of 7 + 1234.50 + … minus the return of 3.50
    assert scores.loc["17850", "orders_count"] == 1
    assert scores.loc["17850", "revenue_total"] == pytest.approx(7.0 + 1234.5 - 3.5)
    assert scores.loc["12000", "revenue_total"] == pytest.approx(3.5)
    assert set(scores.columns) >= {"r_score", "f_score", "m_score", "rfm_segment", "as_of"}
    assert "p_purchase" not in scores.columns  # no placeholders for models that did not run
    models = snap.read("models")
    assert models["name"].tolist() == ["rfm"]  # only the steps that ran
    assert snap.meta["as_of"] == "2024-01-11"


def test_failed_run_keeps_previous_snapshot(loaded: Workspace):
    first = run(loaded)

    def boom(ctx):
        raise RuntimeError("model failed")

    steps = [*default_steps(), Step("broken", boom, needs=(("orders",),))]
    with pytest.raises(StepFailed, match="RuntimeError: model failed") as failed:
        run(loaded, steps=steps)
    store = SnapshotStore(loaded.snapshots_dir)
    assert store.require_current().run_id == first.run_id
    assert [s.run_id for s in store.all()] == [first.run_id]
    assert not [p for p in loaded.snapshots_dir.iterdir() if p.name.startswith(".tmp")]
    assert "boom" in failed.value.details  # the traceback, for crmine-error.log


def test_as_of_excludes_later_orders(loaded: Workspace):
    run(loaded, as_of=date(2024, 1, 8), steps=BASE)
    scores = SnapshotStore(loaded.snapshots_dir).require_current().read("customer_scores")
    row = scores.set_index("customer_id").loc["17850"]
    assert row["revenue_total"] == pytest.approx(7.0 + 1234.5)  # the return came later


def test_run_with_only_customers_says_what_it_skipped(ws: Workspace, tmp_path: Path):
    ingest(ws, "customers", write(tmp_path / "c.csv", "customer_id,city\nA,Paris\nB,Rome\n"))
    result = run(ws)
    by_name = {s.name: s for s in result.steps}
    assert by_name["rfm"].status == "skipped"
    scores = SnapshotStore(ws.snapshots_dir).require_current().read("customer_scores")
    assert sorted(scores["customer_id"]) == ["A", "B"]
    assert not {"p_alive", "p_purchase", "clv", "r_score"} & set(scores.columns)


def test_customers_only_are_clustered_on_what_is_on_file(ws: Workspace, tmp_path: Path):
    rows = [f"C{i},{'monthly' if i % 3 else 'yearly'},{5 + (i % 3) * 20 + i % 4},{30 + i % 5}"
            for i in range(90)]  # fmt: skip
    text = "customer_id,plan,tenure,monthly_fee\n" + "\n".join(rows) + "\n"
    ingest(ws, "customers", write(tmp_path / "subs.csv", text))
    result = run(ws)
    assert {s.name: s for s in result.steps}["clusters"].status == "done"
    snap = SnapshotStore(ws.snapshots_dir).require_current()
    scores = snap.read("customer_scores")
    assert scores["cluster"].notna().all() and scores["cluster_label"].notna().all()
    assert len(snap.read("cluster_profiles")) >= 2


def test_run_on_empty_workspace_is_a_clear_error(ws: Workspace):
    with pytest.raises(WorkspaceError, match="no data"):
        run(ws)


def test_snapshot_reads_back_as_pandas(loaded: Workspace):
    run(loaded)
    snap = SnapshotStore(loaded.snapshots_dir).require_current()
    assert isinstance(snap.read("customer_features"), pd.DataFrame)


def test_customer_features_have_a_fixed_row_order(loaded: Workspace):
    run(loaded, steps=BASE)
    feats = SnapshotStore(loaded.snapshots_dir).require_current().read("customer_features")
    assert feats["customer_id"].is_monotonic_increasing
