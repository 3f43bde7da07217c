"""``crmine forget``: erase one customer everywhere crmine keeps data, and keep a tombstone.

Erased: their rows in every warehouse table (ids merged with theirs included; quarantined
rows whose raw values mention their id, e-mail or phone; merge records; alerts), their rows
in every snapshot (each Parquet file rewritten and swapped in atomically, one at a time),
reports under DIR that mention them (removed: ``crmine report`` makes a new one), and their
id in the audit log (replaced by its keyed hash). The warehouse is then rewritten into a
fresh file, because a database file keeps deleted values in its free pages until then. A
tombstone (keyed hashes of the id, e-mail and phone) lets a re-ingest of the same source
leave their rows out. Nothing readable about them remains; the erasure itself is audited.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from crmine.errors import CrmineError
from crmine.quality.tombstones import IDENTIFYING, TOMBSTONES_DDL, keyed_hash

if TYPE_CHECKING:
    from crmine.engine import Engine, Workspace


@dataclass
class Erasure:
    ids: list[str]
    warehouse: dict[str, int] = field(default_factory=dict)
    snapshots: dict[str, int] = field(default_factory=dict)  # rows removed per snapshot
    reports: list[str] = field(default_factory=list)
    audit_rows: int = 0
    databases: dict[str, int] = field(default_factory=dict)  # rows deleted per database table


def forget(ws: Workspace, customer_id: str, *, actor: str = "crmine forget") -> Erasure:
    with ws.lock("crmine forget"):
        return _forget(ws, customer_id, actor)


def _forget(ws: Workspace, customer_id: str, actor: str) -> Erasure:
    from crmine.pipeline.snapshots import SnapshotStore
    from crmine.privacy.access import AccessStore
    from crmine.privacy.subject import merged_ids

    key = ws.secret_key(create=True)
    assert key is not None
    if not ws.warehouse_path.exists():
        raise CrmineError(f"{ws.root} has no warehouse: nothing to erase")
    with ws.connect() as con:
        ids = merged_ids(con, customer_id)
        contacts = _contacts(con, ids)
        values = {v for vs in contacts.values() for v in vs} | set(ids)
        if not _held(con, ids) and not _in_snapshots(SnapshotStore(ws.snapshots_dir), ids):
            raise CrmineError(f"nothing is held about customer {customer_id!r} in {ws.root}")
        erasure = Erasure(ids)
        erasure.databases = _erase_databases(ws, ids)  # first: an unreachable one stops it all
        with con.transaction():
            erasure.warehouse = _erase_warehouse(con, ids, values)
            con.execute(TOMBSTONES_DDL)
            stones = [(kind, keyed_hash(key, kind, v)) for kind, vs in
                      {"customer_id": ids, **contacts}.items() for v in vs]  # fmt: skip
            for kind, digest in stones:
                con.execute("INSERT INTO tombstones VALUES (?, ?, now())", [kind, digest])
    ws.compact()
    for snap in SnapshotStore(ws.snapshots_dir).all():
        removed = _erase_snapshot(snap.path, ids, values)
        if removed:
            erasure.snapshots[snap.run_id] = removed
    erasure.reports = _erase_reports(ws.root, values)
    access = AccessStore(ws.root)
    erasure.audit_rows = _scrub_audit(access.path, ids, key)
    access.audit(actor, "erasure", keyed_hash(key, "customer_id", customer_id))
    return erasure


def _erase_databases(ws: Workspace, ids: list[str]) -> dict[str, int]:
    """Delete the customer from every database table ``crmine export`` wrote customer rows
    to. Done before anything local: when one cannot be reached the erasure stops with nothing
    changed here, so running it again once the database is back finishes the job."""
    from crmine.io.postgres import delete_rows
    from crmine.pipeline.exporting import database_targets

    done: dict[str, int] = {}
    for target in database_targets(ws):
        try:
            label, rows = delete_rows(target["url"], target["column"], ids)
        except CrmineError as exc:
            raise CrmineError(
                f"{exc}; nothing was erased: crmine exported customer rows there, so it must "
                "erase them there too (run crmine forget again once it can be reached)"
            ) from None
        done[label] = rows
    return done


def _contacts(con: Engine, ids: list[str]) -> dict[str, list[str]]:
    """The e-mails and phones on file for these ids (for the tombstone and the scrub)."""
    if "customers" not in con.tables():
        return {}
    cols = [c for c in IDENTIFYING[1:] if c in con.columns("customers")]
    marks = ", ".join("?" * len(ids))
    out: dict[str, list[str]] = {}
    for c in [*cols, *(["name"] if "name" in con.columns("customers") else [])]:
        rows = con.execute(f"SELECT DISTINCT CAST({con.quote(c)} AS VARCHAR) FROM customers "
                           f"WHERE CAST(customer_id AS VARCHAR) IN ({marks}) AND "
                           f"{con.quote(c)} IS NOT NULL", ids).fetchall()  # fmt: skip
        if rows:
            out[c] = [r[0] for r in rows]
    return out


def _held(con: Engine, ids: list[str]) -> bool:
    marks = ", ".join("?" * len(ids))
    for table in con.tables():
        if "customer_id" in con.columns(table) and con.scalar(
                f"SELECT count(*) FROM {con.quote(table)} WHERE "
                f"CAST(customer_id AS VARCHAR) IN ({marks})", ids):  # fmt: skip
            return True
    return False


def _in_snapshots(store, ids: list[str]) -> bool:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    for snap in store.all():
        for path in snap.path.glob("*.parquet"):
            table = pq.read_table(path)
            if "customer_id" in table.column_names and pc.any(pc.is_in(
                    pc.cast(table["customer_id"], "string"), value_set=_set(ids))).as_py():
                return True
    return False


def _set(values):
    import pyarrow as pa

    return pa.array(sorted(values), pa.string())


def _erase_warehouse(con: Engine, ids: list[str], values: set[str]) -> dict[str, int]:
    """Delete every row naming them; returns rows deleted per table."""
    marks = ", ".join("?" * len(ids))
    out: dict[str, int] = {}
    for table in sorted(con.tables()):
        columns = con.columns(table)
        q = con.quote(table)
        tests, params = [], []
        for c in ("customer_id", "old_id", "new_id", "customer_id_a", "customer_id_b",
                  "id_a", "id_b"):  # fmt: skip
            if c in columns:
                tests.append(f"CAST({con.quote(c)} AS VARCHAR) IN ({marks})")
                params += ids
        for c in ("raw_values", "row_json"):  # values kept as text: any mention of them
            if c in columns:
                for v in sorted(values):
                    tests.append(f"CAST({con.quote(c)} AS VARCHAR) LIKE ? ESCAPE '\\'")
                    params.append(f"%{_escaped(v)}%")
        if not tests:
            continue
        n = con.scalar(f"SELECT count(*) FROM {q} WHERE {' OR '.join(tests)}", params)
        if n:
            con.execute(f"DELETE FROM {q} WHERE {' OR '.join(tests)}", params)
            out[table] = int(n)
    return out


def _escaped(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)[1:-1].replace("%", "\\%").replace("_", "\\_")


def _erase_snapshot(folder: Path, ids: list[str], values: set[str]) -> int:
    """Rewrite each Parquet file of a snapshot without their rows; rows removed."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    removed = 0
    for path in sorted(folder.glob("*.parquet")):
        table = pq.read_table(path)
        keep = None
        for c in ("customer_id", "old_id", "new_id"):
            if c in table.column_names:
                hit = pc.is_in(pc.cast(table[c], "string"), value_set=_set(ids))
                hit = pc.fill_null(hit, False)
                keep = pc.invert(hit) if keep is None else pc.and_(keep, pc.invert(hit))
        if keep is None:
            continue
        kept = table.filter(keep)
        if kept.num_rows == table.num_rows:
            continue
        tmp = path.with_name(f".{path.name}.tmp")
        pq.write_table(kept, tmp, compression="zstd")
        os.replace(tmp, path)
        removed += table.num_rows - kept.num_rows
    return removed


def _erase_reports(root: Path, values: set[str]) -> list[str]:
    """HTML reports under the workspace that mention them are removed (regenerate them)."""
    gone = []
    needles = [v.encode("utf-8") for v in values if len(v) >= 2]
    for path in root.rglob("*.html"):
        data = path.read_bytes()
        if any(n in data for n in needles):
            path.unlink()
            gone.append(str(path.relative_to(root)))
    return gone


def _scrub_audit(path: Path, ids: list[str], key: str) -> int:
    """Audit rows keep what happened, with the id replaced by its keyed hash."""
    if not path.exists():
        return 0
    with closing(sqlite3.connect(path, isolation_level=None)) as con:
        n = 0
        for cid in ids:
            n += con.execute("UPDATE audit_log SET subject = ? WHERE subject = ?",
                             [keyed_hash(key, "customer_id", cid), cid]).rowcount
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.execute("VACUUM")
    return n
