"""The snapshot a request reads: whichever is current when the request starts.

Each published snapshot gets an in-memory DuckDB whose views read its Parquet files. A
request takes the current one (the ``CURRENT`` pointer is read per request, a few bytes) and
keeps it to the end, so a run that publishes meanwhile neither fails the request nor mixes
two snapshots into one answer; the next request sees the new run. Snapshot folders are
immutable and never deleted, so an old view stays readable while a request still uses it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from crmine.engine.base import Engine
from crmine.pipeline.snapshots import Snapshot, SnapshotStore

KEEP = 2  # snapshots kept open: the current one and the one requests may still be reading


@dataclass(frozen=True)
class View:
    snapshot: Snapshot
    engine: Engine  # a cursor of its own: one per request
    tables: frozenset[str]

    @property
    def run_id(self) -> str:
        return self.snapshot.run_id


class SnapshotReader:
    def __init__(self, snapshots_dir: Path) -> None:
        self.store = SnapshotStore(snapshots_dir)
        self._open: OrderedDict[str, tuple[Engine, frozenset[str]]] = OrderedDict()
        self._lock = threading.Lock()

    def current(self) -> View | None:
        snap = self.store.current()
        if snap is None:
            return None
        with self._lock:
            if snap.run_id not in self._open:
                self._open[snap.run_id] = _open(snap)
                while len(self._open) > KEEP:  # dropped, not closed: a request may still read
                    self._open.popitem(last=False)  # it; it goes when its last cursor does
            engine, tables = self._open[snap.run_id]
            return View(snap, engine.cursor(), tables)


def _open(snap: Snapshot) -> tuple[Engine, frozenset[str]]:
    from crmine.engine.duck import DuckDBEngine

    engine = DuckDBEngine.memory()
    tables = snap.tables()
    for table in tables:
        engine.execute(f"CREATE VIEW {engine.quote(table)} AS SELECT * FROM "
                       f"{engine.parquet(snap.table_path(table))}")  # fmt: skip
    return engine, frozenset(tables)
