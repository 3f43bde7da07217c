"""An access request finds the customer everywhere crmine keeps them, and only them."""

from __future__ import annotations

import json

import pytest

from crmine.engine import Workspace
from crmine.errors import CrmineError
from crmine.pipeline.ingest import ingest
from crmine.pipeline.run import run, steps_named
from crmine.privacy.access import AccessStore
from crmine.privacy.subject import subject_access
from tests.pipeline.conftest import write

CUSTOMERS = """customer_id,name,email,phone,city
A1,Ann Lee,ann@example.com,+44 7946 000001,London
A2,Ann Lee,ANN@example.com ,,London
B1,Bo Chen,bo@example.com,+44 7946 000002,Leeds
"""
ORDERS = """InvoiceNo,InvoiceDate,CustomerID,StockCode,Quantity,UnitPrice
1,2024-01-02,A1,P1,1,5
2,2024-01-03,A2,P2,2,3
3,2024-01-04,B1,P1,1,5
4,not a date,A1,P3,1,1
"""


def test_everything_about_one_customer_and_nothing_about_others(tmp_path):
    ws = Workspace.init(tmp_path / "w")
    ingest(ws, "customers", write(tmp_path / "c.csv", CUSTOMERS))
    ingest(ws, "orders", write(tmp_path / "o.csv", ORDERS))
    run(ws, steps=steps_named("customer features", "rfm", "customer profiles"))
    doc = subject_access(ws, "A1")
    text = json.dumps(doc, ensure_ascii=False)
    assert "bo@example.com" not in text and "B1" not in text  # only this customer
    merged = {doc["ids"][0], doc["ids"][-1]}
    assert merged == {"A1", "A2"}  # same e-mail: one customer, both ids followed
    wh = doc["warehouse"]
    assert {r["customer_id"] for r in wh["orders"]} <= merged and len(wh["orders"]) == 2
    assert wh["customer_merges"] and wh["quarantine"]  # the undated line mentions A1
    assert json.loads(wh["quarantine"][0]["raw_values"])["CustomerID"] == "A1"
    (_run_id, held), = doc["snapshots"].items()
    assert {"customer_scores", "customer_profiles"} <= set(held)
    assert held["customer_profiles"][0]["email"] == "ann@example.com"
    assert AccessStore(ws.root).audit_rows()[-1][1:] == ("crmine subject", "subject access", "A1")
    with pytest.raises(CrmineError, match="nothing is held about customer 'ZZ'"):
        subject_access(ws, "ZZ")


def test_the_command_writes_the_file(tmp_path):
    from tests.test_cli import crmine

    ws = Workspace.init(tmp_path / "w")
    ingest(ws, "customers", write(tmp_path / "c.csv", CUSTOMERS))
    out = crmine("subject", str(ws.root), "B1", "-o", str(tmp_path / "b1.json"))
    assert out.returncode == 0, out.stderr
    assert "customers 1" in out.stdout
    assert json.loads((tmp_path / "b1.json").read_text("utf-8"))["warehouse"]["customers"][0][
        "email"] == "bo@example.com"
    assert crmine("subject", str(ws.root), "nobody", "-o", str(tmp_path / "x.json")).returncode == 2
