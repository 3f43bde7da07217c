"""``crmine export`` of a table holding personal data leaves an entry in the audit log.

Who read or exported which personal data must be answerable afterwards (GDPR art. 30, the
CCPA's record of disclosures): an export of ``customers`` or ``customer_profiles`` copies
every name, e-mail and phone out of the workspace's control. A table holds personal data
when it has a name, e-mail or phone column of customers stored in clear, or the raw
records of customers (``quarantine``, ``customer_merges``) while any of those columns is
stored in clear. Columns kept as keyed hashes (``[privacy] pseudonymise``) do not count.
The actor is the operating-system user running the command.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crmine.engine import Workspace

#: tables whose JSON columns keep whole customer records as they were read
RECORD_TABLES = ("quarantine", "customer_merges")
#: tables whose ``name`` column is a customer's, not a product's
PERSON_TABLES = ("customers", "customer_profiles")


def personal_columns(ws: Workspace, table: str) -> list[str]:
    """The personal-data columns of ``table`` that are stored in clear (empty: none)."""
    from crmine.schema import PERSONAL_COLUMNS

    clear = [c for c in PERSONAL_COLUMNS if c not in ws.config.privacy.pseudonymise]
    if not clear:
        return []
    if table in RECORD_TABLES:
        return [f"records ({', '.join(clear)})"]
    columns = _columns(ws, table)
    named = "customer_id" in columns or table in PERSON_TABLES
    return [c for c in clear if c in columns and (c != "name" or named)]


def _columns(ws: Workspace, table: str) -> list[str]:
    """The columns of the table ``crmine export`` would write (published ones first)."""
    import pyarrow.parquet as pq

    from crmine.pipeline.snapshots import SnapshotStore

    snap = SnapshotStore(ws.snapshots_dir).current()
    if snap is not None and table in snap.tables():
        return list(pq.read_schema(snap.table_path(table)).names)
    if ws.warehouse_path.exists():
        with ws.connect(read_only=True) as con:
            if table in con.tables():
                return list(con.columns(table))
    return []


def audited_export(ws: Workspace, table: str, output: Path | str, shown: str,
                   *, actor: str | None = None) -> int:  # fmt: skip
    """``export_table``, then an audit entry when the table holds personal data in clear."""
    from crmine.pipeline.exporting import export_table
    from crmine.privacy.access import AccessStore

    rows = export_table(ws, table, output)
    personal = personal_columns(ws, table)
    if personal:
        AccessStore(ws.root).audit(actor or _os_user(), "export",
                                   f"{table} [{', '.join(personal)}] {rows} rows → {shown}")  # fmt: skip
    return rows


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without passwd entry)
        import os

        return f"uid {os.getuid()}"
