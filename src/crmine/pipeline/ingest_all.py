"""Ingest several sources in one command, in dependency order, reporting progress."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from crmine.engine.workspace import Workspace
from crmine.errors import CrmineError
from crmine.io.postgres import is_url, redacted
from crmine.pipeline.ingest import IngestResult, ingest
from crmine.schema import TABLES

# customers first, so duplicate-customer merges apply to the orders loaded after them
ORDER = ("customers", "products", "orders", "interactions", "feedback", "campaigns", "subscriptions")


def parse_sources(pairs: list[str], ws: Workspace) -> list[tuple[str, Path | str]]:
    """``ENTITY=PATH`` arguments, or the [ingest.sources] of crmine.toml when none are given."""
    if not pairs:
        configured = ws.config.ingest.sources
        if not configured:
            raise CrmineError(
                "nothing to ingest: give ENTITY=PATH pairs (e.g. orders=orders.csv) "
                "or list files under [ingest.sources] in crmine.toml"
            )
        out = [(e, p if is_url(p) else ws.resolve(p)) for e, p in configured.items()]
    else:
        out = []
        for pair in pairs:
            entity, sep, path = pair.partition("=")
            if not sep or not entity or not path:
                raise CrmineError(f"expected ENTITY=PATH, got {pair!r} (e.g. orders=orders.csv)")
            out.append((entity.strip().lower(), path if is_url(path) else Path(path)))
    for entity, _ in out:
        if entity not in TABLES:
            raise CrmineError(f"unknown entity {entity!r}; expected one of: {', '.join(TABLES)}")
    return sorted(out, key=lambda ep: ORDER.index(ep[0]))


def ingest_sources(
    ws: Workspace,
    sources: list[tuple[str, Path | str]],
    *,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[IngestResult]:
    """Ingest every (entity, path) in turn; ``progress(done, total, what)`` before each."""
    results = []
    for i, (entity, path) in enumerate(sources):
        if progress is not None:
            shown = redacted(path) if is_url(path) else Path(path).name
            progress(i, len(sources), f"{entity} ← {shown}")
        results.append(ingest(ws, entity, path))
    if progress is not None:
        progress(len(sources), len(sources), "done")
    return results
