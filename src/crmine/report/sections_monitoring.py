"""Report sections that compare runs: segment migrations and monitoring (drift, and how an
earlier run's predictions did once their horizon had passed)."""

from __future__ import annotations

from crmine.report.context import ReportContext
from crmine.report.fmt import integer
from crmine.report.sections import Kpi, Omitted, SectionContent, Table, section

TOP_FLOWS = 12


@section("segment_migrations", "Segment moves since the last run", tables=("segment_migrations",))
def migrations_section(ctx: ReportContext) -> SectionContent | Omitted:
    if "segment_migrations" not in ctx.tables:
        return Omitted("There is no segment_migrations table (it needs two runs to compare).")
    flows = ctx.con.execute(
        "SELECT kind, coalesce(from_segment, '(none)'), coalesce(to_segment, '(none)'), "
        "count(*) AS n FROM segment_migrations GROUP BY ALL ORDER BY n DESC, 1, 2, 3 LIMIT ?",
        [TOP_FLOWS],
    ).fetchall()
    totals = dict(ctx.con.execute(
        "SELECT kind, count(*) FROM segment_migrations GROUP BY kind").fetchall())
    previous = ctx.con.execute("SELECT any_value(previous_run_id) FROM segment_migrations"
                               ).fetchone()[0]  # fmt: skip
    kpis = [Kpi("RFM segment moves", integer(totals.get("rfm_segment", 0))),
            Kpi("cluster moves", integer(totals.get("cluster", 0)))]  # fmt: skip
    if not flows:
        return SectionContent(kpis=kpis, notes=[f"No customer changed segment since run {previous}."])
    kind_words = {"rfm_segment": "RFM segment", "cluster": "cluster"}
    rows = [[f"{integer(n)} {f} became {t}", kind_words.get(k, k)] for k, f, t, n in flows]
    return SectionContent(
        kpis=kpis,
        tables=[Table(["Move", "Of"], rows)],
        notes=[f"Compared with run {previous}. Every move is in segment_migrations; an alert "
               "rule on it can notify the team ([[alerts.rules]] table = \"segment_migrations\")."],
    )


@section("monitoring", "Monitoring: drift and realised performance", tables=("monitoring",))
def monitoring_section(ctx: ReportContext) -> SectionContent | Omitted:
    if "monitoring" not in ctx.tables:
        return Omitted("There is no monitoring table (it needs an earlier run to compare with).")
    realised = ctx.con.execute(
        "SELECT evaluated_as_of, evaluated_run_id, metric, value, reference, status, n "
        "FROM monitoring WHERE metric <> 'psi' ORDER BY evaluated_as_of, metric"
    ).fetchall()
    drift = ctx.con.execute(
        "SELECT model, subject, value FROM monitoring WHERE metric = 'psi' "
        "ORDER BY value DESC"
    ).fetchall()
    drifting = [r for r in drift if r[2] >= 0.25]
    kpis = [Kpi("columns compared", integer(len(drift))),
            Kpi("drifting (PSI ≥ 0.25)", integer(len(drifting)))]  # fmt: skip
    tables = []
    words = {"realised_auc": "realised AUC", "realised_brier": "realised Brier score",
             "mean_predicted": "mean predicted P(purchase)", "observed_rate": "share who bought",
             "revenue_capture_top_decile": "revenue in the top 10 % by expected revenue"}  # fmt: skip
    if realised:
        rows = []
        for as_of, _run, metric, value, reference, status, n in realised:
            ref = "–" if reference is None else f"{reference:.3f}"
            rows.append([str(as_of), words.get(metric, metric), f"{value:.3f}", ref, status,
                         integer(n)])  # fmt: skip
        tables.append(Table(["Run as of", "Measure", "Realised", "Promised / compared with",
                             "Status", "Customers"], rows, frozenset({2, 3, 5})))  # fmt: skip
        auc = [r for r in realised if r[2] == "realised_auc"]
        if auc:
            kpis.insert(0, Kpi("realised AUC, latest judged run", f"{auc[-1][3]:.3f}",
                               f"validation promised {auc[-1][4]:.3f}" if auc[-1][4] is not None
                               else ""))  # fmt: skip
    if drift:
        rows = [[model, subject, f"{value:.3f}", "drift" if value >= 0.25 else "ok"]
                for model, subject, value in drift[:15]]
        tables.append(Table(["Of", "Column", "PSI", "Status"], rows, frozenset({2})))
    notes = ["PSI compares each column's distribution with the previous run's (0.1: small, "
             "0.25 or more: a real shift). An earlier run is judged once its whole horizon "
             "has passed, against the orders that then came in."]  # fmt: skip
    if not realised:
        notes.append("No earlier run's horizon has passed yet, so no prediction is judged.")
    return SectionContent(kpis=kpis, tables=tables, notes=notes)
