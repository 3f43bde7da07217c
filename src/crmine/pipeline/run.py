"""``crmine run``: every declared step the data supports → one published snapshot.

The steps and their order come from their declarations (:mod:`crmine.pipeline.step`,
:mod:`crmine.pipeline.graph`). A step whose warehouse tables are absent is skipped with the
reason, so a workspace holding only customers, only orders or only feedback still runs.
Nothing is published unless every step that ran finished (see
:mod:`crmine.pipeline.snapshots`); a step that fails stops the run with a one-line error
and leaves the previous snapshot current. ``run.json`` records what the run used and did:
the settings in force and their hash, the input row counts, each step's result and timing,
and crmine's version, so a snapshot explains itself.

Progress goes out through a callback (``progress``); this module never prints.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crmine.engine.workspace import Workspace
from crmine.errors import CrmineError, WorkspaceError
from crmine.pipeline.snapshots import SnapshotStore
from crmine.pipeline.step import Step, StepContext, StepResult, model_rows

if TYPE_CHECKING:
    import pandas as pd

    from crmine.models.base import ModelRecord

log = logging.getLogger(__name__)

INPUTS = ("customers", "orders", "products", "feedback", "interactions", "campaigns",
          "subscriptions")  # fmt: skip


class StepFailed(CrmineError):
    """A step raised: nothing was published. ``details`` holds the traceback."""

    def __init__(self, message: str, details: str) -> None:
        super().__init__(message)
        self.details = details


@dataclass(frozen=True)
class StepOutcome:
    name: str
    status: str  # done | skipped | failed
    detail: str
    seconds: float


@dataclass(frozen=True)
class StepEvent:
    """Progress: step ``index`` of ``total`` is starting (outcome None) or has finished."""

    index: int
    total: int
    name: str
    outcome: StepOutcome | None = None


Progress = Callable[[StepEvent], None]


@dataclass
class RunResult:
    run_id: str
    snapshot_path: Path
    as_of: date
    horizon_days: int
    steps: list[StepOutcome]
    tables: dict[str, int]


def default_steps() -> list[Step]:
    """Every registered step, in the order their declarations imply."""
    from crmine.pipeline.graph import order_steps
    from crmine.pipeline.step import registered_steps

    return order_steps(registered_steps())


def steps_named(*names: str) -> list[Step]:
    """The named registered steps, in run order (a partial run; unknown names are an error)."""
    ordered = default_steps()
    unknown = set(names) - {s.name for s in ordered}
    if unknown:
        known = ", ".join(s.name for s in ordered)
        raise ValueError(f"no run step called {sorted(unknown)}; the steps are: {known}")
    return [s for s in ordered if s.name in names]


def input_tables(backend: Any) -> frozenset[str]:
    """The canonical input tables of the warehouse that hold at least one row."""
    present = set(backend.list_tables()) & set(INPUTS)
    return frozenset(t for t in present if int(backend.table(t).limit(1).count().execute()) > 0)


def data_fingerprint(backend: Any, available: set[str] | frozenset[str], settings_hash: str) -> str:
    """A hash of what a run would read: every ingested source (ingest_log: which file, which
    content, when), the input tables' row counts, and the settings. Equal fingerprints mean a
    new run would see exactly what the last one saw."""
    import hashlib
    import json

    log_rows: list = []
    if "ingest_log" in set(backend.list_tables()):
        log = backend.table("ingest_log")
        frame = log.select("entity", "source_file", "sha256", "ingested_at").to_pandas()
        log_rows = sorted(map(str, frame.itertuples(index=False, name=None)))
    counts = {t: int(backend.table(t).count().execute()) for t in sorted(available)}
    text = json.dumps([log_rows, counts, settings_hash], default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def unchanged_since_last_run(ws: Workspace, as_of: date | None = None,
                             horizon_days: int | None = None) -> str | None:
    """The id of the current snapshot when nothing a run reads has changed since it was made
    (same sources, row counts, settings, and as-of / horizon when given); else None."""
    snap = SnapshotStore(ws.snapshots_dir).current()
    if snap is None or not ws.warehouse_path.exists():
        return None
    meta = snap.meta
    if as_of is not None and meta.get("as_of") != as_of.isoformat():
        return None
    if horizon_days is not None and meta.get("horizon_days") != horizon_days:
        return None
    with ws.connect(read_only=True) as con:
        backend = con.ibis()
        fingerprint = data_fingerprint(backend, input_tables(backend), ws.config.digest())
    return snap.run_id if meta.get("data_fingerprint") == fingerprint else None


def default_as_of(inputs_backend: Any, available: set[str] | frozenset[str]) -> date:
    """The day after the last order (else feedback, else interaction); today without any."""
    for table, column in (("orders", "order_ts"), ("feedback", "ts"), ("interactions", "ts")):
        if table in available:
            last = inputs_backend.table(table)[column].max().execute()
            if last is not None and last == last:  # NaT compares unequal to itself
                day = last.date() if isinstance(last, datetime) else last
                return day + timedelta(days=1)
    return date.today()


def run(
    ws: Workspace,
    *,
    as_of: date | None = None,
    horizon_days: int | None = None,
    steps: list[Step] | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Run ``steps`` (default: every registered step) and publish one snapshot."""
    with ws.lock("crmine run"):
        return _run(ws, as_of, horizon_days, steps, progress)


