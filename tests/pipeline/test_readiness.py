"""``crmine check``: the verdicts say in advance what ``crmine run`` then does."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmine.engine import Workspace
from crmine.pipeline.ingest import ingest
from crmine.pipeline.readiness import assess, gather_facts, summary_lines, to_json
from crmine.pipeline.run import run


def _orders(folder: Path, days: int, *, products: bool = True, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    n = 3000
    frame = pd.DataFrame({
        "order_id": [f"O{i // 2}" for i in range(n)],  # two lines per order: baskets
        "customer_id": [f"C{c}" for c in np.repeat(rng.integers(0, 200, n // 2), 2)],
        "order_date": np.repeat(
            (pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, days, n // 2), "D"))
            .strftime("%Y-%m-%d"), 2),
        "amount": np.round(rng.gamma(2.0, 20.0, n), 2),
    })  # fmt: skip
    if products:
        frame["product_id"] = [f"P{p}" for p in rng.integers(0, 40, n)]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "orders.csv"
    frame.to_csv(path, index=False)
    return path


def _verdicts(ws: Workspace, horizon: int | None = None) -> dict[str, object]:
    return {v.family: v for v in assess(gather_facts(ws), ws.config, horizon)}


def test_a_long_horizon_on_short_history_is_partly_and_says_which_horizon_fits(tmp_path: Path):
    ws = Workspace.init(tmp_path / "ws")
    ingest(ws, "orders", _orders(tmp_path / "f", days=300))
    purchase = _verdicts(ws, 180)["purchase"]
    assert purchase.status == "partly" and "300 days of history" in purchase.detail
    fits = int(purchase.change.split("--horizon ")[1].rstrip(")"))
    assert 60 < fits < 180
    # and run agrees: at the suggested horizon the propensity model trains, above it not
    trained = [s.detail for s in run(ws, horizon_days=fits).steps
               if s.name == "purchase and value models"]  # fmt: skip
    assert "propensity skipped" not in trained[0]
    over = [s.detail for s in run(ws, horizon_days=fits + 1).steps
            if s.name == "purchase and value models"]  # fmt: skip
    assert "propensity skipped: too little history" in over[0]
    assert _verdicts(ws, fits)["purchase"].status == "ready"
    demand = _verdicts(ws)["demand"]
    assert demand.status == "ready" and "no yearly season yet" in demand.detail


def test_lines_without_products_rule_out_recommendations_rules_and_categories(tmp_path: Path):
    ws = Workspace.init(tmp_path / "ws")
    ingest(ws, "orders", _orders(tmp_path / "f", days=400, products=False))
    v = _verdicts(ws)
    for family in ("recommendations", "rules", "categories"):
        assert v[family].status == "no" and v[family].change, family
    assert v["clv"].status == "ready" and v["clusters"].status == "ready"
    assert v["churn"].status == "partly" and "churned column" in v["churn"].change
    assert v["sentiment"].status == "no" and v["campaigns"].status == "no"
    assert v["demand"].status == "ready" and "a yearly season to use" in v["demand"].detail


def test_a_few_weeks_of_sales_forecast_demand_with_little_validation(tmp_path: Path):
    ws = Workspace.init(tmp_path / "ws")
    ingest(ws, "orders", _orders(tmp_path / "f", days=30))
    demand = _verdicts(ws)["demand"]
    assert demand.status == "partly" and "no validation" in demand.detail
    assert Workspace.init(tmp_path / "empty") and _verdicts(
        Workspace.open(tmp_path / "empty"))["demand"].status == "no"


def test_baskets_labels_and_quality_are_counted(tmp_path: Path):
    ws = Workspace.init(tmp_path / "ws")
    path = _orders(tmp_path / "f", days=400)
    ingest(ws, "orders", path)
    customers = tmp_path / "customers.csv"
    pd.DataFrame({"customer_id": [f"C{i}" for i in range(200)],
                  "churn": ["yes" if i % 4 == 0 else "no" for i in range(200)]}
                 ).to_csv(customers, index=False)  # fmt: skip
    ingest(ws, "customers", customers)
    facts = gather_facts(ws)
    frame = pd.read_csv(path)
    multi = frame.groupby("order_id")["product_id"].nunique()
    assert facts.multi_product_baskets == int((multi >= 2).sum())
    assert facts.churn_labels == {"churned": 50, "stayed": 150}
    v = _verdicts(ws)
    assert v["churn"].status == "ready" and v["rules"].status == "ready"
    assert any(line.startswith("orders from 2023-01-01") for line in summary_lines(facts))
    payload = json.loads(to_json(facts, list(v.values())))
    assert payload["facts"]["history_days"] == facts.history_days
    assert [m["family"] for m in payload["models"]][:3] == ["purchase", "churn", "clv"]


def test_an_empty_workspace_says_what_to_load(tmp_path: Path):
    ws = Workspace.init(tmp_path / "ws")
    v = _verdicts(ws)
    assert v["purchase"].status == "no" and "crmine ingest" in v["purchase"].change
    assert all(x.status == "no" for x in v.values())


@pytest.mark.parametrize("args", [["check"], ["check", "--horizon", "30"]])
def test_the_command(tmp_path: Path, args: list[str]):
    from tests.test_cli import crmine

    ws = Workspace.init(tmp_path / "ws")
    ingest(ws, "orders", _orders(tmp_path / "f", days=200))
    out = crmine(*args[:1], str(ws.root), *args[1:], "--json", str(tmp_path / "r.json"))
    assert out.returncode == 0, out.stderr
    assert "Data readiness" in out.stdout and "purchase" in out.stdout
    assert json.loads((tmp_path / "r.json").read_text("utf-8"))["models"]


def test_the_same_facts_head_the_report(tmp_path: Path):
    from crmine.report.workspace import write_workspace_report

    ws = Workspace.init(tmp_path / "ws")
    ingest(ws, "orders", _orders(tmp_path / "f", days=200))
    html = write_workspace_report(ws, tmp_path / "r.html").read_text("utf-8")
    facts = summary_lines(gather_facts(ws))
    assert "The data" in html and all(line in html for line in facts)
