"""``crmine subject``: everything held about one customer, as one JSON document.

Looked for everywhere crmine keeps data: every warehouse table with a ``customer_id`` (the
customers row, orders, feedback and interaction texts, campaigns, …), the records merged
into or out of this customer (``customer_merges``, followed both ways), quarantined rows
whose raw values mention the id, alerts sent about them, and every snapshot's tables (scores
and their reasons, recommendations, next categories, campaign scores, segment moves), naming
the snapshots that hold them. The request itself is written to the audit log.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crmine.errors import CrmineError

if TYPE_CHECKING:
    import pandas as pd

    from crmine.engine import Engine, Workspace

INTERNAL = ("_source", "_source_row")


def subject_access(ws: Workspace, customer_id: str, *, actor: str = "crmine subject") -> dict:
    """The document for ``customer_id`` (and every id merged with it)."""
    from crmine.pipeline.snapshots import SnapshotStore
    from crmine.privacy.access import AccessStore

    doc: dict[str, Any] = {"customer_id": customer_id,
                           "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
                           "ids": [customer_id], "warehouse": {}, "snapshots": {}}  # fmt: skip
    if ws.warehouse_path.exists():
        with ws.connect(read_only=True) as con:
            ids = merged_ids(con, customer_id)
            doc["ids"] = ids
            doc["warehouse"] = _warehouse(con, ids)
    ids = doc["ids"]
    for snap in SnapshotStore(ws.snapshots_dir).all():
        held = {}
        for table in snap.tables():
            frame = snap.read(table)
            if "customer_id" in frame:
                rows = frame[frame["customer_id"].astype("string").isin(ids)]
                if len(rows):
                    held[table] = _records(rows)
        if held:
            doc["snapshots"][snap.run_id] = held
    found = any(doc["warehouse"].values()) or doc["snapshots"]
    if not found:
        raise CrmineError(f"nothing is held about customer {customer_id!r} in {ws.root}")
    doc["summary"] = {
        "warehouse": {t: len(v) for t, v in doc["warehouse"].items() if v},
        "snapshots": sorted(doc["snapshots"]),
    }
    AccessStore(ws.root).audit(actor, "subject access", customer_id)
    return doc


def write_subject(ws: Workspace, customer_id: str, output: Path) -> dict:
    doc = subject_access(ws, customer_id)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=2, default=str), "utf-8")
    tmp.replace(output)
    return doc["summary"]


def merged_ids(con: Engine, customer_id: str) -> list[str]:
    """The id, the survivor it was merged into, and every id merged into either."""
    ids = {customer_id}
    if "customer_merges" in con.tables():
        for _ in range(3):  # maps are kept flat, so one or two rounds reach every id
            marks = ", ".join("?" * len(ids))
            rows = con.execute(f"SELECT old_id, new_id FROM customer_merges WHERE old_id IN "
                               f"({marks}) OR new_id IN ({marks})", [*ids, *ids]).fetchall()
            grown = ids | {str(v) for r in rows for v in r if v is not None}
            if grown == ids:
                break
            ids = grown
    return sorted(ids)


def _warehouse(con: Engine, ids: list[str]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    marks = ", ".join("?" * len(ids))
    for table in sorted(con.tables()):
        if table.startswith("_"):
            continue
        columns = con.columns(table)
        q = con.quote(table)
        if table == "customer_merges":
            frame = con.execute(f"SELECT * FROM {q} WHERE old_id IN ({marks}) OR new_id IN "
                                f"({marks})", [*ids, *ids]).df()  # fmt: skip
        elif table == "quarantine":
            likes = " OR ".join("CAST(raw_values AS VARCHAR) LIKE ?" for _ in ids)
            frame = con.execute(f"SELECT * FROM {q} WHERE {likes}",
                                [f"%{_json_text(i)}%" for i in ids]).df()  # fmt: skip
        elif "customer_id" in columns:
            frame = con.execute(f"SELECT * FROM {q} WHERE CAST(customer_id AS VARCHAR) IN "
                                f"({marks})", ids).df()  # fmt: skip
        else:
            continue
        out[table] = _records(frame.drop(columns=[c for c in INTERNAL if c in frame]))
    return out


def _json_text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)[1:-1]


def _records(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records", date_format="iso", force_ascii=False))
