"""The campaigns step end to end: campaign rows from customers columns or a campaigns table."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmine.engine import Workspace
from crmine.pipeline.ingest import ingest
from crmine.pipeline.run import run, steps_named
from crmine.pipeline.snapshots import SnapshotStore
from tests.conftest import configure
from tests.models._campaign import MOVED, campaign

STEPS = steps_named("campaigns")


def _published(ws: Workspace) -> tuple[pd.DataFrame, pd.DataFrame]:
    snap = SnapshotStore(ws.snapshots_dir).require_current()
    return snap.read("campaign_scores"), snap.read("models")


def _pilot_csv(path: Path, *, control: bool, n: int = 3000) -> pd.DataFrame:
    """A pilot: two thirds of the customers reached (or held out) with a known response, the
    last third not reached yet (response empty)."""
    d = campaign(n, seed=21, control=control)
    frame = d["X"].assign(customer_id=[f"C{i:05d}" for i in range(n)],
                          group=np.where(d["t"], "Treatment", "Control"),
                          Response=pd.array(d["y"].astype(int), dtype="Int64"))  # fmt: skip
    frame.loc[frame.index >= 2 * n // 3, "Response"] = pd.NA
    frame.to_csv(path, index=False)
    return frame


def test_a_pilot_with_a_control_group_publishes_uplift_for_the_customers_not_reached(
    ws: Workspace, tmp_path: Path
):
    frame = _pilot_csv(tmp_path / "pilot.csv", control=True, n=6000)
    ingest(ws, "customers", tmp_path / "pilot.csv")
    ws = configure(ws, "campaigns", cost_per_contact=0.1, revenue_per_response=1.0, margin=1.0)
    result = run(ws, steps=STEPS)
    assert {s.name: s for s in result.steps}["campaigns"].status == "done"
    scores, models = _published(ws)
    unreached = set(frame.loc[frame["Response"].isna(), "customer_id"])
    assert set(scores["customer_id"]) == unreached and len(scores) == len(unreached)
    assert scores["campaign_id"].unique().tolist() == ["Treatment"]
    assert scores[["p_response", "p_response_control", "uplift"]].notna().all().all()
    assert sorted(scores["rank"]) == list(range(1, len(scores) + 1))
    np.testing.assert_allclose(scores["expected_profit"], scores["uplift"] - 0.1)
    assert scores["target"].equals(scores["expected_profit"] > 0)
    region = frame.set_index("customer_id").loc[scores["customer_id"], "region"].to_numpy()
    top = region[(scores["rank"] <= len(scores) // 5).to_numpy()]  # a quarter are south
    assert (top == MOVED).mean() > 0.85  # the contact only moves the south
    assert (region[scores["target"].to_numpy()] == MOVED).mean() > 0.7
    record = models[models["name"] == "campaign_uplift"].iloc[0]
    metrics = json.loads(record["metrics"])
    assert metrics["uplift_claimed"] and metrics["cv_qini"] > metrics["response_rule"]["qini"]
    assert json.loads(record["parameters"])["campaign_id"] == "Treatment"


def test_without_a_control_group_only_p_response_is_published(ws: Workspace, tmp_path: Path):
    _pilot_csv(tmp_path / "pilot.csv", control=False)
    ingest(ws, "customers", tmp_path / "pilot.csv")
    ws = configure(ws, "campaigns", budget_contacts=100)
    result = run(ws, steps=STEPS)
    detail = {s.name: s for s in result.steps}["campaigns"].detail
    assert "no control group: p_response only" in detail
    scores, models = _published(ws)
    assert scores["p_response"].between(0, 1).all() and scores["p_response"].notna().all()
    assert scores["uplift"].isna().all() and scores["p_response_control"].isna().all()
    assert scores["target"].sum() == 100 and scores.loc[scores["target"], "rank"].max() == 100
    assert models["name"].tolist() == ["campaign_response"]


def test_a_campaigns_table_learns_from_behaviour_before_the_send_only(
    ws: Workspace, tmp_path: Path
):
    """Responders buy right after the send: a model that saw those orders would separate them
    perfectly. Responses here are random, so an honest model validates near chance."""
    rng = np.random.default_rng(3)
    n = 800
    ids = [f"K{i:04d}" for i in range(n)]
    reached = np.arange(n) < 600
    responded = reached & (rng.random(n) < 0.3)
    before = pd.DataFrame({"order_id": [f"A{i}" for i in range(n)], "customer_id": ids,
                           "order_ts": "2024-01-10", "amount": rng.gamma(2, 20, n).round(2)})
    after = pd.DataFrame({"order_id": [f"B{i}" for i in range(n)], "customer_id": ids,
                          "order_ts": "2024-03-05", "amount": 30.0})[responded]
    pd.concat([before, after]).to_csv(tmp_path / "orders.csv", index=False)
    sends = pd.DataFrame({"campaign_id": "spring", "customer_id": np.array(ids)[reached],
                          "sent_at": "2024-03-01", "channel": "email",
                          "converted": responded[reached].astype(int),
                          "revenue": np.where(responded[reached], 30.0, 0.0)})
    sends.to_csv(tmp_path / "sends.csv", index=False)
    ingest(ws, "orders", tmp_path / "orders.csv")
    ingest(ws, "campaigns", tmp_path / "sends.csv")
    run(ws, steps=steps_named("customer features", "campaigns"))
    scores, models = _published(ws)
    assert set(scores["customer_id"]) == set(np.array(ids)[~reached])
    record = models[models["name"] == "campaign_response"].iloc[0]
    metrics = json.loads(record["metrics"])
    assert metrics["cv_auc"] < 0.65  # would be 1.0 with the orders after the send
    assert metrics["revenue_per_response"] == 30.0
    assert "sent 2024-03-01" in json.loads(record["parameters"])["source"]


def test_with_several_arms_each_customer_gets_the_arm_that_moves_them(
    ws: Workspace, tmp_path: Path
):
    rng = np.random.default_rng(5)
    n = 9000
    region = rng.choice(["north", "south", "east"], n)
    arm = rng.choice(["Coupon", "Newsletter", "Control"], n)
    lift = np.where((arm == "Coupon") & (region == "south"), 0.3, 0.0)
    lift += np.where((arm == "Newsletter") & (region == "north"), 0.3, 0.0)
    y = rng.random(n) < np.where(region == "east", 0.4, 0.1) + lift  # east buys anyway
    frame = pd.DataFrame({"customer_id": [f"M{i:05d}" for i in range(n)], "region": region,
                          "age": rng.integers(18, 80, n), "arm": arm,
                          "responded": pd.array(y.astype(int), dtype="Int64")})
    frame.loc[frame.index >= 6000, "responded"] = pd.NA
    frame.to_csv(tmp_path / "arms.csv", index=False)
    ingest(ws, "customers", tmp_path / "arms.csv")
    ws = configure(ws, "campaigns", revenue_per_response=10.0, margin=0.5, cost_per_contact=0.5)
    run(ws, steps=STEPS)
    scores, _ = _published(ws)
    assert sorted(scores["campaign_id"].unique()) == ["Coupon", "Newsletter"]
    per_customer = scores.drop_duplicates("customer_id").set_index("customer_id")
    where = frame.set_index("customer_id").loc[per_customer.index, "region"]
    best = per_customer["best_campaign"]
    assert (best[where == "south"] == "Coupon").mean() > 0.9
    assert (best[where == "north"] == "Newsletter").mean() > 0.9
    assert best[where == "east"].isna().mean() > 0.75  # neither pays its cost there


def test_a_randomised_test_exported_per_customer_is_recognised_without_settings():
    from crmine.config import CampaignSettings
    from crmine.pipeline.campaign_rows import from_customers

    rng = np.random.default_rng(9)
    n = 300
    visit = rng.random(n) < 0.2
    conversion = visit & (rng.random(n) < 0.3)
    frame = pd.DataFrame({
        "customer_id": [f"E{i}" for i in range(n)], "recency": rng.integers(1, 12, n),
        "segment": rng.choice(["Mens E-Mail", "Womens E-Mail", "No E-Mail"], n),
        "visit": visit, "conversion": conversion,
        "spend": np.where(conversion, 100.0, 0.0),
    })  # fmt: skip
    arms = from_customers(frame, CampaignSettings())
    assert [a.campaign_id for a in arms] == ["Mens E-Mail", "Womens E-Mail"]
    for a in arms:
        assert list(a.train.columns) == ["recency"]  # the arm and the outcomes never features
        assert a.has_control and a.responded.sum() == (visit & frame["segment"].isin(
            [a.campaign_id, "No E-Mail"])).sum()
        contacted = visit & (frame["segment"] == a.campaign_id).to_numpy()
        assert a.revenue_per_response == pytest.approx(
            np.where(conversion, 100.0, 0.0)[contacted].mean())


def test_the_demo_pilot_coupon_is_found_to_move_the_uk_customers(tmp_path: Path):
    from crmine.demo import generate, write_files
    from crmine.demo._campaigns import MOVED_COUNTRY
    from crmine.pipeline.ingest_all import ingest_sources

    data = generate(2000, seed=0)
    ws = Workspace.init(tmp_path / "ws")
    ingest_sources(ws, sorted(write_files(data, tmp_path / "sources").items()))
    run(ws, steps=steps_named("customer features", "campaigns"))
    scores, models = _published(ws)
    piloted = set(data.truth.campaigns["customer_id"])
    assert not piloted & set(scores["customer_id"])  # only customers the pilot did not reach
    country = data.truth.customers.set_index("customer_id")["country"]
    uk = (country.reindex(scores["customer_id"]) == MOVED_COUNTRY).to_numpy()
    assert scores["uplift"].notna().all()
    assert scores["uplift"][uk].mean() > scores["uplift"][~uk].mean() + 0.05
    metrics = json.loads(models.iloc[0]["metrics"])
    assert metrics["uplift_claimed"]
    countries = [s for s in metrics["by_segment"] if s["attribute"] == "country"]
    assert countries[0]["level"] == MOVED_COUNTRY and countries[0]["uplift_90"][0] > 0
    said = scores["top_reasons"].map(lambda r: any(f"country {MOVED_COUNTRY}:" in t for t in r))
    with ws.connect(read_only=True) as con:  # the country as loaded (the demo dirties some)
        loaded = con.execute("SELECT customer_id, country FROM customers").df()
    loaded_uk = (loaded.set_index("customer_id")["country"].reindex(scores["customer_id"])
                 == MOVED_COUNTRY).to_numpy()  # fmt: skip
    assert said[loaded_uk].all() and not said[~loaded_uk].any()
    from crmine.report.workspace import write_workspace_report

    html = write_workspace_report(ws, tmp_path / "report.html").read_text("utf-8")
    assert "Campaigns: whom to contact" in html and '"qini_SPRING_COUPON"' in html
    assert '"profit_SPRING_COUPON"' in html
    assert "Response by segment" in html and f"country {MOVED_COUNTRY}:" in html
