"""The DuckDB engine: an embedded warehouse file, or a private in-memory database.

The only module (with :mod:`crmine.engine.workspace` and the file readers of
:mod:`crmine.engine.files`) that touches the ``duckdb`` driver. Driver exceptions become
:class:`~crmine.engine.base.EngineError` here so callers never depend on the driver.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from crmine.engine.base import CatalogError, Engine, EngineError, Result
from crmine.engine.quoting import quote_literal

if TYPE_CHECKING:
    import duckdb
    import pandas as pd
    import pyarrow as pa

__all__ = ["DuckDBEngine"]


def _translate(exc: Exception) -> EngineError:
    import duckdb

    kind = CatalogError if isinstance(exc, duckdb.CatalogException) else EngineError
    return kind(str(exc))


class _DuckResult(Result):
    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        self._cursor = cursor

    def _read(self, method: str) -> Any:
        import duckdb

        try:
            return getattr(self._cursor, method)()
        except duckdb.Error as exc:
            raise _translate(exc) from exc

    @property
    def columns(self) -> list[str] | None:
        described = self._cursor.description
        return None if described is None else [d[0] for d in described]

    def fetchone(self) -> tuple | None:
        return self._read("fetchone")

    def fetchall(self) -> list[tuple]:
        return self._read("fetchall")

    def df(self) -> pd.DataFrame:
        return self._read("df")

    def arrow(self) -> pa.Table:
        return self._read("to_arrow_table")


class DuckDBEngine(Engine):
    """A DuckDB connection behind the engine API."""

    name = "duckdb"

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self._con = connection

    @classmethod
    def memory(cls) -> DuckDBEngine:
        """A private in-memory database (for evaluating expressions on samples, and tests)."""
        import duckdb

        return cls(duckdb.connect())

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Result:
        import duckdb

        try:
            return _DuckResult(self._con.execute(sql, params))
        except duckdb.Error as exc:
            raise _translate(exc) from exc

    @contextmanager
    def temp_table(self, name: str, data: pd.DataFrame | pa.Table) -> Iterator[str]:
        self._con.register(name, data)
        try:
            yield name
        finally:
            self._con.unregister(name)

    def write(self, name: str, data: pd.DataFrame | pa.Table, *, temporary: bool = False) -> None:
        view = f"_write_{uuid.uuid4().hex[:8]}"
        kind = "TEMP TABLE" if temporary else "TABLE"
        with self.temp_table(view, data):
            self.execute(f"CREATE OR REPLACE {kind} {self.quote(name)} AS SELECT * FROM {view}")

    def parquet(self, path: str | Path) -> str:
        return f"read_parquet({quote_literal(str(path))})"

    def export(self, relation: str, path: str | Path, fmt: Literal["csv", "parquet"]) -> None:
        options = "FORMAT csv, HEADER true" if fmt == "csv" else "FORMAT parquet, COMPRESSION zstd"
        self.execute(f"COPY (SELECT * FROM {relation}) TO {quote_literal(str(path))} ({options})")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.execute("ROLLBACK")
            raise
        self.execute("COMMIT")

    def ibis(self) -> Any:
        return self._ibis

    @cached_property
    def _ibis(self) -> Any:
        import ibis

        return ibis.duckdb.from_connection(self._con)

    def tables(self) -> set[str]:
        rows = self.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()
        return {r[0] for r in rows}

    def column_types(self, table: str) -> dict[str, str]:
        rows = self.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = ? ORDER BY ordinal_position",
            [table],
        ).fetchall()
        return dict(rows)

    def cursor(self) -> DuckDBEngine:
        return DuckDBEngine(self._con.cursor())

    def close(self) -> None:
        self._con.close()
