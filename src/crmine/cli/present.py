"""Terminal presentation of results (Rich renderables; no computation here)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from rich.console import RenderableType

    from crmine.pipeline.ingest import IngestResult
    from crmine.pipeline.run import RunResult


def ingest_summary(results: list[IngestResult]) -> RenderableType:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    parts: list[Any] = []
    for r in results:
        head = Text.assemble((f"{r.entity}", "bold"), f" ← {r.source}")
        parts.append(head)
        if r.skipped:
            parts += [Text(f"  {n}", style="yellow") for n in r.notes]
            continue
        parts += [Text(f"  {line}", style="dim") for line in r.mapping]
        parts += [Text(f"  {n}") for n in r.notes]
        for reason, n in r.quarantined.items():
            parts.append(Text(f"  quarantined {n:,}: {reason}", style="yellow"))
    table = Table(title="Ingest", title_justify="left")
    for col, justify in (("table", "left"), ("source", "left"), ("read", "right"),
                         ("loaded", "right"), ("quarantined", "right")):
        table.add_column(col, justify=justify)
    for r in results:
        table.add_row(
            r.entity,
            r.source if "://" in r.source else Path(r.source).name,
            f"{r.read:,}",
            "already loaded" if r.skipped else f"{r.loaded:,}",
            "" if r.skipped else f"{r.quarantined_total:,}",
        )
    parts.append(table)
    if any(r.quarantined_total for r in results):
        parts.append(Text("Quarantined rows, with reasons: crmine export DIR quarantine -o q.csv",
                          style="dim"))
    return Group(*parts)


def run_summary(result: RunResult) -> RenderableType:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    steps = Table(title=f"Run {result.run_id}", title_justify="left")
    steps.add_column("step")
    steps.add_column("status")
    steps.add_column("detail")
    steps.add_column("seconds", justify="right")
    for s in result.steps:
        style = {"done": "green", "skipped": "yellow"}.get(s.status, "red")
        steps.add_row(s.name, Text(s.status, style=style), s.detail, f"{s.seconds:.1f}")
    tables = Table(title="Published", title_justify="left")
    tables.add_column("table")
    tables.add_column("rows", justify="right")
    for name, rows in result.tables.items():
        tables.add_row(name, f"{rows:,}")
    head = Text(
        f"as of {result.as_of:%Y-%m-%d}, horizon {result.horizon_days} days → {result.snapshot_path}"
    )
    return Group(head, steps, tables)


def customer_panel(view: dict[str, Any]) -> RenderableType:
    from rich.columns import Columns
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    def kv(title: str, data: dict[str, Any]) -> Panel:
        t = Table.grid(padding=(0, 2))
        t.add_column(style="dim")
        t.add_column()
        for k, v in data.items():
            if v is None or v == "" or (isinstance(v, float) and v != v):
                continue
            t.add_row(k, _fmt(v))
        return Panel(t, title=title, title_align="left")

    def frame(title: str, df: Any) -> Panel | None:
        if df is None or len(df) == 0:
            return None
        t = Table(show_edge=False, box=None)
        for c in df.columns:
            t.add_column(str(c), justify="right" if df[c].dtype.kind in "if" else "left")
        for row in df.itertuples(index=False):  # a handful of display rows
            t.add_row(*(_fmt(v) for v in row))
        return Panel(t, title=title, title_align="left")

    header = Text(f"Customer {view['customer_id']}", style="bold")
    parts: list[Any] = [header]
    if view.get("merged_ids"):
        parts.append(Text(f"also known as: {', '.join(view['merged_ids'])}", style="dim"))
    boxes = [kv("Profile", view.get("profile") or {}), kv("Scores", view.get("scores") or {})]
    parts.append(Columns([b for b in boxes if b.renderable.row_count]))
    for title, key in (("Recent orders", "orders"), ("Top products", "products"),
                       ("Recommended next", "recommendations"), ("Feedback", "feedback"),
                       ("Interactions", "interactions")):
        p = frame(title, view.get(key))
        if p is not None:
            parts.append(p)
    for note in view.get("notes", []):
        parts.append(Text(note, style="yellow"))
    return Group(*parts)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        if v != v:
            return ""
        return f"{v:,.2f}" if abs(v) < 1e15 else f"{v:.3g}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    if isinstance(v, list | tuple):
        return "; ".join(map(str, v))
    if hasattr(v, "strftime"):
        return v.strftime("%Y-%m-%d") if getattr(v, "hour", 0) == 0 and getattr(v, "minute", 0) == 0 else v.strftime("%Y-%m-%d %H:%M")
    return str(v)


def evaluation_table(result: dict[str, Any]):
    """The evaluation as a Rich renderable: one table per section, with grades."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    parts: list[Any] = [
        Text(f"Backtest at {result['cutoff']}, horizon {result['horizon_days']} days", style="bold")
    ]
    titles = {
        "purchase": "Purchase within the horizon",
        "orders": "Purchase days (BG/NBD)",
        "revenue": "Revenue within the horizon",
        "churn": "Churn (no purchase)",
        "contractual_churn": "Churn (hidden labels)",
    }
    colours = {"A": "green", "B": "yellow", "C": "red"}
    for key, section in result["sections"].items():
        if key.startswith("demand:"):
            title = (f"Demand, level {key[7:]} ({section['model_name']}) — "
                     f"{section['series']:,} series × {section['periods']} periods")
        else:
            title = f"{titles.get(key, key)} — {section.get('customers', 0):,} customers"
        table = Table(
            title=title,
            title_justify="left",
            expand=True,
        )
        for col in ("metric", "model", "baseline", "grade"):
            table.add_column(col, no_wrap=True)
        table.add_column("what it means", overflow="fold", ratio=1)
        for row in section["metrics"]:
            base = row["best_baseline"]
            value = row["baselines"].get(base) if base else None
            table.add_row(
                row["metric"].replace("_", " "),
                _num(row["model"]),
                f"{_num(value)}\n[dim]{base.replace('_', ' ')}[/]" if base else "–",
                Text(row["grade"], style=colours.get(row["grade"], "")),
                row["sentence"],
            )
        parts.append(table)
    for note in result.get("notes", []):
        parts.append(Text(f"note: {note}", style="dim"))
    parts.append(Text(f"grades: {result['grading_rule']}", style="dim"))
    return Group(*parts)


