"""The quarantine table: every input row that was not loaded, with the reason.

Rows are never dropped: a row either lands in its canonical table or here, with the source
file, its row number as a person sees it in the file, its raw values (JSON) and a reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crmine.engine.base import Engine

QUARANTINE_DDL = """
CREATE TABLE IF NOT EXISTS quarantine (
    entity VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    source_row BIGINT NOT NULL,
    reason VARCHAR NOT NULL,
    detail VARCHAR,
    raw_values JSON,
    ingested_at TIMESTAMP NOT NULL
)
"""

INGEST_LOG_DDL = """
CREATE TABLE IF NOT EXISTS ingest_log (
    entity VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    rows_read BIGINT NOT NULL,
    rows_loaded BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL,
    ingested_at TIMESTAMP NOT NULL
)
"""


def ensure_tables(con: Engine) -> None:
    con.execute(QUARANTINE_DDL)
    con.execute(INGEST_LOG_DDL)


def reason_counts(con: Engine, staged: str) -> dict[str, int]:
    """Quarantined rows of a staged table, counted by reason, largest first."""
    rows = con.execute(
        f"SELECT _reason, count(*) FROM {staged} WHERE _reason IS NOT NULL "
        "GROUP BY 1 ORDER BY 2 DESC, 1"
    ).fetchall()
    return {r: int(n) for r, n in rows}
