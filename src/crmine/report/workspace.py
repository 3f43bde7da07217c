"""``crmine report``: a workspace's warehouse and current snapshot, rendered as one HTML file."""

from __future__ import annotations

from pathlib import Path

from crmine.engine.workspace import Workspace
from crmine.pipeline import evaluation_store
from crmine.pipeline.snapshots import SnapshotStore


def write_workspace_report(ws: Workspace, output: Path) -> Path:
    from datetime import date

    from crmine.report import ReportSettings, build_report, write_report

    snap = SnapshotStore(ws.snapshots_dir).current()
    run_info: dict = {}
    as_of = None
    with ws.connect(read_only=True) as con:
        if snap is not None:
            meta = snap.meta
            as_of = date.fromisoformat(meta["as_of"])
            run_info = {"run": meta["run_id"], "as of": meta["as_of"],
                        "horizon (days)": meta["horizon_days"]}
            if ws.config.workspace.currency:
                run_info["currency"] = ws.config.workspace.currency
            for table in snap.tables():  # published tables shadow nothing loaded
                con.execute(
                    f"CREATE OR REPLACE TEMP VIEW {table} AS "
                    f"SELECT * FROM {con.parquet(snap.table_path(table))}"
                )
        evaluation = evaluation_store.latest(ws)
        if evaluation is not None:
            metrics, curves = evaluation_store.report_tables(evaluation)
            con.write("evaluation_metrics", metrics, temporary=True)
            con.write("evaluation_curves", curves, temporary=True)
            run_info["backtest"] = f"cutoff {evaluation['cutoff']}, {evaluation['horizon_days']} days"
        settings = ReportSettings(active_days=ws.config.run.active_days)
        html = build_report(con, title=f"crmine · {ws.root.resolve().name}", as_of=as_of,
                            run_info=run_info, settings=settings)
    write_report(html, output)
    return output