def across_table(across: dict[str, Any]):
    """Backtests at several cutoffs: per metric, the margin at each cutoff and the mean."""
    from rich.table import Table

    table = Table(title=f"Backtest at {len(across['cutoffs'])} cutoffs: margin over the best "
                  "baseline (90 % interval)")  # fmt: skip
    table.add_column("task")
    table.add_column("metric")
    for cut in across["cutoffs"]:
        table.add_column(str(cut), justify="right")
    table.add_column("mean", justify="right")
    for row in across["metrics"]:
        cells = [_margin(c["margin"], c["margin_interval"]) for c in row["cutoffs"]]
        mean = _margin(row["mean_margin"], row["mean_margin_interval"])
        if row["below_at"]:
            mean += f" (below at {', '.join(map(str, row['below_at']))})"
        table.add_row(row["section"], row["metric"], *cells, mean)
    return table


def _margin(value: Any, interval: Any) -> str:
    if value is None:
        return "–"
    text = f"{value:+.3f}"
    if interval and None not in interval:
        text += f" ({interval[0]:+.3f} … {interval[1]:+.3f})"
    return text


def _num(value: Any) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    return f"{value:,.3f}" if abs(value) < 1000 else f"{value:,.0f}"


def readiness_table(verdicts: list[Any]):
    """One row per model family: ready / partly / no, why, and what would change it."""
    from rich.table import Table

    marks = {"ready": "[green]ready[/]", "partly": "[yellow]partly[/]", "no": "[red]no[/]"}
    table = Table(title="Data readiness", title_justify="left")
    for col in ("model", "runs", "why", "what would change it"):
        table.add_column(col)
    for v in verdicts:
        table.add_row(v.family, marks[v.status], v.detail, v.change)
    return table


def alert_lines(report) -> list[str]:
    """What the alert rules did: per rule matched / fired, per message sent or still pending."""
    verb = "would fire" if report.dry_run else "fired"
    lines = [f"alerts on run {report.run_id}" + (" (dry run: nothing sent)" if report.dry_run else "")]
    for r in report.rules:
        if r.skipped:
            lines.append(f"  {r.rule}: not evaluated ({r.skipped})")
            continue
        rows = f"{r.matched:,} row of {r.table} matches" if r.matched == 1 else (
            f"{r.matched:,} rows of {r.table} match")
        lines.append(f"  {r.rule}: {rows}, {r.fired:,} {verb}")
    for d in report.deliveries:
        status = (f"sent ({d.attempts} attempt{'s' if d.attempts > 1 else ''})" if d.ok
                  else f"[red]still pending[/red] after {d.attempts} attempts: {d.error}")
        rows = "1 row" if d.rows == 1 else f"{d.rows:,} rows"
        lines.append(f"  → {d.channel}: {rows} of {d.rule} (run {d.run_id}) {status}")
    if report.pending:
        lines.append(f"  {report.pending:,} deliveries pending"
                     + (" (retried at the next run)" if not report.dry_run else ""))
    return lines
