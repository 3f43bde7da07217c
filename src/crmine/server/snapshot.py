"""The snapshot a request reads: the newest one loaded when the request starts.

Each published snapshot is copied into an in-memory DuckDB. A request takes one and keeps
it to the end, so a run that publishes meanwhile neither fails the request nor mixes two
snapshots into one answer. The ``CURRENT`` pointer is read per request (a few bytes); a new
run loads in the background and is served as soon as it is ready.
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
    """Serves the newest snapshot that is loaded; a newer one loads in the background.

    Loading copies the snapshot's tables into memory (a card is then a few index-free scans
    of in-memory columns, not Parquet reads); until it is ready, requests keep reading the
    previous snapshot, so a publish never makes a request wait or fail. The first snapshot is
    loaded by the first request.
    """

    def __init__(self, snapshots_dir: Path) -> None:
        self.store = SnapshotStore(snapshots_dir)
        self._open: OrderedDict[tuple[str, int], tuple[Snapshot, Engine, frozenset[str]]] = (
            OrderedDict())
        self._loading: set[tuple[str, int]] = set()
        self._lock = threading.Lock()

    def current(self) -> View | None:
        snap = self.store.current()
        if snap is None:
            return None
        version = _version(snap)
        with self._lock:
            ready = version in self._open
            rewritten = not ready and any(k[0] == snap.run_id for k in self._open)
            start = (not ready and not rewritten and version not in self._loading
                     and bool(self._open))  # fmt: skip
            if start:
                self._loading.add(version)
        if start:
            threading.Thread(target=self._load, args=(snap, version), daemon=True).start()
        if rewritten or (not ready and not self._open):
            # a snapshot rewritten in place (an erasure) is never served from the old copy;
            # with nothing loaded yet, the first request loads it
            self._load(snap, version)
        with self._lock:
            latest = next(reversed(self._open.values()))
            snap_, engine, tables = self._open.get(version, latest)
            return View(snap_, engine.cursor(), tables)

    def _load(self, snap: Snapshot, version: tuple[str, int]) -> None:
        try:
            loaded = _open(snap)
        finally:
            with self._lock:
                self._loading.discard(version)
        with self._lock:
            for stale in [k for k in self._open if k[0] == snap.run_id and k != version]:
                del self._open[stale]
            self._open[version] = (snap, *loaded)
            while len(self._open) > KEEP:  # dropped, not closed: a request may still read
                self._open.popitem(last=False)  # it; it goes when its last cursor does


def _version(snap: Snapshot) -> tuple[str, int]:
    """The run and the newest modification of its files (an erasure rewrites them)."""
    return snap.run_id, max((p.stat().st_mtime_ns for p in snap.path.glob("*.parquet")),
                            default=0)  # fmt: skip


def _open(snap: Snapshot) -> tuple[Engine, frozenset[str]]:
    from crmine.engine.duck import DuckDBEngine

    engine = DuckDBEngine.memory()
    tables = snap.tables()
    for table in tables:
        q = engine.quote(table)
        engine.execute(f"CREATE TABLE {q} AS SELECT * FROM {engine.parquet(snap.table_path(table))}")
    return engine, frozenset(tables)
