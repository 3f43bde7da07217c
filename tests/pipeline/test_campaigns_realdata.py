"""The campaigns step on the public benchmarks: Hillstrom (randomised e-mails) and iFood."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmine.engine import Workspace
from crmine.evaluation import metrics
from crmine.evaluation import uplift as U
from crmine.pipeline.ingest import ingest
from crmine.pipeline.run import run, steps_named
from crmine.pipeline.snapshots import SnapshotStore
from tests.conftest import configure, dataset_file

OUTCOMES = ["visit", "conversion", "spend"]


def _scores(ws: Workspace) -> pd.DataFrame:
    return SnapshotStore(ws.snapshots_dir).require_current().read("campaign_scores")


@pytest.mark.slow
def test_hillstrom_womens_email_uplift_beats_response_targeting_and_pays(ws, tmp_path):
    raw = pd.read_parquet(dataset_file("hillstrom_email"))
    raw.insert(0, "customer_id", [f"H{i:05d}" for i in range(len(raw))])
    scoring = np.random.default_rng(0).random(len(raw)) < 0.5
    blanked = raw.astype({c: "Float64" for c in OUTCOMES})
    blanked.loc[scoring, OUTCOMES] = pd.NA
    blanked.to_parquet(tmp_path / "hillstrom.parquet", index=False)
    ingest(ws, "customers", tmp_path / "hillstrom.parquet")
    ws = configure(ws, "campaigns", outcome_columns=["visit"], revenue_column="spend",
                   post_send_columns=["conversion"], margin=0.3, cost_per_contact=0.1)
    run(ws, steps=steps_named("campaigns"))
    scores = _scores(ws)
    assert sorted(scores["campaign_id"].unique()) == ["Mens E-Mail", "Womens E-Mail"]
    women = scores[scores["campaign_id"] == "Womens E-Mail"].set_index("customer_id")
    test = scoring & raw["segment"].isin(["Womens E-Mail", "No E-Mail"]).to_numpy()
    got = women.loc[raw.loc[test, "customer_id"]]
    y, t = raw.loc[test, "visit"].to_numpy(bool), (raw.loc[test, "segment"] != "No E-Mail").to_numpy()
    assert got["uplift"].notna().all()  # claimed on validation
    at30 = U.uplift_at_k(y, t, got["uplift"], 0.3)
    assert at30 > 0.065 and at30 > U.uplift_at_k(y, t, got["p_response"], 0.3)  # random: 0.040
    assert U.qini_coefficient(y, t, got["uplift"]) > 0.003
    for col, arm in (("p_response", t), ("p_response_control", ~t)):  # calibrated arms
        assert got[col][arm].mean() == pytest.approx(y[arm].mean(), abs=0.01)
    chosen = got["target"].to_numpy(bool)
    lift = y[chosen & t].mean() - y[chosen & ~t].mean()
    everyone = y[t].mean() - y[~t].mean()
    revenue = raw.loc[~scoring & (raw["segment"] == "Womens E-Mail") & (raw["visit"] == 1),
                      "spend"].mean()  # fmt: skip
    profit = chosen.sum() * (lift * 0.3 * revenue - 0.1)
    assert profit > 0 and profit > len(got) * (everyone * 0.3 * revenue - 0.1)


def test_ifood_response_ranks_the_withheld_customers_and_is_calibrated(ws, tmp_path):
    raw = pd.read_parquet(dataset_file("ifood_marketing_campaign"))
    held = np.random.default_rng(0).random(len(raw)) < 0.3
    blanked = raw.astype({"Response": "Float64"})
    blanked.loc[held, "Response"] = pd.NA
    blanked.to_parquet(tmp_path / "ifood.parquet", index=False)
    ingest(ws, "customers", tmp_path / "ifood.parquet")
    result = run(ws, steps=steps_named("campaigns"))
    assert "no control group: p_response only" in result.steps[0].detail
    scores = _scores(ws).set_index("customer_id")
    assert scores["uplift"].isna().all() and len(scores) == held.sum()
    p = scores.loc[raw.loc[held, "ID"].astype(str), "p_response"].to_numpy()
    y = raw.loc[held, "Response"].to_numpy(bool)
    assert metrics.auc(y, p) > 0.88  # logistic 0.882, LightGBM 0.899 (defaults, bench)
    assert metrics.auc(y, p) > metrics.auc(y, raw.filter(like="AcceptedCmp").sum(axis=1)[held])
    assert p.mean() == pytest.approx(y.mean(), abs=0.02)
