"""Tombstones: keyed hashes of erased customers' ids and contact details.

``crmine forget`` records ``sha256(key || value)`` of the id, e-mail and phone of every
erased customer (the key lives in ``DIR/.crmine/key``, never in snapshots or exports), so
nothing readable about them stays behind, yet a later ingest of the same source can tell
their rows apart: those go to the quarantine as ``erased``, without their raw values.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from crmine.engine.quoting import quote_identifier, quote_literal

if TYPE_CHECKING:
    from crmine.engine.base import Engine

TOMBSTONES_DDL = "CREATE TABLE IF NOT EXISTS tombstones (kind VARCHAR, value_hash VARCHAR, erased_at TIMESTAMP)"
#: columns whose values identify a person, as they are stored (ids as text, e-mails lower-case)
IDENTIFYING = ("customer_id", "email", "phone")
ERASED = "erased"


def normalised(kind: str, value: object) -> str:
    text = str(value).strip()
    return text.lower() if kind == "email" else text


def keyed_hash(key: str, kind: str, value: object) -> str:
    return hashlib.sha256(f"{key}{normalised(kind, value)}".encode()).hexdigest()


def _sql_hash(key: str, kind: str, column: str) -> str:
    text = f"trim(CAST({quote_identifier(column)} AS VARCHAR))"
    if kind == "email":
        text = f"lower({text})"
    return f"sha256({quote_literal(key)} || {text})"


def mark_erased(con: Engine, staged: str, key: str | None) -> int:
    """Quarantine as ``erased`` the staged rows of a tombstoned customer; how many."""
    if key is None or "tombstones" not in con.tables():
        return 0
    present = [c for c in IDENTIFYING if c in con.columns(staged)]
    if not present:
        return 0
    tests = " OR ".join(
        f"{_sql_hash(key, c, c)} IN (SELECT value_hash FROM tombstones WHERE kind = "
        f"{quote_literal(c)})" for c in present
    )
    before = con.scalar(f"SELECT count(*) FROM {staged} WHERE _reason = '{ERASED}'")
    # any other reason too: a quarantined row would keep their raw values
    con.execute(f"UPDATE {staged} SET _reason = '{ERASED}', _detail = NULL "
                f"WHERE _reason IS DISTINCT FROM '{ERASED}' AND ({tests})")  # fmt: skip
    return int(con.scalar(f"SELECT count(*) FROM {staged} WHERE _reason = '{ERASED}'") - before)
