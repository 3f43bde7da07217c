"""Entry points: build the report from a DuckDB connection, and write it atomically."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crmine.report import (
    data,
    sections,
    sections_campaigns,
    sections_demand,
    sections_models,
    sections_monitoring,
    sections_voice,
)
from crmine.report._vendor import ECHARTS_VERSION, echarts_js
from crmine.report.context import ReportContext, ReportSettings
from crmine.report.fmt import Money
from crmine.report.html import Rendered, render_page

if TYPE_CHECKING:
    from crmine.engine.base import Engine

# Importing a section module registers its sections, in this order after the base ones.
SECTION_MODULES = (sections, sections_models, sections_campaigns, sections_voice, sections_demand,
                   sections_monitoring)

_BASE_TABLES = ("orders", "customers", "customer_scores")


def build_report(
    con: Engine,
    *,
    title: str,
    as_of: date | None = None,
    run_info: dict[str, Any] | None = None,
    settings: ReportSettings | None = None,
) -> str:
    """One self-contained HTML document describing the workspace behind ``con``.

    ``as_of`` defaults to the day after the last order. A ``currency`` key in ``run_info``
    names the workspace currency; otherwise it is taken from the orders when they agree.
    Sections whose data is absent are shown as a one-line note, never an error.
    """
    names = list(dict.fromkeys([*_BASE_TABLES, *(t for s in sections.SECTIONS for t in s.tables)]))
    tables = data.inspect_tables(con, names)
    if as_of is None:
        as_of = data.default_as_of(con, tables)
    currency = (run_info or {}).get("currency")
    if currency is None and "currency" in tables.get("orders", ()):
        currency = data.single_currency(con)
    ctx = ReportContext(
        con=con,
        as_of=as_of,
        money=Money.for_currency(currency),
        tables=tables,
        settings=settings or ReportSettings(),
    )
    rendered = [Rendered(s, s.build(ctx)) for s in sections.SECTIONS]
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return render_page(
        title=title,
        subtitle=f"Figures as of {as_of:%d %B %Y} · generated {generated}",
        sections=rendered,
        money=ctx.money,
        echarts_js=echarts_js(),
        echarts_version=ECHARTS_VERSION,
        run_info=run_info,
    )


def write_report(html: str, path: Path) -> None:
    """Write ``html`` to ``path`` atomically: readers see the old file or the new, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(html)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
