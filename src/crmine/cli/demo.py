"""``crmine demo``: a synthetic CRM → ingest → run → report, in one go."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from crmine.cli.present import ingest_summary, run_summary
from crmine.cli.progress import file_progress, step_progress
from crmine.engine.workspace import Workspace
from crmine.errors import WorkspaceError
from crmine.pipeline.ingest_all import ingest_sources
from crmine.pipeline.run import run
from crmine.report.workspace import write_workspace_report

if TYPE_CHECKING:
    from rich.console import Console

MARKER = ".crmine-demo"


def run_demo(
    directory: Path, *, n_customers: int = 2000, seed: int = 0, console: Console | None = None
) -> Path:
    """Build a fresh demo workspace in ``directory``; returns the report's path.

    A folder made by an earlier demo is rebuilt; any other non-empty folder is refused, so
    the demo never overwrites someone's work.
    """
    from crmine.demo import generate, write_files

    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        if not (directory / MARKER).exists():
            raise WorkspaceError(
                f"{directory} is not empty and was not made by crmine demo; choose another folder"
            )
        shutil.rmtree(directory)
    ws = Workspace.init(directory)
    (directory / MARKER).write_text("made by crmine demo; safe to delete\n", encoding="utf-8")
    _say(console, f"Generating a synthetic CRM of {n_customers:,} customers (seed {seed})…")
    paths = write_files(generate(n_customers, seed=seed), directory / "sources")
    _list_sources(ws, paths)
    ws = Workspace.open(directory)
    if console is None:
        ingest_sources(ws, sorted(paths.items()))
        run(ws)
    else:
        with file_progress(console) as files:
            results = ingest_sources(ws, sorted(paths.items()), progress=files)
        console.print(ingest_summary(results))
        with step_progress(console) as steps:
            result = run(ws, progress=steps)
        console.print(run_summary(result))
    return write_workspace_report(ws, ws.root / "report.html")


def _list_sources(ws: Workspace, paths: dict[str, Path]) -> None:
    """Record the files in crmine.toml so that `crmine ingest DIR` alone reloads them."""
    text = ws.config_path.read_text("utf-8")
    lines = "".join(f'{e} = "{p.relative_to(ws.root).as_posix()}"\n' for e, p in sorted(paths.items()))
    ws.config_path.write_text(text.replace("[ingest.sources]\n", "[ingest.sources]\n" + lines, 1),
                              encoding="utf-8")


def _say(console: Console | None, text: str) -> None:
    if console is not None:
        console.print(text)
