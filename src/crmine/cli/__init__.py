"""The ``crmine`` command: a thin skin that parses, calls the library and shows progress.

Heavy imports live inside the commands so that ``crmine --help`` answers at once.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from crmine.errors import CrmineError

app = typer.Typer(
    name="crmine",
    help="Turn CRM data into predictions of what each customer will need next.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

Dir = Annotated[Path, typer.Argument(help="The workspace folder.")]
Horizon = Annotated[
    int | None, typer.Option("--horizon", help="Prediction horizon in days (default 90).")
]


def _console():
    from rich.console import Console

    return Console(highlight=False)


def _fail(message: str, code: int = 2) -> None:
    """One line on stderr and exit: 2 for bad input or settings, 1 for a failure of ours."""
    print(f"crmine: error: {message}", file=sys.stderr)
    sys.exit(code)


@app.command()
def init(directory: Dir) -> None:
    """Create a workspace: a commented crmine.toml and an empty warehouse."""
    from crmine.engine import Workspace

    ws = Workspace.init(directory)
    _console().print(f"Workspace ready at [bold]{ws.root}[/]; settings in {ws.config_path}")


@app.command()
def ingest(
    directory: Dir,
    sources: Annotated[
        list[str] | None,
        typer.Argument(help="ENTITY=PATH pairs, e.g. orders=orders.csv customers=客户.xlsx."),
    ] = None,
) -> None:
    """Load source files; print read / loaded / quarantined per table."""
    from crmine.cli.present import ingest_summary
    from crmine.cli.progress import file_progress
    from crmine.engine import Workspace
    from crmine.pipeline.ingest_all import ingest_sources, parse_sources

    ws = Workspace.open(directory)
    pairs = parse_sources(sources or [], ws)
    console = _console()
    with file_progress(console) as progress:
        results = ingest_sources(ws, pairs, progress=progress)
    console.print(ingest_summary(results))


@app.command()
def check(
    directory: Dir,
    horizon: Horizon = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Also write the facts and verdicts as JSON.")
    ] = None,
) -> None:
    """Data readiness: what each model can do with this workspace's data, and why not."""
    from crmine.cli.present import readiness_table
    from crmine.engine import Workspace
    from crmine.pipeline.readiness import assess, gather_facts, summary_lines, to_json

    ws = Workspace.open(directory)
    facts = gather_facts(ws)
    verdicts = assess(facts, ws.config, horizon)
    console = _console()
    for line in summary_lines(facts):
        console.print(f"  {line}")
    console.print(readiness_table(verdicts))
    if json_path is not None:
        json_path.write_text(to_json(facts, verdicts), encoding="utf-8")
        console.print(f"Written to {json_path}")


@app.command()
def run(
    directory: Dir,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Score as of this date (default: day after the last order).")
    ] = None,
    horizon: Horizon = None,
    if_new_data: Annotated[
        bool, typer.Option("--if-new-data", help="Do nothing (exit 0) when no source or setting "
                           "changed since the last run: for cron jobs and timers.")
    ] = False,
) -> None:
    """Compute features and every model the data supports, then publish a snapshot."""
    from crmine.cli.present import run_summary
    from crmine.cli.progress import step_progress
    from crmine.engine import Workspace
    from crmine.pipeline.run import StepFailed, unchanged_since_last_run
    from crmine.pipeline.run import run as run_pipeline

    ws = Workspace.open(directory)
    console = _console()
    if if_new_data:
        same = unchanged_since_last_run(ws, _date(as_of, "--as-of"), horizon)
        if same is not None:
            console.print(f"no new data since run {same} (same sources, rows and settings): "
                          "nothing to do")
            return
    try:
        with step_progress(console) as progress:
            result = run_pipeline(ws, as_of=_date(as_of, "--as-of"), horizon_days=horizon,
                                  progress=progress)
    except StepFailed as exc:
        log = ws.root / "crmine-error.log"
        log.write_text(exc.details, encoding="utf-8")
        _fail(f"{exc} (traceback in {log})", code=1)
    from crmine.pipeline.readiness import gather_facts, summary_lines

    for line in summary_lines(gather_facts(ws)):
        console.print(f"  {line}")
    console.print(run_summary(result))
    if ws.config.alerts.rules:
        from crmine.act.alerts import deliver_alerts
        from crmine.cli.present import alert_lines

        for line in alert_lines(deliver_alerts(ws)):
            console.print(line)


@app.command()
def alerts(
    directory: Dir,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would fire and be sent; change nothing.")
    ] = False,
) -> None:
    """Evaluate the alert rules on the current snapshot and deliver what fired (run does this too)."""
    from crmine.act.alerts import deliver_alerts
    from crmine.cli.present import alert_lines
    from crmine.engine import Workspace

    ws = Workspace.open(directory)
    if not ws.config.alerts.rules:
        _fail(f"no alert rules in {ws.config_path}; add [[alerts.rules]] (see the comments there)")
    console = _console()
    report = deliver_alerts(ws, dry_run=dry_run)
    for line in alert_lines(report):
        console.print(line)
    if any(not d.ok for d in report.deliveries):
        raise typer.Exit(1)


