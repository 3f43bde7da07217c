"""A step of ``crmine run``: what it needs, reads, publishes and which settings it takes.

A step is a function ``(StepContext) -> StepResult`` declared with :func:`step`, in the
module that defines it (one module per step under :mod:`crmine.pipeline.steps`). The run
derives the order of the steps from these declarations (:mod:`crmine.pipeline.graph`), and
the context enforces them: a step can read only the tables it declared, take only the
settings sections it declared, and publish only what it declared. So the declarations are
the truth about the data flow, not a comment beside it.

Declarations:

``needs``
    warehouse tables, as groups of alternatives: ``(("orders", "customers"),)`` means "orders
    or customers". A step whose needs are not met is skipped with that reason.
``reads``
    tables published by other steps. The step runs after every step that writes or extends
    them; a table whose producer was skipped reads as None.
``writes``
    tables the step creates (each table has exactly one creator).
``extends``
    tables created by another step that this one adds columns to; it reads the current
    version and returns the extended one. It runs after the creator (and after the steps
    named in ``after``, when two extenders touch the same columns).
``history``
    published tables it reads from the previous snapshot (to compare runs); they read as
    None on the first run. ``models`` also gives the fitted models that run kept.
``settings``
    the sections of crmine.toml (types from :mod:`crmine.config.sections`) it reads.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar

if TYPE_CHECKING:
    import pandas as pd

    from crmine.config import Config, Section
    from crmine.models.base import ModelRecord
    from crmine.pipeline.inputs import RunInputs
    from crmine.pipeline.snapshots import Snapshot

S = TypeVar("S", bound="Section")
Status = Literal["done", "skipped", "failed"]


@dataclass(frozen=True)
class StepResult:
    """What a step did: its status, a one-line detail, the tables and model records it made.

    A skipped step may still publish tables (e.g. customer_scores listing the customers when
    there are no purchases to score); a failed one publishes nothing.
    """

    status: Status
    detail: str
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    models: tuple[ModelRecord, ...] = ()
    #: fitted models kept with the snapshot, by ``models`` name (a later run's champion)
    fitted: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def done(
        cls,
        detail: str,
        tables: Mapping[str, pd.DataFrame] | None = None,
        models: tuple[ModelRecord, ...] | list[ModelRecord] = (),
        fitted: Mapping[str, Any] | None = None,
    ) -> StepResult:
        return cls("done", detail, dict(tables or {}), tuple(models), dict(fitted or {}))

    @classmethod
    def skipped(
        cls, reason: str, tables: Mapping[str, pd.DataFrame] | None = None
    ) -> StepResult:
        return cls("skipped", reason, dict(tables or {}))

    @classmethod
    def failed(cls, reason: str) -> StepResult:
        return cls("failed", reason)


@dataclass(frozen=True)
class Step:
    """A declared step (see the module docstring for what each field means)."""

    name: str
    run: Callable[[StepContext], StepResult]
    needs: tuple[tuple[str, ...], ...] = ()
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    extends: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    settings: tuple[type[Section], ...] = ()
    history: tuple[str, ...] = ()

    def missing(self, available: set[str] | frozenset[str]) -> list[str]:
        """The needs the warehouse does not meet, in words."""
        return [" or ".join(alt) for alt in self.needs if not set(alt) & set(available)]

    @property
    def publishes(self) -> tuple[str, ...]:
        return (*self.writes, *self.extends)


_REGISTRY: dict[str, Step] = {}


def step(
    name: str,
    *,
    needs: tuple[tuple[str, ...], ...] = (),
    reads: tuple[str, ...] = (),
    writes: tuple[str, ...] = (),
    extends: tuple[str, ...] = (),
    after: tuple[str, ...] = (),
    settings: tuple[type[Section], ...] = (),
    history: tuple[str, ...] = (),
) -> Callable[[Callable[[StepContext], StepResult]], Callable[[StepContext], StepResult]]:
    """Declare and register a run step where it is defined."""

    def register(func: Callable[[StepContext], StepResult]) -> Callable[[StepContext], StepResult]:
        if name in _REGISTRY and _REGISTRY[name].run is not func:
            raise ValueError(f"two run steps are called {name!r}")
        _REGISTRY[name] = Step(name, func, needs, reads, writes, extends, after, settings,
                               history)  # fmt: skip
        func.step = _REGISTRY[name]  # type: ignore[attr-defined]
        return func

    return register


def registered_steps() -> list[Step]:
    """Every step of :mod:`crmine.pipeline.steps`, in registration order."""
    from crmine.pipeline import steps

    steps.load_all()
    return list(_REGISTRY.values())


class UndeclaredAccess(AssertionError):
    """A step touched a table or setting it did not declare: a bug in the step."""


@dataclass
class StepContext:
    """What one step sees of the run: time, its declared inputs and settings, the warehouse."""

    step: Step
    as_of: date
    horizon_days: int
    available: frozenset[str]
    config: Config
    inputs: RunInputs
    _tables: Mapping[str, pd.DataFrame]
    #: this run's id, and the snapshot that was current when it started (None: the first run)
    run_id: str = ""
    previous: Snapshot | None = None
    #: every snapshot published before this run, oldest first
    earlier: tuple[Snapshot, ...] = ()

    @property
    def as_of_ts(self) -> datetime:
        return datetime.combine(self.as_of, datetime.min.time())

    def settings(self, section: type[S]) -> S:
        if section not in self.step.settings:
            raise UndeclaredAccess(
                f"step {self.step.name!r} reads [{section.name}] without declaring it"
            )
        return self.config.get(section)

    def read(self, table: str) -> pd.DataFrame | None:
        """A table published by an earlier step; None when its producer did not make it."""
        if table not in self.step.reads and table not in self.step.extends:
            raise UndeclaredAccess(f"step {self.step.name!r} reads {table} without declaring it")
        return self._tables.get(table)

    def read_previous(self, table: str) -> pd.DataFrame | None:
        """``table`` as the previous snapshot published it; None on a first run or if absent."""
        if table not in self.step.history:
            raise UndeclaredAccess(
                f"step {self.step.name!r} reads the previous {table} without declaring it"
            )
        if self.previous is None or table not in self.previous.tables():
            return None
        return self.previous.read(table)

    def previous_fitted(self, name: str) -> tuple[str, Any] | None:
        """(run id, fitted model ``name``) as the previous snapshot kept it; None when it kept
        none (a first run, an older crmine, a model that did not run). Declared in ``history``
        as ``models``."""
        if "models" not in self.step.history:
            raise UndeclaredAccess(
                f"step {self.step.name!r} reads the previous run's models without declaring it"
            )
        if self.previous is None:
            return None
        fitted = self.previous.fitted(name)
        return None if fitted is None else (self.previous.run_id, fitted)

    def earlier_runs(self, table: str) -> list[Snapshot]:
        """The earlier snapshots that hold ``table``, oldest first (declared in ``history``)."""
        if table not in self.step.history:
            raise UndeclaredAccess(
                f"step {self.step.name!r} reads earlier runs' {table} without declaring it"
            )
        return [s for s in self.earlier if table in s.tables()]

    def ibis(self):
        """The warehouse as an Ibis backend (steps express their queries in Ibis)."""
        return self.inputs.backend


def record(
    name: str,
    parameters: Mapping[str, Any],
    *,
    training_window: str,
    metrics: Mapping[str, Any] | None = None,
    rows: int | None = None,
) -> ModelRecord:
    """A model record made in a step (for models without an estimator of their own)."""
    from crmine.models.base import ModelRecord

    return ModelRecord(name, dict(parameters), training_window, rows, dict(metrics or {}))


def model_rows(records: list[ModelRecord]) -> list[dict[str, Any]]:
    """The ``models`` table's rows: parameters and metrics as JSON text."""
    return [
        {
            "name": r.name,
            "parameters": json.dumps(r.parameters, default=str, ensure_ascii=False),
            "training_window": r.training_window,
            "training_rows": r.rows,
            "metrics": json.dumps(r.metrics, default=str),
        }
        for r in records
    ]
