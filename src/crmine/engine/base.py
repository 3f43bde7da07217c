"""The engine API: the handful of operations crmine asks of a warehouse.

Everything above :mod:`crmine.engine` talks to the warehouse through an :class:`Engine`,
never through a database driver: statements go in through :meth:`Engine.execute` (rows come
back through a :class:`Result`, the DB-API shape), frames go in through
:meth:`Engine.temp_table` and :meth:`Engine.write`, expressions are built with Ibis on
:meth:`Engine.ibis`, and every identifier is quoted by :meth:`Engine.quote`. This is the
seam a second engine fills (the shape of splink's database API: read, write, execute, quote,
temp table); the driver's own types and exceptions stay inside this package, and an
import-linter contract keeps ``duckdb`` out of every other one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from crmine.engine.quoting import quote_identifier

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = ["CatalogError", "Engine", "EngineError", "Result"]


class EngineError(RuntimeError):
    """A statement the engine refused (a bug in crmine's SQL, or a resource problem)."""


class CatalogError(EngineError):
    """A statement named a table, view or function the engine does not have."""


class Result(ABC):
    """The rows of one statement, read once: ``fetchone``, ``fetchall``, or as a frame."""

    @property
    @abstractmethod
    def columns(self) -> list[str] | None:
        """The result's column names; None for a statement that returns no rows."""

    @abstractmethod
    def fetchone(self) -> tuple | None: ...

    @abstractmethod
    def fetchall(self) -> list[tuple]: ...

    @abstractmethod
    def df(self) -> pd.DataFrame: ...

    @abstractmethod
    def arrow(self) -> pa.Table: ...

    def scalar(self) -> Any:
        """The first column of the first row (None when there is no row)."""
        row = self.fetchone()
        return None if row is None else row[0]


class Engine(ABC):
    """One warehouse connection. Methods raise :class:`EngineError`, never a driver's own."""

    #: the engine's name in settings and messages (``[workspace] engine``)
    name: str

    @staticmethod
    def quote(name: str) -> str:
        """``name`` as a delimited identifier (see :func:`crmine.engine.quoting.quote_identifier`)."""
        return quote_identifier(name)

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Result:
        """Run one statement, with values bound as parameters rather than spliced in."""

    def scalar(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Any:
        """The single value a statement returns (``SELECT count(*) …``)."""
        return self.execute(sql, params).scalar()

    @abstractmethod
    def temp_table(
        self, name: str, data: pd.DataFrame | pa.Table
    ) -> AbstractContextManager[str]:
        """``data`` readable as the relation ``name`` while the ``with`` block lasts."""

    @abstractmethod
    def write(self, name: str, data: pd.DataFrame | pa.Table, *, temporary: bool = False) -> None:
        """Create or replace table ``name`` holding ``data``."""

    @abstractmethod
    def parquet(self, path: str | Path) -> str:
        """A relation (usable after ``FROM``) reading the Parquet file at ``path``."""

    @abstractmethod
    def export(self, relation: str, path: str | Path, fmt: Literal["csv", "parquet"]) -> None:
        """Write every row of ``relation`` to ``path`` (CSV with a header, or Parquet)."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """All statements in the block take effect together, or (on an exception) none."""

    @abstractmethod
    def ibis(self) -> Any:
        """An Ibis backend over this connection, for expressions written once for every engine."""

    @abstractmethod
    def tables(self) -> set[str]:
        """Names of the tables and views in the main schema (temporary ones included)."""

    @abstractmethod
    def column_types(self, table: str) -> dict[str, str]:
        """Column name → the engine's type name, in column order."""

    def columns(self, table: str) -> list[str]:
        return list(self.column_types(table))

    @abstractmethod
    def cursor(self) -> Engine:
        """Another handle on the same database, for use from another thread."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

