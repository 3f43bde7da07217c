"""Champion and challenger: ``[models] promote = "if_better"`` keeps the previous run's
purchase model only when it ranks this run's validation window better, and only compares
when the previous model never saw that window's labels."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

import pytest

from crmine.demo import generate
from crmine.demo._write import write_files
from crmine.engine import Workspace
from crmine.models.promotion import challenge
from crmine.pipeline.ingest_all import ingest_sources
from crmine.pipeline.run import run, steps_named
from crmine.pipeline.snapshots import SnapshotStore
from tests.conftest import configure

pytestmark = pytest.mark.slow  # ingest and three runs of a small demo workspace

STEPS = ("customer features", "rfm", "purchase and value models")


@dataclass
class _Challenger:
    """Stands in for a retrained model whose validation AUC is known."""

    validation_auc: float


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("promotion")
    data = generate(400, seed=11)
    ws = Workspace.init(root / "ws")
    ingest_sources(ws, sorted(write_files(data, root / "sources").items()))
    configure(ws, "models", promote="if_better")
    ws = Workspace.open(ws.root)
    with ws.connect(read_only=True) as con:
        last = con.scalar("SELECT max(order_ts) FROM orders").date()
    first = run(ws, as_of=last - timedelta(days=150), horizon_days=60, steps=steps_named(*STEPS))
    second = run(ws, as_of=last + timedelta(days=1), horizon_days=60, steps=steps_named(*STEPS))
    third = run(ws, as_of=last + timedelta(days=1), horizon_days=60, steps=steps_named(*STEPS))
    return ws, first, second, third


def _promotion(ws, run_id: str) -> tuple[dict, str]:
    snap = next(s for s in SnapshotStore(ws.snapshots_dir).all() if s.run_id == run_id)
    models = snap.read("models").set_index("name")
    row = models.loc["purchase_propensity"]
    return json.loads(row["metrics"])["promotion"], row["training_window"]


def test_each_run_keeps_the_model_it_published(three_runs):
    ws, first, *_ = three_runs
    snap = next(s for s in SnapshotStore(ws.snapshots_dir).all() if s.run_id == first.run_id)
    model = snap.fitted("purchase_propensity")
    assert model is not None and model.labels_end_.date() <= first.as_of
    promo, _ = _promotion(ws, first.run_id)
    assert promo["decision"] == "retrained" and "no earlier model" in promo["reason"]


def test_a_champion_that_never_saw_the_window_is_compared_and_the_better_one_published(three_runs):
    ws, first, second, _ = three_runs
    promo, window = _promotion(ws, second.run_id)
    assert promo["champion_run"] == first.run_id
    old, new = promo["champion_validation_auc"], promo["challenger_validation_auc"]
    assert 0.5 < old < 1 and 0.5 < new < 1
    kept = old > new
    assert promo["decision"] == ("kept the previous model" if kept else "retrained")
    assert window.startswith(f"kept from run {first.run_id}") == kept


def test_a_champion_trained_on_the_windows_labels_is_not_compared(three_runs):
    ws, _, second, third = three_runs
    promo, window = _promotion(ws, third.run_id)
    assert promo["champion_run"] == second.run_id
    assert promo["decision"] == "retrained" and promo["reason"].startswith("not compared")
    assert promo["champion_validation_auc"] is None
    assert not window.startswith("kept from run")


def test_the_champion_stays_exactly_when_it_ranks_the_window_better(three_runs):
    ws, first, second, _ = three_runs
    store = SnapshotStore(ws.snapshots_dir)
    champion = next(s for s in store.all() if s.run_id == first.run_id).fitted(
        "purchase_propensity")  # fmt: skip
    from crmine.features.purchase import purchase_occasions
    from crmine.pipeline.forecast import (
        PredictSettings,
        PurchaseInputs,
        _truncated,
        as_datetime,
        purchase_training_frame,
    )

    as_of = as_datetime(second.as_of)
    cutoff = as_of - timedelta(days=60)
    with ws.connect(read_only=True) as con:
        backend = con.ibis()
        orders = _truncated(backend, "orders", "order_ts", as_of)
        inputs = PurchaseInputs(backend, orders, purchase_occasions(orders), {"orders"})
        frame = purchase_training_frame(inputs, [cutoff], 60, PredictSettings(), as_of)
    rows = frame.loc[frame["cutoff"] == cutoff]
    weak = challenge(champion, _Challenger(0.5), rows, cutoff, first.run_id)
    assert weak.kept_champion and weak.champion_auc > 0.5
    strong = challenge(champion, _Challenger(0.999), rows, cutoff, first.run_id)
    assert not strong.kept_champion and strong.champion_auc == weak.champion_auc
    early = challenge(champion, _Challenger(0.5), rows, cutoff - timedelta(days=200), "x")
    assert not early.kept_champion and early.reason.startswith("not compared")
