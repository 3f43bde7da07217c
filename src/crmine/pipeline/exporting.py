"""``crmine export``: any published or loaded table to CSV, Parquet or Excel.

Published tables (the current snapshot) take precedence over loaded ones of the same name.
Files are written to a temporary name and moved into place, so a failed export never
leaves a half-written file where a good one was.
"""

from __future__ import annotations

import os
from pathlib import Path

from crmine.engine import Engine
from crmine.engine.workspace import Workspace
from crmine.errors import CrmineError
from crmine.pipeline.snapshots import SnapshotStore

FORMATS = {".csv": "csv", ".parquet": "parquet", ".xlsx": "xlsx"}
EXCEL_MAX_ROWS = 1_048_575  # one row of the sheet holds the header


def export_table(ws: Workspace, table: str, output: Path | str) -> int:
    """Write ``table`` to ``output`` (format by suffix, or a postgresql:// URL); returns the
    number of rows."""
    from crmine.io.postgres import is_url

    if is_url(output):
        return _export_to_postgres(ws, table, str(output))
    output = Path(output)
    fmt = FORMATS.get(output.suffix.lower())
    if fmt is None:
        raise CrmineError(
            f"cannot tell the format of {output.name}: use a .csv, .parquet or .xlsx file name"
        )
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp")
    try:
        with ws.connect(read_only=ws.warehouse_path.exists()) as con:
            source = _source(ws, con, table)
            rows = con.execute(f"SELECT count(*) FROM {source}").fetchone()[0]
            if fmt == "xlsx":
                if rows > EXCEL_MAX_ROWS:
                    raise CrmineError(
                        f"{table} has {rows:,} rows, more than an Excel sheet holds; "
                        "export to .csv or .parquet instead"
                    )
                frame = con.execute(f"SELECT * FROM {source}").df()
                _to_excel(frame, tmp)
            else:
                con.export(source, tmp, fmt)
        os.replace(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)
    return int(rows)


def _export_to_postgres(ws: Workspace, table: str, url: str) -> int:
    """Merge the table into PostgreSQL on its declared key (replace it when it has none)."""
    from crmine.io.postgres import PG_TYPES, upsert
    from crmine.schema.published import PUBLISHED_TABLES

    with ws.connect(read_only=ws.warehouse_path.exists()) as con:
        data = con.execute(f"SELECT * FROM {_source(ws, con, table)}").arrow()
    declared = PUBLISHED_TABLES.get(table)
    types = {c.name: PG_TYPES[c.type] for c in declared.columns} if declared else {}
    key = declared.key if declared else ()
    _, rows = upsert(url, data, key, types)
    if "customer_id" in data.column_names:
        remember_database_target(ws, url, table)
    return rows


#: the database tables crmine wrote customer rows to (``crmine forget`` erases there too)
DATABASE_TARGETS = "database_targets.json"


def remember_database_target(ws: Workspace, url: str, table: str) -> None:
    """Record a database table that now holds customer rows, without its password."""
    import json
    from datetime import datetime

    from crmine.io.postgres import without_password

    path = ws.private_dir / DATABASE_TARGETS
    targets = database_targets(ws)
    clean = without_password(url)
    targets = [t for t in targets if t["url"] != clean]
    targets.append({"url": clean, "table": table, "column": "customer_id",
                    "last_export": datetime.now().isoformat(timespec="seconds")})  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(targets, indent=2), encoding="utf-8")
    os.replace(tmp, path)


def database_targets(ws: Workspace) -> list[dict[str, str]]:
    """The database tables ``crmine export`` wrote customer rows to, oldest first."""
    import json

    path = ws.private_dir / DATABASE_TARGETS
    if not path.exists():
        return []
    return list(json.loads(path.read_text("utf-8")))


def available_tables(ws: Workspace) -> tuple[list[str], list[str]]:
    """(published, loaded) table names."""
    snap = SnapshotStore(ws.snapshots_dir).current()
    published = snap.tables() if snap else []
    loaded: list[str] = []
    if ws.warehouse_path.exists():
        with ws.connect(read_only=True) as con:
            loaded = sorted(t for t in con.tables() if not t.startswith("_"))
    return published, loaded


def _source(ws: Workspace, con: Engine, table: str) -> str:
    snap = SnapshotStore(ws.snapshots_dir).current()
    if snap is not None and table in snap.tables():
        return con.parquet(snap.table_path(table))
    if table in con.tables() and not table.startswith("_"):
        return table
    published, loaded = available_tables(ws)
    raise CrmineError(
        f"no table {table!r}; published: {', '.join(published) or 'none (run crmine run)'}; "
        f"loaded: {', '.join(loaded) or 'none (run crmine ingest)'}"
    )


def _to_excel(frame, path: Path) -> None:
    import pandas as pd

    for col in frame.columns:
        kind = frame[col].dtype
        if kind is object or str(kind) == "object":  # lists and dicts: cells hold text
            frame[col] = frame[col].map(
                lambda v: "; ".join(map(str, v)) if isinstance(v, list | tuple) else v
            )
        elif isinstance(kind, pd.DatetimeTZDtype):
            frame[col] = frame[col].dt.tz_localize(None)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name="data")
