"""Report section for demand: history, forecast and 80 % band per level, one key at a time.

Reads the published ``demand_forecast``, ``demand_history`` and the ``models`` rows of the
demand forecast; left out with a one-line reason when the run published no forecast.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from crmine.report.charts import PALETTE, Chart, _base, _category_axis, _tip, _value_axis
from crmine.report.context import ReportContext
from crmine.report.fmt import integer, percent
from crmine.report.sections import Kpi, Omitted, SectionContent, Table, section

if TYPE_CHECKING:
    import pandas as pd

    from crmine.engine.base import Engine

#: past periods shown before the forecast (a year of weeks or months, a quarter of days)
HISTORY = {"D": 91, "W": 52, "M": 24}
MAX_KEYS = 8
_UNIT = {"D": "days", "W": "weeks", "M": "months"}


def demand_frames(con: Engine, has_history: bool, max_keys: int = MAX_KEYS):
    """(forecast, history, records): the biggest ``max_keys`` keys of each level by forecast,
    their recent history and each level's row of ``models``."""
    forecast = con.execute(
        """
        WITH ranked AS (
            SELECT level, key, dense_rank() OVER (PARTITION BY level ORDER BY sum(forecast) DESC,
                   key) AS r
            FROM demand_forecast GROUP BY level, key)
        SELECT f.* FROM demand_forecast f JOIN ranked USING (level, key)
        WHERE r <= ? ORDER BY level, key, period_start
        """,
        [max_keys],
    ).df()
    history = None
    if has_history and len(forecast):
        history = _history(con, forecast, HISTORY.get(str(forecast["freq"].iloc[0]), 52))
    records = con.execute(
        "SELECT name, parameters, metrics FROM models WHERE name LIKE 'demand_forecast%'"
    ).fetchall()
    return forecast, history, {n: (json.loads(p), json.loads(m)) for n, p, m in records}


def _history(con: Engine, shown: pd.DataFrame, periods: int) -> pd.DataFrame:
    """The last ``periods`` periods of the shown keys' history."""
    keys = shown[["level", "key"]].drop_duplicates()
    with con.temp_table("_demand_shown", keys):
        return con.execute(
            """
            SELECT h.level, h.key, h.period_start, h.actual FROM demand_history h
            JOIN _demand_shown USING (level, key)
            WHERE h.period_start IN (SELECT DISTINCT period_start FROM demand_history
                                     ORDER BY period_start DESC LIMIT ?)
            ORDER BY h.level, h.key, h.period_start
            """,
            [periods],
        ).df()


def level_chart(level: str, forecast: pd.DataFrame, history: pd.DataFrame | None,
                fmt: Any, axis: str, index: int) -> Chart:  # fmt: skip
    """One level: a line per key (history solid, forecast dashed) with its 80 % band; the
    legend picks one key at a time."""
    import pandas as pd

    past = pd.DatetimeIndex([]) if history is None else pd.DatetimeIndex(
        sorted(history["period_start"].unique()))
    future = pd.DatetimeIndex(sorted(forecast["period_start"].unique()))
    dates = past.append(future)
    labels = [d.strftime("%Y-%m-%d") for d in dates]
    keys = list(dict.fromkeys(forecast.sort_values("forecast", ascending=False)["key"]))
    series: list[dict[str, Any]] = []
    for i, key in enumerate(keys):
        color = PALETTE[i % len(PALETTE)]
        mine = forecast[forecast["key"] == key].set_index("period_start").reindex(future)
        pad = [None] * len(past)
        if history is not None and len(past):
            hist = history[history["key"] == key].set_index("period_start")["actual"]
            hist = hist.reindex(past)
            series.append({"name": key, "type": "line", "symbol": "none",
                           "itemStyle": {"color": color}, "lineStyle": {"width": 2},
                           "data": [{"value": float(v), "tip": _tip(lab, f"{key}: {fmt(v)}")}
                                    for lab, v in zip(labels, hist, strict=False)]
                           + [None] * len(future)})  # fmt: skip
        lo, hi, mid = (mine[c].to_numpy() for c in ("lo_80", "hi_80", "forecast"))
        tips = [_tip(lab, f"{key}: forecast {fmt(m)}", f"80 % band {fmt(a)} – {fmt(b)}")
                for lab, m, a, b in zip(labels[len(past):], mid, lo, hi, strict=True)]  # fmt: skip
        series += [
            {"name": key, "type": "line", "symbol": "circle", "symbolSize": 4,
             "itemStyle": {"color": color}, "lineStyle": {"type": "dashed", "width": 2},
             "data": pad + [{"value": float(m), "tip": t} for m, t in zip(mid, tips, strict=True)]},
            {"name": key, "type": "line", "stack": f"band{i}", "symbol": "none", "silent": True,
             "lineStyle": {"opacity": 0}, "data": pad + [float(v) for v in lo]},
            {"name": key, "type": "line", "stack": f"band{i}", "symbol": "none", "silent": True,
             "lineStyle": {"opacity": 0}, "areaStyle": {"color": color, "opacity": 0.18},
             "data": pad + [float(b - a) for a, b in zip(lo, hi, strict=True)]},
        ]  # fmt: skip
    option = _base() | {
        "tooltip": {"trigger": "axis", "confine": True, "formatter": "$fmt:tip"},
        "legend": {"type": "scroll", "top": 0, "selectedMode": "single", "data": keys},
        "grid": {"left": 16, "right": 16, "top": 40, "bottom": 8, "containLabel": True},
        "xAxis": _category_axis(labels, axisLabel={"hideOverlap": True}),
        "yAxis": _value_axis(axis),
        "series": series,
    }
    return Chart(f"demand_{index}", option,
                 f"{level}: history (solid), forecast (dashed) and its 80 % band; pick a key "
                 f"in the legend (the {len(keys)} biggest by forecast).", wide=True)  # fmt: skip


