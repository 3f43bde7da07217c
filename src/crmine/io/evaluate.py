"""Run a SQL value expression over a Python list, on a private in-memory DuckDB.

Used for inference on samples and by the Python wrappers; the real work runs the same
expressions set-based inside the warehouse.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def run_sql(values: Sequence[str | None], build: Callable[[str], str]) -> list[Any]:
    """``build('"v"')`` applied to every value, results in input order."""
    import duckdb
    import pyarrow as pa

    con = duckdb.connect()
    try:
        tbl = pa.table({
            "i": pa.array(range(len(values)), pa.int64()),
            "v": pa.array([None if v is None else str(v) for v in values], pa.string()),
        })
        con.register("_values", tbl)
        rows = con.execute(f'SELECT {build(chr(34) + "v" + chr(34))} FROM _values ORDER BY i')
        return [r[0] for r in rows.fetchall()]
    finally:
        con.close()
