"""``crmine run``: features → every model the data supports → one published snapshot.

Each step declares the tables it needs; a step whose data is absent is skipped with the
reason, so a workspace holding only customers, only orders or only feedback still runs.
Steps add tables to the snapshot and rows to the ``models`` table; nothing is published
unless every step that ran finished (see :mod:`crmine.pipeline.snapshots`).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crmine.engine.workspace import Workspace, table_names
from crmine.errors import WorkspaceError
from crmine.pipeline.snapshots import SnapshotStore

if TYPE_CHECKING:
    import duckdb
    import pandas as pd
    from rich.console import Console

log = logging.getLogger(__name__)


@dataclass
class RunContext:
    ws: Workspace
    con: duckdb.DuckDBPyConnection
    as_of: date
    horizon_days: int
    available: set[str]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    models: list[dict[str, Any]] = field(default_factory=list)

    @property
    def as_of_ts(self) -> datetime:
        return datetime.combine(self.as_of, datetime.min.time())

    def ibis(self):
        """The warehouse as an Ibis backend (features are written once in Ibis)."""
        import ibis

        return ibis.duckdb.from_connection(self.con)

    def record_model(
        self,
        name: str,
        parameters: dict[str, Any],
        *,
        training_window: str,
        metrics: dict[str, Any] | None = None,
        rows: int | None = None,
    ) -> None:
        self.models.append(
            {
                "name": name,
                "parameters": json.dumps(parameters, default=str, ensure_ascii=False),
                "training_window": training_window,
                "training_rows": rows,
                "metrics": json.dumps(metrics or {}, default=str),
            }
        )


@dataclass(frozen=True)
class Step:
    name: str
    needs: tuple[tuple[str, ...], ...]  # each inner tuple: any one of these tables will do
    run: Callable[[RunContext], str]  # returns a one-line detail

    def missing(self, available: set[str]) -> list[str]:
        return [" or ".join(alt) for alt in self.needs if not set(alt) & available]


@dataclass
class StepOutcome:
    name: str
    status: str  # done | skipped
    detail: str
    seconds: float


@dataclass
class RunResult:
    run_id: str
    snapshot_path: Path
    as_of: date
    horizon_days: int
    steps: list[StepOutcome]
    tables: dict[str, int]


def default_steps() -> list[Step]:
    """Every step, in order: customer features and RFM first, the models that read them after."""
    from crmine.pipeline import steps, steps_basket, steps_next, steps_predict, steps_voice

    voice = {s.name: s for s in steps_voice.STEPS}
    return [
        *steps.STEPS,  # customer features, RFM
        voice["feedback sentiment"],
        voice["topics"],
        voice["service signals"],  # joins the customer features the models read
        *steps_predict.STEPS,
        *steps_basket.STEPS,
        *steps_next.STEPS,  # recommendations, clusters, next categories
        voice["nps and drivers"],  # by segment and cluster, so after both
    ]


def default_as_of(con: duckdb.DuckDBPyConnection, available: set[str]) -> date:
    """The day after the last order; today when there are no orders."""
    for table, column in (("orders", "order_ts"), ("feedback", "ts"), ("interactions", "ts")):
        if table in available:
            last = con.execute(f"SELECT max({column}) FROM {table}").fetchone()[0]
            if last is not None:
                return (last.date() if isinstance(last, datetime) else last) + timedelta(days=1)
    return date.today()


def run(
    ws: Workspace,
    *,
    as_of: date | None = None,
    horizon_days: int | None = None,
    steps: list[Step] | None = None,
    console: Console | None = None,
) -> RunResult:
    steps = steps if steps is not None else default_steps()
    horizon = horizon_days or ws.config.run.horizon_days
    if horizon <= 0:
        raise WorkspaceError("--horizon must be a positive number of days")
    store = SnapshotStore(ws.snapshots_dir)
    with ws.connect(read_only=True) as con:
        available = {t for t in table_names(con) if _has_rows(con, t)} & _INPUTS
        if not available:
            raise WorkspaceError(
                f"{ws.root} holds no data yet; load some with: crmine ingest {ws.root} orders=FILE"
            )
        ctx = RunContext(ws, con, as_of or default_as_of(con, available), horizon, available)
        outcomes: list[StepOutcome] = []
        with store.writer() as writer, _progress(console, len(steps)) as advance:
            for step in steps:
                started = time.perf_counter()
                missing = step.missing(available)
                if missing:
                    outcomes.append(StepOutcome(step.name, "skipped", f"needs {', '.join(missing)}", 0.0))
                else:
                    detail = step.run(ctx)
                    status = "skipped" if detail.startswith("skipped:") else "done"
                    detail = detail.removeprefix("skipped:").strip()
                    outcomes.append(StepOutcome(step.name, status, detail, time.perf_counter() - started))
                advance(step.name)
            if ctx.models:
                import pandas as pd

                ctx.tables["models"] = pd.DataFrame(ctx.models)
            for name, frame in ctx.tables.items():
                writer.add(name, frame)
            writer.meta.update(
                as_of=ctx.as_of.isoformat(),
                horizon_days=horizon,
                created_at=datetime.now().isoformat(timespec="seconds"),
                inputs={t: _rows(con, t) for t in sorted(available)},
                steps=[o.__dict__ for o in outcomes],
                tables={k: len(v) for k, v in ctx.tables.items()},
            )
        snapshot = writer.published
    assert snapshot is not None
    return RunResult(
        snapshot.run_id,
        snapshot.path,
        ctx.as_of,
        horizon,
        outcomes,
        {k: len(v) for k, v in ctx.tables.items()},
    )


_INPUTS = {"customers", "orders", "products", "feedback", "interactions", "campaigns", "subscriptions"}


def _has_rows(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return con.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()[0]


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


class _progress:
    """A Rich progress bar over the steps, or nothing when there is no console."""

    def __init__(self, console: Console | None, total: int):
        self.console, self.total = console, total

    def __enter__(self) -> Callable[[str], None]:
        if self.console is None:
            return lambda name: None
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(), console=self.console, transient=True,
        )
        self.bar.__enter__()
        task = self.bar.add_task("run", total=self.total)
        return lambda name: self.bar.update(task, advance=1, description=name)

    def __exit__(self, *exc: object) -> None:
        if self.console is not None:
            self.bar.__exit__(*exc)
