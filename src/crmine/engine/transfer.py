"""Copying a warehouse's tables from one engine to another (DuckDB → Spark, or back).

The way to move a workspace grown on DuckDB onto Spark without ingesting its sources
again, and the way the engine-parity tests give both engines the very same rows. One
table is held in memory at a time, as Arrow; every table lands in one transaction of the
target, so a failed copy leaves the target as it was.
"""

from __future__ import annotations

from collections.abc import Iterable

from crmine.engine.base import Engine

__all__ = ["copy_tables"]


def copy_tables(source: Engine, target: Engine, names: Iterable[str] | None = None) -> dict[str, int]:
    """Copy ``names`` (default: every table of ``source``) into ``target``; rows per table."""
    wanted = sorted(source.tables() if names is None else names)
    copied: dict[str, int] = {}
    with target.transaction():
        for name in wanted:
            rows = source.execute(f"SELECT * FROM {source.quote(name)}").arrow()
            target.write(name, rows)
            copied[name] = rows.num_rows
    return copied
