"""The Spark engine behind the engine API: the same statements give DuckDB's rows, writes
land whole or not at all, and a commit interrupted by a crash is finished on reopening."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from crmine.engine import CatalogError, EngineError, Workspace
from crmine.engine.duck import DuckDBEngine
from crmine.engine.spark import JOURNAL, SparkEngine
from tests.conftest import configure

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("spark")]

ORDERS = pd.DataFrame(
    {
        "order_id": ["o1", "o2", "o3", "o4", "o5"],
        "customer_id": ["a", "a", "b", None, "c"],
        "amount": [10.0, -2.5, 7.25, 3.0, None],
        "qty": [1, 2, 3, 4, 5],
    }
)

# Each is a statement the pipeline's kind of SQL uses, in DuckDB's dialect; both engines
# must leave the same table ``t`` behind.
STATEMENTS = {
    "insert select": ["INSERT INTO t SELECT * FROM t WHERE qty > 3"],
    "insert columns": ["INSERT INTO t (order_id, qty) VALUES ('o9', 9)"],
    "update where": ["UPDATE t SET amount = -abs(amount), customer_id = 'z' WHERE qty % 2 = 1"],
    "update all": ["UPDATE t SET qty = qty * 10"],
    "delete where": ["DELETE FROM t WHERE amount < 0 OR customer_id IS NULL"],
    "add column": ["ALTER TABLE t ADD COLUMN note VARCHAR", "UPDATE t SET note = 'x' || order_id"],
    "create as": [
        "CREATE OR REPLACE TABLE t AS SELECT customer_id, count(*) FILTER (WHERE amount > 0) "
        "AS n, sum(amount) AS amount FROM t GROUP BY customer_id"
    ],
    "update from": [
        "UPDATE t s SET amount = d.total, customer_id = 'same as ' || d.first FROM ("
        "SELECT customer_id, sum(qty) AS total, min(order_id) AS first FROM t "
        "GROUP BY customer_id) d WHERE s.customer_id = d.customer_id AND s.qty > 1"
    ],
    "delete using": [
        "CREATE TEMP TABLE k AS SELECT order_id FROM t WHERE qty IN (2, 5)",
        "DELETE FROM t USING k WHERE k.order_id = t.order_id",
    ],
    "temp table": [
        "CREATE OR REPLACE TEMP TABLE s AS SELECT order_id, qty FROM t",
        "DROP TABLE t",
        "CREATE TABLE t AS SELECT * FROM s",
    ],
}


@pytest.fixture
def engine(spark, tmp_path: Path):
    e = SparkEngine(spark, tmp_path / "warehouse")
    yield e
    e.close()


def _rows(con, table: str = "t") -> list[tuple]:
    frame = con.execute(f"SELECT * FROM {table}").df()
    frame = frame.astype(object).where(frame.notna(), None)
    return sorted(map(tuple, frame.itertuples(index=False)), key=repr)


@pytest.mark.parametrize("case", list(STATEMENTS))
def test_statements_leave_what_duckdb_leaves(engine, case):
    with DuckDBEngine.memory() as duck:
        for con in (duck, engine):
            con.write("t", ORDERS)
            for sql in STATEMENTS[case]:
                con.execute(sql)
        assert engine.columns("t") == duck.columns("t")
        assert _rows(engine) == _rows(duck)


def test_queries_bind_parameters_and_read_back_in_every_shape(engine):
    engine.write("t", ORDERS)
    sql = "SELECT customer_id, sum(amount) AS total FROM t WHERE qty >= ? GROUP BY 1 ORDER BY 1"
    result = engine.execute(sql, [2])
    assert result.columns == ["customer_id", "total"]
    assert result.fetchone() == ("a", -2.5)  # NULLs sort last, as in DuckDB
    assert result.fetchall() == [("b", 7.25), ("c", None), (None, 3.0)]
    assert engine.execute(sql, [2]).arrow().num_rows == 4
    assert engine.execute(sql, [2]).df()["total"].sum() == pytest.approx(7.75)
    assert engine.scalar("SELECT count(*) FROM t") == 5
    assert engine.column_types("t") == {"order_id": "TEXT", "customer_id": "TEXT",
                                        "amount": "DOUBLE", "qty": "BIGINT"}  # fmt: skip


def test_an_empty_table_keeps_its_columns_across_connections(spark, tmp_path: Path):
    root = tmp_path / "warehouse"
    with SparkEngine(spark, root) as e:
        e.execute("CREATE TABLE IF NOT EXISTS log (entity VARCHAR NOT NULL, raw JSON, at TIMESTAMP)")
        e.execute("CREATE TABLE IF NOT EXISTS log (entity VARCHAR)")  # exists: nothing happens
    with SparkEngine(spark, root) as e:
        assert e.column_types("log") == {"entity": "TEXT", "raw": "TEXT", "at": "TIMESTAMP"}
        assert e.scalar("SELECT count(*) FROM log") == 0


def test_a_failed_transaction_changes_nothing(engine, tmp_path: Path):
    engine.write("t", ORDERS)
    before = sorted(p.name for p in (tmp_path / "warehouse").iterdir())
    with pytest.raises(RuntimeError, match="boom"), engine.transaction():
        engine.execute("INSERT INTO t SELECT * FROM t")
        engine.execute("CREATE TABLE fresh AS SELECT 1 AS x")
        engine.execute("CREATE TEMP TABLE scratch AS SELECT 2 AS y")
        engine.execute("DROP TABLE t")
        assert "t" not in engine.tables() and "fresh" in engine.tables()
        raise RuntimeError("boom")
    assert _rows(engine) == _rows_of(ORDERS)
    assert "fresh" not in engine.tables() and "scratch" not in engine.tables()
    assert sorted(p.name for p in (tmp_path / "warehouse").iterdir()) == before


def test_a_committed_transaction_lands_whole(engine, spark, tmp_path: Path):
    engine.write("t", ORDERS)
    with engine.transaction():
        engine.execute("DELETE FROM t WHERE qty > 2")
        engine.execute("CREATE TABLE u AS SELECT order_id FROM t")
        assert engine.scalar("SELECT count(*) FROM u") == 2
    with SparkEngine(spark, tmp_path / "warehouse") as other:
        assert other.scalar("SELECT count(*) FROM t") == 2
        assert other.scalar("SELECT count(*) FROM u") == 2


def test_a_commit_killed_after_its_journal_is_finished_on_reopening(spark, tmp_path, monkeypatch):
    root = tmp_path / "warehouse"
    with SparkEngine(spark, root) as e:
        e.write("t", ORDERS)

        def killed(self):
            raise SystemExit("killed")  # after the journal, before any swap

        monkeypatch.setattr(SparkEngine, "_replay", killed)
        with pytest.raises(SystemExit), e.transaction():
            e.execute("DELETE FROM t WHERE qty > 1")
            e.execute("CREATE TABLE u AS SELECT 1 AS x")
        monkeypatch.undo()
    assert (root / JOURNAL).exists()
    with SparkEngine(spark, root) as e:
        assert e.scalar("SELECT count(*) FROM t") == 1 and e.scalar("SELECT x FROM u") == 1
    assert not (root / JOURNAL).exists()


def test_a_transaction_killed_before_its_journal_is_discarded_on_reopening(spark, tmp_path, monkeypatch):
    root = tmp_path / "warehouse"
    with SparkEngine(spark, root) as e:
        e.write("t", ORDERS)

        def killed(self, staged, drops):
            raise SystemExit("killed")

        monkeypatch.setattr(SparkEngine, "_commit", killed)
        with pytest.raises(SystemExit), e.transaction():
            e.execute("DELETE FROM t")
        monkeypatch.undo()
    with SparkEngine(spark, root) as e:
        assert e.scalar("SELECT count(*) FROM t") == 5
    assert not (root / ".staging").exists()


def test_refused_statements_are_one_line_errors(engine):
    engine.write("t", ORDERS)
    with pytest.raises(CatalogError):
        engine.execute("SELECT * FROM nowhere")
    with pytest.raises(EngineError, match="only ALTER TABLE … ADD COLUMN") as err:
        engine.execute("ALTER TABLE t DROP COLUMN qty")
    assert len(str(err.value).splitlines()) == 1
    with pytest.raises(EngineError, match="DELETE … USING takes one relation"):
        engine.execute("DELETE FROM t USING t s")


def test_read_only_refuses_writes(spark, tmp_path: Path):
    with SparkEngine(spark, tmp_path / "warehouse") as e:
        e.write("t", ORDERS)
    with SparkEngine(spark, tmp_path / "warehouse", read_only=True) as e:
        assert e.scalar("SELECT count(*) FROM t") == 5
        with pytest.raises(EngineError, match="read-only"):
            e.execute("DELETE FROM t")


def test_parquet_temp_tables_and_exports(engine, tmp_path: Path):
    ORDERS.to_parquet(tmp_path / "in.parquet")
    relation = engine.parquet(tmp_path / "in.parquet")
    assert engine.scalar(f"SELECT count(*) FROM {relation}") == 5
    with engine.temp_table("v", ORDERS.head(2)) as name:
        assert engine.scalar(f"SELECT count(*) FROM {name}") == 2
    assert "v" not in engine.tables()
    engine.write("t", ORDERS)
    engine.export("t", tmp_path / "out.csv", "csv")
    engine.export("t", tmp_path / "out.parquet", "parquet")
    assert pd.read_csv(tmp_path / "out.csv")["qty"].tolist() == [1, 2, 3, 4, 5]
    assert pd.read_parquet(tmp_path / "out.parquet").equals(ORDERS)


def test_the_workspace_setting_picks_spark(spark, tmp_path: Path):
    ws = configure(Workspace.init(tmp_path / "ws"), "workspace", engine="spark")
    with ws.connect() as con:
        assert con.name == "spark"
        con.write("orders", ORDERS)
        backend = con.ibis()
        assert int(backend.table("orders").amount.sum().execute()) == 17
    assert ws.warehouse_path == tmp_path / "ws" / "warehouse-spark"
    assert (ws.warehouse_path / "orders").is_dir()
    with ws.connect(read_only=True) as con:
        assert "orders" in con.tables()


def _rows_of(frame: pd.DataFrame) -> list[tuple]:
    frame = frame.astype(object).where(frame.notna(), None)
    return sorted(map(tuple, frame.itertuples(index=False)), key=repr)


def test_ingest_on_spark_is_refused_in_one_line_naming_the_way_round(tmp_path: Path):
    """A real `crmine ingest` on a Spark workspace: exit 2, one line, no traceback, nothing
    written (ingest's readers are DuckDB's; the message says how to get the data in)."""
    import subprocess
    import sys

    ws = configure(Workspace.init(tmp_path / "ws"), "workspace", engine="spark")
    ORDERS.to_csv(tmp_path / "orders.csv", index=False)
    done = subprocess.run(
        [sys.executable, "-m", "crmine.cli", "ingest", str(ws.root), f"orders={tmp_path / 'orders.csv'}"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    message = [line for line in done.stderr.splitlines() if "crmine" in line and "ingest" in line]
    assert message and "copy_tables" in message[-1]
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in ws.warehouse_path.iterdir() if not p.name.startswith(".")) == [
        "ingest_log", "quarantine"]  # fmt: skip
