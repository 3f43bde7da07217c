"""Erasure leaves no trace in any file under the workspace, and keeps them out afterwards."""

from __future__ import annotations

from crmine.engine import Workspace
from crmine.pipeline.ingest import ingest
from crmine.pipeline.run import run, steps_named
from crmine.privacy.access import AccessStore
from crmine.privacy.subject import subject_access
from crmine.report.workspace import write_workspace_report
from tests.pipeline.conftest import write
from tests.privacy.traces import texts_under

CUSTOMERS = """customer_id,name,email,phone,city
K7731,Zelda Quorra,zelda.quorra@example.com,+44 7946 031337,London
K7732,Zelda Quorra,ZELDA.QUORRA@example.com,,London
B1,Bo Chen,bo@example.com,+44 7946 000002,Leeds
B2,Cy Dunn,cy@example.com,+44 7946 000003,Leeds
"""
ORDERS = """InvoiceNo,InvoiceDate,CustomerID,StockCode,Quantity,UnitPrice
1,2024-01-02,K7731,P1,1,5
2,2024-01-03,K7732,P2,2,3
3,2024-01-04,B1,P1,1,5
4,2024-01-05,B2,P2,1,5
5,not a date,K7731,P3,1,1
6,2024-02-01,B1,P2,1,5
"""
TRACES = ["K7731", "K7732", "Zelda", "Quorra", "zelda.quorra", "7946031337", "7946 031337"]


def test_forget_leaves_no_trace_and_a_reingest_keeps_them_out(tmp_path):
    ws = Workspace.init(tmp_path / "w")
    customers = write(tmp_path / "c.csv", CUSTOMERS)
    orders = write(tmp_path / "o.csv", ORDERS)
    ingest(ws, "customers", customers)
    ingest(ws, "orders", orders)
    steps = steps_named("customer features", "rfm", "customer profiles")
    run(ws, steps=steps)
    run(ws, steps=steps)  # two snapshots hold them
    write_workspace_report(ws, ws.root / "report.html")
    subject_access(ws, "K7731", actor="tester")  # the audit log names them
    before = texts_under(ws.root)
    assert any("zelda.quorra" in t for t in before.values())

    from crmine.privacy.forget import forget

    done = forget(ws, "K7731")
    assert set(done.ids) == {"K7731", "K7732"}
    assert done.warehouse["orders"] == 2 and done.warehouse["quarantine"] == 1
    assert len(done.snapshots) == 2  # the report mentions no one by name: it stays
    after = texts_under(ws.root)
    found = {(f, t) for f, text in after.items() for t in TRACES if t.lower() in text.lower()}
    assert found == set()
    with ws.connect(read_only=True) as con:
        assert con.scalar("SELECT count(*) FROM customers") == 2  # the others stay
        assert con.scalar("SELECT count(*) FROM orders") == 3
    assert AccessStore(ws.root).audit_rows()[-1][2] == "erasure"

    # the same sources again: their rows are quarantined as erased, with no values
    ws2 = Workspace.open(ws.root)
    result = ingest(ws2, "orders", write(tmp_path / "o2.csv", ORDERS + "7,2024-03-01,B2,P1,1,5\n"))
    assert result.quarantined.get("erased") == 3  # their two orders and the undated line
    assert result.loaded == 1  # the one new line; the rest were loaded before
    again = ingest(ws2, "customers", write(tmp_path / "c2.csv", CUSTOMERS.replace("Leeds", "York")))
    assert again.quarantined.get("erased") == 2
    leftovers = texts_under(ws.root)
    assert not {(f, t) for f, text in leftovers.items() for t in TRACES if t.lower() in text.lower()}


def test_the_command_says_what_was_erased(tmp_path):
    from tests.test_cli import crmine

    ws = Workspace.init(tmp_path / "w")
    ingest(ws, "customers", write(tmp_path / "c.csv", CUSTOMERS))
    out = crmine("forget", str(ws.root), "B1")
    assert out.returncode == 0, out.stderr
    assert "erased customer B1" in out.stdout and "warehouse customers: 1 rows" in out.stdout
    assert crmine("forget", str(ws.root), "B1").returncode == 2  # nothing held any more
