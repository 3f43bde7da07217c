"""The engine API: what every module above the engine relies on, checked on DuckDB."""

from __future__ import annotations

import pandas as pd
import pytest

from crmine.engine import CatalogError, EngineError, Workspace
from crmine.engine.duck import DuckDBEngine

AWKWARD = ["customer_id", 'say "hi"', "first name", "客户编号", "select"]


@pytest.fixture
def engine():
    with DuckDBEngine.memory() as e:
        yield e


def test_write_keeps_awkward_names_and_values(engine):
    frame = pd.DataFrame({name: [f"{name}-{i}" for i in range(3)] for name in AWKWARD})
    engine.write('my "table"', frame)
    assert engine.columns('my "table"') == AWKWARD
    cid, hi, table = (engine.quote(n) for n in ("客户编号", 'say "hi"', 'my "table"'))
    got = engine.execute(f"SELECT {cid}, {hi} FROM {table} ORDER BY 1").df()
    assert got.to_dict("list") == {"客户编号": ["客户编号-0", "客户编号-1", "客户编号-2"],
                                   'say "hi"': ['say "hi"-0', 'say "hi"-1', 'say "hi"-2']}


def test_temp_table_lives_only_inside_its_block(engine):
    with engine.temp_table("_frame", pd.DataFrame({"x": [1, 2, 3]})) as name:
        assert engine.scalar(f"SELECT sum(x) FROM {name}") == 6
    with pytest.raises(CatalogError):
        engine.execute("SELECT * FROM _frame")


def test_results_read_as_rows_frames_and_arrow(engine):
    result = engine.execute("SELECT 1 AS a, 'b' AS b UNION ALL SELECT 2, 'c' ORDER BY a")
    assert result.columns == ["a", "b"]
    assert result.fetchall() == [(1, "b"), (2, "c")]
    assert engine.execute("SELECT ? AS v", [41]).fetchone() == (41,)
    assert engine.execute("SELECT $v AS v", {"v": "x"}).arrow().column("v").to_pylist() == ["x"]
    assert engine.execute("SELECT 1 WHERE false").scalar() is None


def test_a_failed_transaction_changes_nothing(engine):
    engine.execute("CREATE TABLE t (x INTEGER)")
    engine.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(ZeroDivisionError), engine.transaction():
        engine.execute("INSERT INTO t VALUES (2)")
        raise ZeroDivisionError
    assert engine.execute("SELECT x FROM t").fetchall() == [(1,)]
    with engine.transaction():
        engine.execute("INSERT INTO t VALUES (3)")
    assert engine.scalar("SELECT count(*) FROM t") == 2


def test_driver_errors_become_engine_errors(engine):
    with pytest.raises(CatalogError, match="missing_table"):
        engine.execute("SELECT * FROM missing_table")
    with pytest.raises(EngineError):
        engine.execute("SELEC 1")
    assert not isinstance(EngineError("x"), CatalogError)


def test_ibis_sees_the_same_tables(engine):
    engine.write("orders", pd.DataFrame({"customer_id": ["a", "a", "b"], "amount": [1.0, 2.0, 5.0]}))
    orders = engine.ibis().table("orders")
    got = orders.group_by("customer_id").aggregate(total=orders.amount.sum()).to_pandas()
    assert dict(zip(got.customer_id, got.total, strict=True)) == {"a": 3.0, "b": 5.0}
    assert "orders" in engine.tables()
    assert engine.column_types("orders") == {"customer_id": "VARCHAR", "amount": "DOUBLE"}


def test_workspace_connects_through_the_engine(tmp_path):
    ws = Workspace.init(tmp_path / "w")
    with ws.connect() as engine:
        assert isinstance(engine, DuckDBEngine) and engine.name == "duckdb"
        engine.write("t", pd.DataFrame({"x": [1]}))
    with ws.connect(read_only=True) as engine:
        assert engine.scalar("SELECT x FROM t") == 1
        with pytest.raises(EngineError, match="read-only"):
            engine.execute("INSERT INTO t VALUES (2)")