@app.command()
def subject(
    directory: Dir,
    customer_id: Annotated[str, typer.Argument(help="The customer's id.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The JSON file to write.")],
) -> None:
    """Everything held about one customer, as JSON (a data-subject access request)."""
    from crmine.engine import Workspace
    from crmine.privacy.subject import write_subject

    ws = Workspace.open(directory)
    summary = write_subject(ws, customer_id, output)
    held = ", ".join(f"{t} {n:,}" for t, n in summary["warehouse"].items()) or "nothing"
    typer.echo(f"warehouse: {held}; snapshots holding them: {len(summary['snapshots'])}")
    typer.echo(f"written to {output}")


@app.command()
def forget(
    directory: Dir,
    customer_id: Annotated[str, typer.Argument(help="The customer's id.")],
) -> None:
    """Erase one customer everywhere (warehouse, snapshots, reports), keeping a tombstone."""
    from crmine.engine import Workspace
    from crmine.privacy.forget import forget as erase

    ws = Workspace.open(directory)
    done = erase(ws, customer_id)
    typer.echo(f"erased customer {customer_id}" + (
        f" (and merged ids {', '.join(i for i in done.ids if i != customer_id)})"
        if len(done.ids) > 1 else ""))
    for table, n in done.warehouse.items():
        typer.echo(f"  warehouse {table}: {n:,} rows")
    for run_id, n in done.snapshots.items():
        typer.echo(f"  snapshot {run_id}: {n:,} rows")
    for report in done.reports:
        typer.echo(f"  report {report}: removed (make a new one with crmine report)")
    if done.audit_rows:
        typer.echo(f"  audit log: {done.audit_rows:,} entries now name them by a keyed hash")
    for target, n in done.databases.items():
        typer.echo(f"  database {target}: {n:,} rows")
    typer.echo("a tombstone keeps them out of later ingests of the same sources")


@app.command()
def token(
    directory: Dir,
    role: Annotated[str, typer.Option("--role", help="viewer, analyst or admin.")],
    name: Annotated[str | None, typer.Option("--name", help="A name to know it by.")] = None,
) -> None:
    """Print a new API token for crmine serve, alone on the last line (only its hash is kept)."""
    from crmine.engine import Workspace
    from crmine.privacy.access import AccessStore

    ws = Workspace.open(directory)
    secret = AccessStore(ws.root).create_token(role, name)
    typer.echo(f"new {role} token (shown once; send it as Authorization: Bearer …):")
    typer.echo(secret)


@app.command()
def serve(
    directory: Dir,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8765,
) -> None:
    """Serve the REST API over the current snapshot (OpenAPI docs at /docs)."""
    import uvicorn

    from crmine.engine import Workspace
    from crmine.server.app import create_app

    ws = Workspace.open(directory)
    typer.echo(f"crmine serves {ws.root} at http://{host}:{port}/ (API docs: /docs; "
               f"get a token with: crmine token {ws.root} --role analyst)")
    uvicorn.run(create_app(ws.root), host=host, port=port, log_level="warning")


@app.command()
def evaluate(
    directory: Dir,
    cutoff: Annotated[
        str | None, typer.Option("--cutoff", help="Train on data before this date, e.g. 2011-09-01.")
    ] = None,
    cutoffs: Annotated[
        str | None,
        typer.Option("--cutoffs", help="Several cutoffs, comma-separated: each is backtested, "
                     "and the mean margin over the baselines is shown with its interval."),
    ] = None,
    rolling: Annotated[
        int | None,
        typer.Option("--rolling", help="N cutoffs one horizon apart, ending one horizon before "
                     "the last order."),
    ] = None,
    horizon: Annotated[
        int | None, typer.Option("--horizon", help="Days after the cutoff to compare with (default 90).")
    ] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Also write the full result as JSON here.")
    ] = None,
    without: Annotated[
        list[str] | None,
        typer.Option("--without", help="Leave a feature group out of the models (service, btyd), "
                     "to measure what it adds; repeatable."),
    ] = None,
) -> None:
    """Honest backtest: train before the cutoff, score what happened in the horizon after it."""
    import dataclasses

    from crmine.cli.present import evaluation_table
    from crmine.config.sections import FEATURE_GROUPS
    from crmine.engine import Workspace
    from crmine.pipeline import evaluation_store
    from crmine.pipeline.evaluate import evaluate_workspace
    from crmine.pipeline.forecast import PredictSettings

    chosen = [o for o, v in (("--cutoff", cutoff), ("--cutoffs", cutoffs), ("--rolling", rolling))
              if v is not None]  # fmt: skip
    if len(chosen) != 1:
        _fail("give exactly one of --cutoff, --cutoffs or --rolling"
              + (f", not {' and '.join(chosen)}" if chosen else ""))
    ws = Workspace.open(directory)
    settings = PredictSettings.from_config(ws.config)
    if without:
        unknown = sorted(set(without) - set(FEATURE_GROUPS))
        if unknown:
            _fail(f"--without {unknown[0]}: expected one of {', '.join(FEATURE_GROUPS)}")
        groups = tuple(dict.fromkeys([*settings.exclude_features, *without]))
        settings = dataclasses.replace(settings, exclude_features=groups)
    console = _console()
    days = horizon or ws.config.run.horizon_days
    if cutoff is None:
        _evaluate_many(ws, cutoffs, rolling, days, settings, json_path, console)
        return
    cut = _date(cutoff, "--cutoff")
    with console.status(f"Backtesting at {cut} (training on the data before it)…"):
        result = evaluate_workspace(ws, cut, horizon or ws.config.run.horizon_days,
                                    settings=settings)
    console.print(evaluation_table(result))
    saved = evaluation_store.save(ws, result, json_path)
    console.print(f"Saved to {json_path or saved}; the next crmine report includes it.")