def category_needs(con: Engine) -> pd.DataFrame:
    """category, forecast over the horizon, its band's ends summed, and the customers expected
    to buy in it (the sum of next_categories' probabilities; likeliest customers counted)."""
    return con.execute(
        """
        WITH demand AS (
            SELECT key AS category, sum(forecast) AS forecast, sum(lo_80) AS lo, sum(hi_80) AS hi
            FROM demand_forecast WHERE level = 'category' GROUP BY key),
        needs AS (
            SELECT category, sum(probability) AS expected_customers,
                   count(*) FILTER (WHERE probability >= 0.5) AS likely_customers
            FROM next_categories GROUP BY category)
        SELECT d.*, n.expected_customers, n.likely_customers
        FROM demand d LEFT JOIN needs n USING (category)
        ORDER BY d.forecast DESC, d.category
        """
    ).df()


@section("demand", "Demand forecast",
         tables=("demand_forecast", "demand_history", "models", "next_categories"))
def demand_section(ctx: ReportContext) -> SectionContent | Omitted:
    if "demand_forecast" not in ctx.tables:
        return Omitted("There is no demand_forecast table (crmine run publishes one from orders).")
    forecast, history, records = demand_frames(ctx.con, "demand_history" in ctx.tables)
    if forecast.empty:
        return Omitted("The demand forecast is empty.")
    whole = records.get("demand_forecast", ({}, {}))[0]
    money = whole.get("measure", "amount") == "amount"
    fmt = ctx.money if money else integer
    freq = str(forecast["freq"].iloc[0])
    sizes = forecast.groupby("level")["key"].nunique()
    levels = sorted(sizes.index, key=lambda lv: (lv != "total", sizes[lv], lv))  # coarse first
    charts = [level_chart(level, forecast[forecast["level"] == level],
                          None if history is None else history[history["level"] == level],
                          fmt, "money" if money else "int", i)
              for i, level in enumerate(levels)]  # fmt: skip
    rows = []
    for level in levels:
        params, metrics = records.get(f"demand_forecast:{level}", ({}, {}))
        wape = metrics.get("wape")
        rows.append([level, str(params.get("model", "")),
                     "" if wape is None else percent(wape, 1),
                     integer(metrics.get("series", 0))])  # fmt: skip
    total = forecast[forecast["level"] == "total"]["forecast"].sum()
    horizon = forecast["period_start"].nunique()
    kpis = [Kpi("Forecast demand", fmt(total),
                f"next {horizon} {_UNIT.get(freq, 'periods')}, all levels add up to it")]
    notes = [
        "Each level's model was chosen by its error on rolling windows before the as-of date "
        "(WAPE: the absolute errors as a share of what sold); the levels were then reconciled "
        "so they add up. The band holds the actual value in about 80 % of periods, judged by "
        "the same windows' errors."
    ]
    tables = [Table(["Level", "Model", "Validation WAPE", "Series"], rows, frozenset({2, 3}))]
    if "category" in levels and "next_categories" in ctx.tables:
        needs = category_needs(ctx.con)
        tables.append(Table(
            ["Category", "Forecast", "Sum of 80 % bands", "Customers expected to buy",
             "Customers at ≥ 50 %"],
            [[str(r.category), fmt(r.forecast), f"{fmt(r.lo)} – {fmt(r.hi)}",
              integer(r.expected_customers), integer(r.likely_customers)]
             for r in needs.itertuples()], frozenset({1, 2, 3, 4})))  # fmt: skip
        notes.append("Customers expected to buy: the sum of the chances of buying in the "
                     "category within the customer horizon, over the customers who have it "
                     "among their likeliest categories (next_categories), beside the "
                     "category's forecast demand, so stock and campaigns can be planned "
                     "together.")
    return SectionContent(kpis=kpis, charts=charts, tables=tables, notes=notes)
