"""Run SQL value expressions over a Python list, on a private in-memory engine.

Used for inference on samples and by the Python wrappers; the real work runs the same
expressions set-based inside the warehouse. One connection per thread is kept, since
opening DuckDB costs more than parsing a few hundred samples.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any

_local = threading.local()


def _connection():
    con = getattr(_local, "con", None)
    if con is None:
        from crmine.engine.duck import DuckDBEngine

        con = _local.con = DuckDBEngine.memory()
    return con


def run_sqls(values: Sequence[str | None], builds: Sequence[Callable[[str], str]]) -> list[list[Any]]:
    """Each ``build('"v"')`` applied to every value; one result list per builder."""
    import pyarrow as pa

    con = _connection()
    name = f"_values_{uuid.uuid4().hex[:8]}"
    tbl = pa.table({
        "i": pa.array(range(len(values)), pa.int64()),
        "v": pa.array([None if v is None else str(v) for v in values], pa.string()),
    })
    with con.temp_table(name, tbl):
        exprs = ", ".join(build('"v"') for build in builds)
        rows = con.execute(f"SELECT {exprs} FROM {name} ORDER BY i").fetchall()
    return [[r[k] for r in rows] for k in range(len(builds))]


def run_sql(values: Sequence[str | None], build: Callable[[str], str]) -> list[Any]:
    """``build('"v"')`` applied to every value, results in input order."""
    return run_sqls(values, [build])[0]