@app.command()
def report(
    directory: Dir,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="HTML file to write (default DIR/report.html).")
    ] = None,
) -> None:
    """Write a self-contained HTML report (works offline)."""
    from crmine.engine import Workspace
    from crmine.report.workspace import write_workspace_report

    ws = Workspace.open(directory)
    console = _console()
    with console.status("Building the report…"):
        path = write_workspace_report(ws, output or ws.root / "report.html")
    console.print(f"Report written to [bold]{path}[/]")


@app.command()
def export(
    directory: Dir,
    table: Annotated[str, typer.Argument(help="A published table (customer_scores, …) or a loaded one (orders, quarantine, …).")],
    output: Annotated[str, typer.Option("-o", "--output", help="File to write (.csv, .parquet "
                      "or .xlsx), or postgresql://user@host:port/db?table=T (merged on the "
                      "table's key: exporting twice leaves no duplicates).")],
) -> None:
    """Write a published or loaded table to a file or a PostgreSQL table (an export of
    personal data is written to the audit log)."""
    from crmine.engine import Workspace
    from crmine.io.postgres import is_url, redacted
    from crmine.privacy.exports import audited_export

    ws = Workspace.open(directory)
    console = _console()
    shown = redacted(output) if is_url(output) else output
    with console.status(f"Writing {table} to {shown}…"):
        rows = audited_export(ws, table, output if is_url(output) else Path(output), shown)
    console.print(f"Wrote {rows:,} rows of {table} to [bold]{shown}[/]")


@app.command()
def customer(
    directory: Dir,
    customer_id: Annotated[str, typer.Argument(help="The customer's id (merged ids are followed).")],
) -> None:
    """Show the customer 360 view: profile, scores, orders, products, feedback."""
    from crmine.cli.present import customer_panel
    from crmine.engine import Workspace
    from crmine.pipeline.customer360 import customer_view

    ws = Workspace.open(directory)
    _console().print(customer_panel(customer_view(ws, customer_id)))


@app.command()
def demo(
    directory: Annotated[Path, typer.Argument(help="Folder for the demo workspace.")] = Path(
        "demo-workspace"
    ),
    customers: Annotated[int, typer.Option(help="Number of synthetic customers.")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 0,
) -> None:
    """Synthetic CRM → ingest → run → report, in one go."""
    from crmine.cli.demo import run_demo

    console = _console()
    report_path = run_demo(directory, n_customers=customers, seed=seed, console=console)
    console.print(f"\nDemo report: [bold]{report_path}[/]")


def _evaluate_many(ws, cutoffs: str | None, rolling: int | None, days: int, settings,
                   json_path: Path | None, console) -> None:
    """``crmine evaluate --cutoffs`` / ``--rolling``: each cutoff, then the summary."""
    from crmine.cli.present import across_table
    from crmine.pipeline import evaluation_store
    from crmine.pipeline.evaluate import evaluate_cutoffs, rolling_cutoffs

    if cutoffs is not None:
        dates = [_date(c.strip(), "--cutoffs") for c in cutoffs.split(",") if c.strip()]
        if len(dates) < 2 or len(set(dates)) != len(dates):
            _fail("--cutoffs needs at least two different dates, e.g. 2011-06-01,2011-09-01")
    else:
        dates = rolling_cutoffs(ws, rolling, days)

    def progress(i: int, n: int, cut: date) -> None:
        console.print(f"[{i + 1}/{n}] backtesting at {cut} …")

    out = evaluate_cutoffs(ws, dates, days, settings=settings, progress=progress)
    console.print(across_table(out["across"]))
    saved = evaluation_store.save(ws, out["results"][-1])  # the report shows the latest
    if json_path is not None:
        json_path.write_text(evaluation_store.to_json(out), encoding="utf-8")
    console.print(f"Saved to {json_path or saved}; the report shows the latest cutoff.")


def _date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        _fail(f"{option} must be a date like 2011-09-01, not {text!r}")
    return None


def _quiet_libraries() -> None:
    """Library chatter (convergence notes, BLAS advice) goes to a log line, not a wall of text."""
    import logging
    import warnings

    logging.basicConfig(level=logging.WARNING, format="crmine: note: %(message)s")
    warnings.filterwarnings("ignore", module="implicit")
    warnings.filterwarnings("ignore", category=FutureWarning)


def main() -> None:
    _quiet_libraries()
    try:
        app()
    except CrmineError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail("interrupted")


if __name__ == "__main__":
    main()
