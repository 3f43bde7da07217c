"""The main job on the real public data sets, with no configuration."""

from __future__ import annotations

import pytest

from crmine.engine import Workspace
from crmine.pipeline.ingest import ingest
from crmine.pipeline.run import run, steps_named
from crmine.pipeline.snapshots import SnapshotStore
from tests.conftest import dataset_file

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

BASE = steps_named("customer features", "rfm")


def test_online_retail(tmp_path):
    ws = Workspace.init(tmp_path / "ws")
    r = ingest(ws, "orders", dataset_file("online_retail"))
    assert (r.read, r.loaded, r.quarantined) == (541_909, 536_641, {"duplicate": 5_268})
    result = run(ws, steps=BASE)  # the models have their own real-data tests
    assert str(result.as_of) == "2011-12-10"
    scores = SnapshotStore(ws.snapshots_dir).require_current().read("customer_scores")
    assert len(scores) == 4_372
    assert scores["rfm_segment"].notna().sum() == 4_339  # the others only returned goods
    with ws.connect(read_only=True) as con:
        returns, guests, orders = con.execute(
            "SELECT count(*) FILTER (WHERE is_return), count(*) FILTER (WHERE customer_id IS NULL),"
            " count(DISTINCT order_id) FILTER (WHERE NOT is_return) FROM orders"
        ).fetchone()
    assert (returns, guests, orders) == (10_587, 135_037, 20_728)


def test_cdnow(tmp_path):
    ws = Workspace.init(tmp_path / "ws")
    r = ingest(ws, "orders", dataset_file("cdnow"))
    assert (r.read, r.loaded, r.quarantined) == (69_659, 69_404, {"duplicate": 255})
    with ws.connect(read_only=True) as con:
        ids = con.execute("SELECT count(DISTINCT customer_id), min(customer_id) FROM orders").fetchone()
    assert ids == (23_570, "00001")  # zero padding kept


def test_cdnow_p_purchase_never_loses_to_the_bgnbd_score_beside_it(tmp_path):
    """Calibration to 1997-09-30, 39-week holdout: too little history for the propensity
    model, so p_purchase is BTYD's; BG/NBD's expected purchases ranked better (0.763 against
    0.747), so on validation the data chose to rank by them."""
    from datetime import date

    from crmine.pipeline.evaluate import evaluate_workspace

    ws = Workspace.init(tmp_path / "ws")
    ingest(ws, "orders", dataset_file("cdnow"))
    result = evaluate_workspace(ws, date(1997, 10, 1), 273)
    auc = next(m for m in result["sections"]["purchase"]["metrics"] if m["metric"] == "auc")
    assert auc["model"] >= max(auc["baselines"].values()) - 1e-9, auc
    assert auc["model"] > auc["baselines"]["bgnbd"] + 0.01


def test_telco_customers(tmp_path):
    ws = Workspace.init(tmp_path / "ws")
    r = ingest(ws, "customers", dataset_file("telco_customer_churn"))
    assert (r.read, r.loaded) == (7_043, 7_043)
    assert "Churn → churned" in r.mapping
    with ws.connect(read_only=True) as con:
        churned = con.execute("SELECT count(*) FILTER (WHERE churned) FROM customers").fetchone()[0]
        types = dict(con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'customers'"
        ).fetchall())
    assert churned == 1_869
    assert types["total_charges"] == "DOUBLE" and types["senior_citizen"] == "BOOLEAN"
    run(ws, steps=BASE)  # only customers: runs and says what it skipped


def test_alexa_reviews_as_feedback(tmp_path):
    ws = Workspace.init(tmp_path / "ws")
    r = ingest(ws, "feedback", dataset_file("amazon_alexa_reviews"))
    assert (r.read, r.loaded, r.quarantined) == (3_150, 2_435, {"duplicate": 715})
