"""PostgreSQL in and out, against a real server the tests start (tests/postgres_server.py)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import psycopg
import pytest

from crmine.engine import Workspace
from crmine.errors import InputError
from crmine.io.postgres import parse_url, redacted
from crmine.pipeline.exporting import export_table
from crmine.pipeline.ingest import ingest
from crmine.pipeline.snapshots import SnapshotStore

pytestmark = pytest.mark.xdist_group("postgres")  # one server, one worker


def test_urls_hide_passwords_and_name_a_table_or_a_query():
    assert redacted("postgresql://u:secret@h:5/db?table=t") == "postgresql://u:***@h:5/db?table=t"
    target = parse_url("postgresql://u@h:5/db?table=crm.scores&sslmode=disable")
    assert target.table == "crm.scores" and target.conninfo == "postgresql://u@h:5/db?sslmode=disable"
    with pytest.raises(InputError, match="not a plain table name"):
        parse_url("postgresql://u@h/db?table=x;drop")


def _scores(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "customer_id": [f"C{i:06d}" for i in range(n)],
        "as_of": pd.Timestamp("2024-05-01").date(),
        "p_purchase": rng.random(n),
        "clv": rng.gamma(2, 100, n),
        "orders_count": rng.integers(0, 20, n),
        "value_tier": rng.choice(["top", "mid", "low", None], n),
        "top_reasons": [["bought often", "recent"] if i % 3 else [] for i in range(n)],
    })


def _publish(ws: Workspace, frame: pd.DataFrame) -> None:
    with SnapshotStore(ws.snapshots_dir).writer() as w:
        w.add("customer_scores", frame)
        w.meta.update(as_of="2024-05-01", horizon_days=90)


def test_export_merges_on_the_key_and_a_second_export_adds_nothing(tmp_path, postgres_url):
    ws = Workspace.init(tmp_path / "w")
    frame = _scores(100_000)
    _publish(ws, frame)
    url = f"{postgres_url}?table=crm_scores"
    started = time.perf_counter()
    assert export_table(ws, "customer_scores", url) == 100_000
    first = time.perf_counter() - started
    assert export_table(ws, "customer_scores", url) == 100_000
    with psycopg.connect(postgres_url) as con:
        assert con.execute("SELECT count(*), count(DISTINCT customer_id) FROM crm_scores"
                           ).fetchone() == (100_000, 100_000)
        row = con.execute("SELECT value_tier, top_reasons, orders_count, p_purchase "
                          "FROM crm_scores WHERE customer_id = 'C000001'").fetchone()
        types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                                 "WHERE table_name = 'crm_scores'").fetchall())
    expected = frame.iloc[1]
    assert row[0] == expected["value_tier"] and row[1] == ["bought often", "recent"]
    assert row[2] == expected["orders_count"] and row[3] == pytest.approx(expected["p_purchase"])
    assert types["p_purchase"] == "double precision" and types["top_reasons"] == "jsonb"
    assert first < 30  # generous: the bench measures the real figure

    changed = frame.head(10).assign(clv=-1.0)  # a later run: ten rows change, the rest stay
    _publish(ws, pd.concat([changed, frame.iloc[10:]]))
    export_table(ws, "customer_scores", url)
    with psycopg.connect(postgres_url) as con:
        assert con.execute("SELECT count(*) FROM crm_scores WHERE clv = -1").fetchone() == (10,)
        assert con.execute("SELECT count(*) FROM crm_scores").fetchone() == (100_000,)


def test_ingest_reads_a_table_or_a_query_with_the_usual_mapping_and_quarantine(
    tmp_path, postgres_url
):
    with psycopg.connect(postgres_url) as con:
        con.execute("DROP TABLE IF EXISTS shop_orders")
        con.execute('CREATE TABLE shop_orders ("InvoiceNo" text, "InvoiceDate" text, '
                    '"CustomerID" text, "StockCode" text, "Quantity" int, "UnitPrice" numeric)')
        con.execute("INSERT INTO shop_orders VALUES "
                    "('1001', '2024-01-05 10:00', 'A', 'P1', 2, 3.5), "
                    "('1002', '2024-01-06', 'B', 'P2', 1, 10), "
                    "('1003', 'not a date', 'B', 'P2', 1, 10)")
    ws = Workspace.init(tmp_path / "w")
    result = ingest(ws, "orders", f"{postgres_url}?table=shop_orders")
    assert (result.read, result.loaded, result.quarantined_total) == (3, 2, 1)
    assert "crmine-test-pw" not in result.source and "***" in result.source
    with ws.connect(read_only=True) as con:
        assert con.scalar("SELECT sum(amount) FROM orders") == pytest.approx(17.0)
        source = con.scalar("SELECT DISTINCT source_file FROM quarantine")
    assert "***" in source and "crmine-test-pw" not in source
    query = f"{postgres_url}?query=SELECT * FROM shop_orders WHERE \"CustomerID\" = 'B'"
    again = ingest(Workspace.init(tmp_path / "w2"), "orders", query)
    assert (again.read, again.loaded) == (2, 1)


def test_a_wrong_password_is_a_one_line_error_without_the_password(tmp_path, postgres_url):
    bad = postgres_url.replace("crmine-test-pw", "wrong-pw") + "&table=x" if "?" in postgres_url \
        else postgres_url.replace("crmine-test-pw", "wrong-pw") + "?table=x"
    with pytest.raises(InputError) as err:
        ingest(Workspace.init(tmp_path / "w"), "orders", bad)
    message = str(err.value)
    assert "wrong-pw" not in message and len(message.splitlines()) == 1
    assert "cannot connect" in message


def test_forget_erases_the_customer_from_the_database_tables_crmine_wrote(
        tmp_path, postgres_url, monkeypatch):
    from urllib.parse import urlsplit

    from crmine.io.postgres import without_password
    from crmine.pipeline.exporting import database_targets
    from crmine.privacy.forget import forget
    from tests.pipeline.conftest import write

    ws = Workspace.init(tmp_path / "w")
    ingest(ws, "customers", write(tmp_path / "c.csv", "customer_id,email\nC000001,a@b.com\n"))
    _publish(ws, _scores(50))
    url = f"{postgres_url}?table=forget_scores"
    export_table(ws, "customer_scores", url)
    kept = without_password(url)  # the password is not kept: libpq's PGPASSWORD gives it
    assert [t["url"] for t in database_targets(ws)] == [kept]
    monkeypatch.setenv("PGPASSWORD", urlsplit(postgres_url).password or "")
    done = forget(ws, "C000001")
    assert done.databases == {kept: 1}
    with psycopg.connect(postgres_url) as con:
        assert con.execute("SELECT count(*), count(*) FILTER (WHERE customer_id = 'C000001') "
                           "FROM forget_scores").fetchone() == (49, 0)


def test_an_unreachable_database_stops_the_erasure_before_anything_changes(tmp_path, postgres_url):
    from crmine.errors import CrmineError
    from crmine.pipeline.exporting import remember_database_target
    from crmine.privacy.forget import forget

    ws = Workspace.init(tmp_path / "w")
    _publish(ws, _scores(20))
    ingest(ws, "customers", _csv(tmp_path))
    remember_database_target(ws, "postgresql://nobody:pw@127.0.0.1:1/none?table=t", "x")
    stored = (ws.private_dir / "database_targets.json").read_text("utf-8")
    assert "pw" not in stored and "nobody@127.0.0.1:1" in stored  # passwords never kept
    with pytest.raises(CrmineError, match="nothing was erased"):
        forget(ws, "C000002")
    with ws.connect(read_only=True) as con:
        assert con.scalar("SELECT count(*) FROM customers WHERE customer_id = 'C000002'") == 1
    assert "C000002" in set(SnapshotStore(ws.snapshots_dir).require_current()
                            .read("customer_scores")["customer_id"])


def _csv(tmp_path):
    from tests.pipeline.conftest import write

    return write(tmp_path / "c.csv", "customer_id,email\nC000002,c@d.com\n")
