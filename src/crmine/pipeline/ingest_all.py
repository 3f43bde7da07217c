"""Ingest several sources in one command, in dependency order, with progress."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from crmine.engine.workspace import Workspace
from crmine.errors import CrmineError
from crmine.pipeline.ingest import IngestResult, ingest
from crmine.schema import TABLES

if TYPE_CHECKING:
    from rich.console import Console

# customers first, so duplicate-customer merges apply to the orders loaded after them
ORDER = ("customers", "products", "orders", "interactions", "feedback", "campaigns", "subscriptions")


def parse_sources(pairs: list[str], ws: Workspace) -> list[tuple[str, Path]]:
    """``ENTITY=PATH`` arguments, or the [ingest.sources] of crmine.toml when none are given."""
    if not pairs:
        configured = ws.config.ingest.sources
        if not configured:
            raise CrmineError(
                "nothing to ingest: give ENTITY=PATH pairs (e.g. orders=orders.csv) "
                "or list files under [ingest.sources] in crmine.toml"
            )
        out = [(e, ws.resolve(p)) for e, p in configured.items()]
    else:
        out = []
        for pair in pairs:
            entity, sep, path = pair.partition("=")
            if not sep or not entity or not path:
                raise CrmineError(f"expected ENTITY=PATH, got {pair!r} (e.g. orders=orders.csv)")
            out.append((entity.strip().lower(), Path(path)))
    for entity, _ in out:
        if entity not in TABLES:
            raise CrmineError(f"unknown entity {entity!r}; expected one of: {', '.join(TABLES)}")
    return sorted(out, key=lambda ep: ORDER.index(ep[0]))


def ingest_sources(
    ws: Workspace, sources: list[tuple[str, Path]], *, console: Console | None = None
) -> list[IngestResult]:
    if console is None:
        return [ingest(ws, entity, path) for entity, path in sources]
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    results = []
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
               TextColumn("{task.completed}/{task.total} files"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("ingest", total=len(sources))
        for entity, path in sources:
            progress.update(task, description=f"{entity} ← {path.name}")
            results.append(ingest(ws, entity, path))
            progress.advance(task)
    return results
