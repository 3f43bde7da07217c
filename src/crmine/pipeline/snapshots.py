"""Published results: one immutable folder of Parquet files per run, and a CURRENT pointer.

A run writes into a hidden temporary folder, renames it into place only when every table
is written, then swaps ``CURRENT`` with ``os.replace`` (atomic on POSIX). A run that fails
at any point leaves the previous snapshot and pointer untouched, and readers never see a
half-written snapshot.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crmine.errors import WorkspaceError

if TYPE_CHECKING:
    import pandas as pd

POINTER = "CURRENT"
META = "run.json"
FITTED = "fitted"  # the fitted models a run kept, one pickle each

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    path: Path

    @property
    def run_id(self) -> str:
        return self.path.name

    @property
    def meta(self) -> dict[str, Any]:
        return json.loads((self.path / META).read_text("utf-8"))

    def tables(self) -> list[str]:
        return sorted(p.stem for p in self.path.glob("*.parquet"))

    def table_path(self, name: str) -> Path:
        path = self.path / f"{name}.parquet"
        if not path.exists():
            raise WorkspaceError(
                f"the current results have no table {name!r}; "
                f"published: {', '.join(self.tables()) or 'none'}"
            )
        return path

    def read(self, name: str) -> pd.DataFrame:
        import pandas as pd

        return pd.read_parquet(self.table_path(name))

    def fitted(self, name: str) -> Any | None:
        """The fitted model ``name`` this run kept (``fitted/NAME.pkl``), or None when it kept
        none or it no longer loads (written by another version of a library)."""
        import pickle

        path = self.path / FITTED / f"{name}.pkl"
        if not path.exists():
            return None
        try:
            with path.open("rb") as fh:
                return pickle.load(fh)  # the workspace's own file, written by add_fitted
        except Exception as exc:  # an unreadable champion is no champion
            log.warning("the fitted model %s of run %s does not load: %s", name, self.run_id, exc)
            return None


class SnapshotStore:
    def __init__(self, root: Path):
        self.root = root

    def current(self) -> Snapshot | None:
        pointer = self.root / POINTER
        if not pointer.exists():
            return None
        path = self.root / pointer.read_text("utf-8").strip()
        return Snapshot(path) if (path / META).exists() else None

    def require_current(self) -> Snapshot:
        snap = self.current()
        if snap is None:
            raise WorkspaceError(
                f"{self.root.parent} has no published results yet; run: crmine run {self.root.parent}"
            )
        return snap

    def all(self) -> list[Snapshot]:
        """Every published snapshot, in the order they were published (run ids name the
        second, so two runs within one second are told apart by ``published_ns``)."""
        found = [Snapshot(p) for p in self.root.iterdir() if p.is_dir() and (p / META).exists()]
        return sorted(found, key=lambda s: (s.run_id[:15], s.meta.get("published_ns", 0), s.run_id))

    @contextmanager
    def writer(self) -> Iterator[SnapshotWriter]:
        """Collect a run's tables; publish them all at once on success, nothing on failure.

        A folder left half-written by a killed run is removed first (runs hold the workspace
        lock, so no other run is writing one)."""
        self.root.mkdir(parents=True, exist_ok=True)
        for stale in self.root.glob(".tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)
        run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)
        tmp = self.root / f".tmp-{run_id}"
        tmp.mkdir()
        writer = SnapshotWriter(tmp, run_id)
        try:
            yield writer
            writer.write_meta({"run_id": run_id, **writer.meta, "published_ns": time.time_ns()})
            final = self.root / run_id
            os.rename(tmp, final)
            _write_atomic(self.root / POINTER, run_id)
            writer.published = Snapshot(final)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)


class SnapshotWriter:
    def __init__(self, folder: Path, run_id: str = ""):
        self.folder = folder
        self.run_id = run_id
        self.meta: dict[str, Any] = {}
        self.published: Snapshot | None = None

    def add(self, name: str, frame: Any) -> None:
        """Write a pandas DataFrame or Arrow table as ``name.parquet``."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(
            frame, preserve_index=False
        )
        pq.write_table(table, self.folder / f"{name}.parquet", compression="zstd")

    def add_fitted(self, name: str, model: Any) -> None:
        """Keep a fitted model with the snapshot (``fitted/NAME.pkl``), for the next run's
        champion/challenger comparison. Models hold parameters, never customer rows."""
        import pickle

        folder = self.folder / FITTED
        folder.mkdir(exist_ok=True)
        with (folder / f"{name}.pkl").open("wb") as fh:
            pickle.dump(model, fh, protocol=pickle.HIGHEST_PROTOCOL)

    def write_meta(self, meta: Mapping[str, Any]) -> None:
        (self.folder / META).write_text(
            json.dumps(meta, indent=2, default=str, ensure_ascii=False), encoding="utf-8"
        )


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(3)}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
