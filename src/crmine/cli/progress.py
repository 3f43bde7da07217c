"""Rich progress bars fed by the library's progress callbacks (the library never prints)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from crmine.pipeline.run import StepEvent


@contextmanager
def step_progress(console: Console) -> Iterator[Callable[[StepEvent], None]]:
    """A bar over the run's steps: the callback for ``crmine.pipeline.run.run(progress=...)``."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(),
        TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
        console=console, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("run", total=None)

        def update(event: StepEvent) -> None:
            done = event.index + (1 if event.outcome is not None else 0)
            bar.update(task, total=event.total, completed=done, description=event.name)

        yield update


@contextmanager
def file_progress(console: Console) -> Iterator[Callable[[int, int, str], None]]:
    """A bar over the files of ``crmine ingest``: the callback for ``ingest_sources``."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
               TextColumn("{task.completed}/{task.total} files"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("ingest", total=None)

        def update(done: int, total: int, what: str) -> None:
            bar.update(task, total=total, completed=done, description=what)

        yield update
