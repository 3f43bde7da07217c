"""`crmine demo` end to end: every step of the run on the synthetic CRM, then the report."""

from __future__ import annotations

import pytest

from crmine.cli.demo import run_demo
from crmine.pipeline.snapshots import SnapshotStore

pytestmark = pytest.mark.slow


def test_demo_runs_every_step_and_writes_the_report(tmp_path):
    report = run_demo(tmp_path / "demo", n_customers=300, seed=5)
    html = report.read_text("utf-8")
    assert "<html" in html[:300].lower()
    for chart in ("cluster_sizes", "cluster_projection", "cluster_profile"):  # report ⇄ run tables
        assert f'id="chart-{chart}"' in html, chart
    snap = SnapshotStore(tmp_path / "demo" / "snapshots").require_current()
    steps = {s["name"]: s["status"] for s in snap.meta["steps"]}
    assert all(status in ("done", "skipped") for status in steps.values())
    for name in ("rfm", "purchase and value models", "recommendations", "feedback sentiment"):
        assert steps[name] == "done", name
    scores = snap.read("customer_scores")
    assert {"p_purchase", "clv", "churn_risk", "rfm_segment", "cluster_label"} <= set(scores.columns)
    assert {"recommendations", "association_rules", "feedback_scores", "models"} <= set(snap.tables())