def _run(ws: Workspace, as_of: date | None, horizon_days: int | None, steps: list[Step] | None,
         progress: Progress | None) -> RunResult:
    from crmine import __version__
    from crmine.pipeline.inputs import RunInputs

    steps = steps if steps is not None else default_steps()
    horizon = horizon_days or ws.config.run.horizon_days
    if horizon <= 0:
        raise WorkspaceError("--horizon must be a positive number of days")
    store = SnapshotStore(ws.snapshots_dir)
    with ws.connect(read_only=True) as con:
        backend = con.ibis()
        available = input_tables(backend)
        if not available:
            raise WorkspaceError(
                f"{ws.root} holds no data yet; load some with: crmine ingest {ws.root} orders=FILE"
            )
        day = as_of or default_as_of(backend, available)
        inputs = RunInputs(backend, day, available)
        tables: dict[str, pd.DataFrame] = {}
        records: list[ModelRecord] = []
        outcomes: list[StepOutcome] = []
        previous = store.current()
        earlier = tuple(store.all()) if store.root.exists() else ()
        with store.writer() as writer:
            for i, s in enumerate(steps):
                if progress is not None:
                    progress(StepEvent(i, len(steps), s.name))
                started = time.perf_counter()
                ctx = StepContext(s, day, horizon, available, ws.config, inputs, tables,
                                  writer.run_id, previous, earlier)  # fmt: skip
                result, trace = _run_step(s, ctx)
                outcome = StepOutcome(s.name, result.status, result.detail,
                                      round(time.perf_counter() - started, 3))  # fmt: skip
                outcomes.append(outcome)
                if progress is not None:
                    progress(StepEvent(i, len(steps), s.name, outcome))
                if result.status == "failed":
                    raise StepFailed(
                        f"step {s.name!r} failed ({result.detail}); nothing was published, "
                        "the previous results stay current",
                        trace,
                    )
                _accept(s, result, tables)
                records.extend(result.models)
                for name, model in result.fitted.items():
                    writer.add_fitted(name, model)
            if records:
                import pandas as pd

                tables["models"] = pd.DataFrame(model_rows(records))
            from crmine.schema.published import ordered_columns

            for name, frame in tables.items():
                writer.add(name, frame[ordered_columns(name, list(frame.columns))])
            writer.meta.update(
                as_of=day.isoformat(),
                horizon_days=horizon,
                created_at=datetime.now().isoformat(timespec="seconds"),
                crmine_version=__version__,
                settings=ws.config.as_dict(),
                settings_hash=ws.config.digest(),
                data_fingerprint=data_fingerprint(backend, available, ws.config.digest()),
                inputs={t: int(backend.table(t).count().execute()) for t in sorted(available)},
                steps=[o.__dict__ for o in outcomes],
                tables={k: len(v) for k, v in tables.items()},
            )
        snapshot = writer.published
    assert snapshot is not None
    return RunResult(snapshot.run_id, snapshot.path, day, horizon, outcomes,
                     {k: len(v) for k, v in tables.items()})  # fmt: skip


def _run_step(s: Step, ctx: StepContext) -> tuple[StepResult, str]:
    """The step's result (skipped when its needs are unmet) and, when it failed, the traceback."""
    missing = s.missing(ctx.available)
    if missing:
        return StepResult.skipped(f"needs {', '.join(missing)}"), ""
    try:
        result = s.run(ctx)
    except CrmineError:
        raise  # bad input or settings: the user's one-line error, as it is
    except Exception as exc:  # a bug in a step: report it, publish nothing
        log.debug("step %s failed", s.name, exc_info=True)
        first = (str(exc).splitlines() or [""])[0]
        return StepResult.failed(f"{type(exc).__name__}: {first}"), traceback.format_exc()
    if not isinstance(result, StepResult):
        raise TypeError(f"step {s.name!r} returned {type(result).__name__}, not a StepResult")
    return result, ""


def _accept(s: Step, result: StepResult, tables: dict[str, pd.DataFrame]) -> None:
    """Take the step's tables into the run, refusing any it did not declare."""
    undeclared = set(result.tables) - set(s.publishes)
    if undeclared:
        raise AssertionError(f"step {s.name!r} published undeclared tables {sorted(undeclared)}")
    tables.update(result.tables)
