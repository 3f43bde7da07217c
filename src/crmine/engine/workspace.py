"""A workspace: one folder holding settings, the warehouse and published snapshots.

    DIR/crmine.toml        settings (documented defaults, written by ``crmine init``)
    DIR/warehouse.duckdb   loaded, cleaned tables (+ quarantine, ingest log)
    DIR/warehouse-spark/   the same, one Parquet folder per table, with ``engine = "spark"``
    DIR/snapshots/RUN_ID/  one folder of Parquet files per successful run
    DIR/snapshots/CURRENT  the id of the snapshot being served, replaced atomically
    DIR/.crmine/           private: the secret key, API tokens and the audit log
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from crmine.config import CONFIG_FILE, Config, load_config, template_text
from crmine.errors import WorkspaceError

if TYPE_CHECKING:
    from crmine.engine.base import Engine

WAREHOUSE_FILE = "warehouse.duckdb"
SPARK_WAREHOUSE_DIR = "warehouse-spark"
SNAPSHOTS_DIR = "snapshots"


@dataclass(frozen=True)
class Workspace:
    root: Path

    @classmethod
    def init(cls, root: str | Path) -> Workspace:
        """Create the folder, a commented crmine.toml and an empty warehouse (idempotent)."""
        ws = cls(Path(root))
        if ws.root.exists() and not ws.root.is_dir():
            raise WorkspaceError(f"{ws.root} exists and is not a folder")
        ws.root.mkdir(parents=True, exist_ok=True)
        if not ws.config_path.exists():
            ws.config_path.write_text(template_text(), encoding="utf-8")
        ws.snapshots_dir.mkdir(exist_ok=True)
        with ws.connect():
            pass
        return ws

    @classmethod
    def open(cls, root: str | Path) -> Workspace:
        ws = cls(Path(root))
        if not ws.config_path.exists():
            raise WorkspaceError(
                f"{ws.root} is not a crmine workspace (no {CONFIG_FILE}); "
                f"create one with: crmine init {ws.root}"
            )
        ws.config  # noqa: B018 - validate settings early, with a clear error
        return ws

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_FILE

    @property
    def engine_name(self) -> str:
        """``[workspace] engine``: the engine :meth:`connect` opens."""
        return self.config.workspace.engine

    @property
    def warehouse_path(self) -> Path:
        """The DuckDB file, or the folder of Parquet tables for the Spark engine."""
        if self.engine_name == "spark":
            return self.root / SPARK_WAREHOUSE_DIR
        return self.root / WAREHOUSE_FILE

    @property
    def snapshots_dir(self) -> Path:
        return self.root / SNAPSHOTS_DIR

    @cached_property
    def config(self) -> Config:
        return load_config(self.config_path)

    @property
    def private_dir(self) -> Path:
        """``DIR/.crmine``: the key, tokens and audit log; never in snapshots or exports."""
        return self.root / ".crmine"

    def secret_key(self, *, create: bool = False) -> str | None:
        """The workspace's secret key (``DIR/.crmine/key``, mode 0600), made on first need."""
        import os
        import secrets

        path = self.private_dir / "key"
        if not path.exists():
            if not create:
                return None
            self.private_dir.mkdir(mode=0o700, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
        return path.read_text().strip()

    def lock(self, command: str):
        """Hold the workspace for one changing command (see :mod:`crmine.engine.lock`)."""
        from crmine.engine.lock import workspace_lock

        return workspace_lock(self.private_dir, command)

    def compact(self) -> None:
        """Rewrite the warehouse into a fresh file and swap it in. A database file keeps
        deleted values in its free pages; after an erasure none may remain. The Spark
        warehouse needs nothing: every change there writes whole new folders and removes
        the old ones."""
        import os

        if self.engine_name == "spark":
            return

        import duckdb

        from crmine.engine.quoting import quote_literal

        fresh = self.warehouse_path.with_name(".warehouse.compact.duckdb")
        fresh.unlink(missing_ok=True)
        con = duckdb.connect(str(self.warehouse_path))
        try:
            con.execute(f"ATTACH {quote_literal(str(fresh))} AS fresh")
            con.execute(f"COPY FROM DATABASE {self.warehouse_path.stem} TO fresh")
            con.execute("DETACH fresh")
        finally:
            con.close()
        os.replace(fresh, self.warehouse_path)

    def resolve(self, path: str | Path) -> Path:
        """A path from the settings, relative to the workspace unless absolute."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.root / p

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[Engine]:
        """The warehouse behind the engine API (``[workspace] engine``), closed at the end."""
        import duckdb

        from crmine.engine.duck import DuckDBEngine

        if read_only and not self.warehouse_path.exists():
            raise WorkspaceError(f"{self.root} has no warehouse yet; run crmine ingest first")
        if self.engine_name == "spark":
            with self._connect_spark(read_only) as spark_engine:
                yield spark_engine
            return
        try:
            con = duckdb.connect(str(self.warehouse_path), read_only=read_only)
        except duckdb.IOException as exc:
            raise WorkspaceError(f"cannot open {self.warehouse_path}: {exc}") from None
        engine = DuckDBEngine(con)
        try:
            yield engine
        finally:
            engine.close()

    @contextmanager
    def _connect_spark(self, read_only: bool) -> Iterator[Engine]:
        from crmine.engine.base import EngineError
        from crmine.engine.spark import SparkEngine, spark_session

        try:
            session = spark_session(self.config.spark)
        except EngineError as exc:
            raise WorkspaceError(str(exc)) from None
        engine = SparkEngine(session, self.warehouse_path, read_only=read_only)
        try:
            yield engine
        finally:
            engine.close()
