"""The issue's walk-through: two runs on changing data, rules on scores and on migrations."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from crmine.act import deliver
from crmine.act.alerts import deliver_alerts
from crmine.demo import generate
from crmine.demo._write import write_files
from crmine.engine import Workspace
from crmine.errors import ConfigError
from crmine.pipeline.ingest_all import ingest_sources
from crmine.pipeline.run import run, steps_named
from crmine.pipeline.snapshots import SnapshotStore
from tests.act.test_alerts import Receiver

pytestmark = pytest.mark.slow  # ingest and two runs of a small demo workspace


def test_migrations_are_published_and_alerted_exactly_once(tmp_path, monkeypatch):
    monkeypatch.setattr(deliver, "BACKOFF_S", 0.01)
    data = generate(300, seed=5)
    ws = Workspace.init(tmp_path / "ws")
    ingest_sources(ws, sorted(write_files(data, tmp_path / "sources").items()))
    steps = steps_named("customer features", "rfm", "clusters", "segment migrations")
    with Receiver() as rx:
        with ws.config_path.open("a", encoding="utf-8") as f:
            f.write(f"""
[[alerts.rules]]
name = "champions_slipping"
table = "segment_migrations"
when = "kind = 'rfm_segment' AND from_segment = 'Champions' AND to_segment <> 'Champions'"
notify = ["hook"]

[alerts.channels.hook]
kind = "webhook"
url = "{rx.url}"
retries = 0
""")
        ws = Workspace.open(ws.root)
        with ws.connect(read_only=True) as con:
            last = con.scalar("SELECT max(order_ts) FROM orders").date()
        first = run(ws, as_of=last - timedelta(days=120), steps=steps)
        assert {s.name: s.status for s in first.steps}["segment migrations"] == "skipped"
        report = deliver_alerts(ws)
        assert report.rules[0].skipped and not rx.requests  # no migrations on a first run

        second = run(ws, as_of=last + timedelta(days=1), steps=steps)
        snap = SnapshotStore(ws.snapshots_dir).require_current()
        moves = snap.read("segment_migrations")
        assert set(moves["previous_run_id"]) == {first.run_id}
        assert set(moves["run_id"]) == {second.run_id}
        before = SnapshotStore(ws.snapshots_dir).all()[0].read("customer_scores")
        now = snap.read("customer_scores")
        pair = before.merge(now, on="customer_id", suffixes=("_0", "_1"))
        changed = pair[pair["rfm_segment_0"] != pair["rfm_segment_1"]]
        rfm = moves[moves["kind"] == "rfm_segment"]
        assert set(rfm["customer_id"]) == set(changed["customer_id"]) and len(rfm) > 0
        slipping = set(changed.loc[changed["rfm_segment_0"] == "Champions", "customer_id"])
        assert slipping, "the demo data should move some Champions in 120 days"

        assert deliver_alerts(ws).rules[0].fired == len(slipping)
        assert deliver_alerts(ws).rules[0].fired == 0  # exactly once
    sent = [r["customer_id"] for _, body in rx.requests for r in json.loads(body)["rows"]]
    assert sorted(sent) == sorted(slipping)

    from crmine.report.workspace import write_workspace_report

    html = write_workspace_report(ws, tmp_path / "r.html").read_text("utf-8")
    assert "Segment moves since the last run" in html and " became " in html

    text = ws.config_path.read_text("utf-8").replace('"segment_migrations"', '"no_such_table"')
    ws.config_path.write_text(text, "utf-8")
    with pytest.raises(ConfigError, match="champions_slipping.*no published table 'no_such_table'"):
        deliver_alerts(Workspace.open(ws.root))


def test_a_later_run_judges_the_earlier_runs_predictions(tmp_path):
    data = generate(400, seed=6)
    ws = Workspace.init(tmp_path / "ws")
    ingest_sources(ws, sorted(write_files(data, tmp_path / "sources").items()))
    steps = steps_named("customer features", "rfm", "purchase and value models", "monitoring")
    with ws.connect(read_only=True) as con:
        last = con.scalar("SELECT max(order_ts) FROM orders").date()
    first = run(ws, as_of=last - timedelta(days=100), horizon_days=90, steps=steps)
    assert {s.name: s.status for s in first.steps}["monitoring"] == "skipped"
    second = run(ws, as_of=last + timedelta(days=1), horizon_days=90, steps=steps)
    assert {s.name: s.status for s in second.steps}["monitoring"] == "done"
    monitoring = SnapshotStore(ws.snapshots_dir).require_current().read("monitoring")
    realised = monitoring[monitoring["metric"] == "realised_auc"].iloc[0]
    assert realised["evaluated_run_id"] == first.run_id and realised["run_id"] == second.run_id
    assert 0.5 < realised["value"] <= 1.0  # the demo's buyers are predictable
    assert realised["reference"] == pytest.approx(realised["reference"])  # validation promised
    assert realised["status"] in ("ok", "decay")
    psi = monitoring[monitoring["metric"] == "psi"]
    assert {"recency_days", "p_purchase"} <= set(psi["subject"])
    assert set(psi["status"]) <= {"ok", "drift"}

    from crmine.report.workspace import write_workspace_report

    html = write_workspace_report(ws, tmp_path / "r.html").read_text("utf-8")
    assert "Monitoring: drift and realised performance" in html
    assert f"{realised['value']:.3f}" in html and "realised AUC" in html
