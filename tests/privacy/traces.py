"""The no-trace search: every file under a workspace as searchable text."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from crmine.engine.duck import DuckDBEngine


def texts_under(root: Path) -> dict[str, str]:
    """Every file as searchable text: DuckDB tables dumped row by row, Parquet columns as
    text, every other file as its bytes."""
    out: dict[str, str] = {}
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        rel = str(path.relative_to(root))
        raw = path.read_bytes().decode("utf-8", "replace")
        if path.suffix == ".duckdb":
            import duckdb

            with DuckDBEngine(duckdb.connect(str(path), read_only=True)) as con:
                raw += "".join(str(con.execute(f"SELECT * FROM {con.quote(t)}").fetchall())
                               for t in sorted(con.tables()))  # fmt: skip
        elif path.suffix == ".parquet":
            raw += str(pq.read_table(path).to_pylist())
        out[rel] = raw
    return out


def traces(root: Path, needles: list[str]) -> set[tuple[str, str]]:
    """(file, needle) for every needle found in a file under ``root``, case-insensitively."""
    lowered = [n.lower() for n in needles]
    return {(f, n) for f, text in texts_under(root).items() for n in lowered if n in text.lower()}
