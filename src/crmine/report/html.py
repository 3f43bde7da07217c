"""Assemble the self-contained page: CSS, the inlined chart library, section markup, chart specs.

Pure: takes rendered sections and returns a string. Every piece of user text goes through
``escape``; JSON inside ``<script>`` has ``<``, ``>`` and ``&`` escaped so no value can close it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from html import escape
from typing import Any

from crmine.report.charts import FONT_STACK, Chart
from crmine.report.fmt import Money
from crmine.report.sections import Kpi, Omitted, Section, SectionContent, Table


@dataclass(frozen=True)
class Rendered:
    section: Section
    result: SectionContent | Omitted


def _finite(value: Any) -> Any:
    """JSON has no NaN or Infinity: turn them into null, recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def script_json(value: Any) -> str:
    """JSON safe to place inside a ``<script>`` element."""
    text = json.dumps(_finite(value), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _kpis(kpis: list[Kpi]) -> str:
    cards = "".join(
        f'<div class="kpi"><div class="kpi-label">{escape(k.label)}</div>'
        f'<div class="kpi-value">{escape(k.value)}</div>'
        f'<div class="kpi-detail">{escape(k.detail)}</div></div>'
        for k in kpis
    )
    return f'<div class="kpis">{cards}</div>'


def _chart(chart: Chart) -> str:
    cls = "chart wide" if chart.wide else "chart"
    return (
        f'<figure class="{cls}"><div class="chart-box" id="chart-{escape(chart.id)}" '
        f'style="height:{int(chart.height)}px" role="img" aria-label="{escape(chart.caption)}">'
        f"</div><figcaption>{escape(chart.caption)}</figcaption></figure>"
    )


def _table(table: Table) -> str:
    def cell(tag: str, i: int, text: str) -> str:
        cls = ' class="num"' if i in table.numeric else ""
        return f"<{tag}{cls}>{escape(text)}</{tag}>"

    head = "".join(cell("th", i, c) for i, c in enumerate(table.columns))
    body = "".join(
        "<tr>" + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>"
        for row in table.rows
    )
    return (
        f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def _section(r: Rendered) -> str:
    s, res = r.section, r.result
    sid = escape(f"s-{s.id}")
    if isinstance(res, Omitted):
        return (
            f'<section class="card omitted" id="{sid}"><h2>{escape(s.title)}</h2>'
            f'<p class="note">Left out: {escape(res.reason)}</p></section>'
        )
    parts = []
    if res.kpis:
        parts.append(_kpis(res.kpis))
    if res.charts:
        parts.append('<div class="charts">' + "".join(_chart(c) for c in res.charts) + "</div>")
    parts.extend(_table(t) for t in res.tables)
    parts.extend(f'<p class="note">{escape(n)}</p>' for n in res.notes)
    width = " half" if s.width == "half" else ""
    return (
        f'<section class="card{width}" id="{sid}"><h2>{escape(s.title)}</h2>'
        + "".join(parts)
        + "</section>"
    )


def _run_info(run_info: dict[str, Any]) -> str:
    if not run_info:
        return ""
    rows = "".join(
        f"<dt>{escape(str(k))}</dt><dd>{escape(str(v))}</dd>" for k, v in run_info.items()
    )
    return f'<dl class="run-info">{rows}</dl>'


def render_page(
    *,
    title: str,
    subtitle: str,
    sections: list[Rendered],
    money: Money,
    echarts_js: str,
    echarts_version: str,
    run_info: dict[str, Any] | None = None,
) -> str:
    """The whole HTML document."""
    shown = [r for r in sections if not isinstance(r.result, Omitted)]
    nav = "".join(
        f'<a href="#s-{escape(r.section.id)}">{escape(r.section.title)}</a>' for r in shown
    )
    specs = [
        {"id": c.id, "option": c.option}
        for r in shown
        for c in r.result.charts  # type: ignore[union-attr]
    ]
    config = {"prefix": money.prefix, "suffix": money.suffix}
    body = "".join(_section(r) for r in sections)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="crmine">
<title>{escape(title)}</title>
<style>{_CSS.replace("__FONTS__", FONT_STACK)}</style>
</head>
<body>
<header class="page-head">
<h1>{escape(title)}</h1>
<p class="subtitle">{escape(subtitle)}</p>
<nav>{nav}</nav>
</header>
<main>{body}</main>
<footer>
{_run_info(run_info or {})}
<p>Made with crmine. Charts drawn with Apache ECharts {escape(echarts_version)}
(Apache License 2.0), included in this file so it works offline.</p>
</footer>
<script>{echarts_js}</script>
<script type="application/json" id="crmine-config">{script_json(config)}</script>
<script type="application/json" id="crmine-charts">{script_json(specs)}</script>
<script>{_BOOT}</script>
</body>
</html>
"""


_CSS = """
:root { --text:#1f2328; --muted:#57606a; --line:#e5e7eb; --bg:#f6f7f9; --card:#fff;
  --accent:#0072B2; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin:0; background:var(--bg); color:var(--text); font-family:__FONTS__;
  font-size:15px; line-height:1.5; }
.page-head, main, footer { max-width:1320px; margin:0 auto; padding:0 24px; }
.page-head { padding-top:28px; padding-bottom:8px; }
h1 { font-size:28px; line-height:1.25; margin:0 0 4px; font-weight:650; }
.subtitle { color:var(--muted); margin:0 0 14px; }
nav { display:flex; flex-wrap:wrap; gap:6px 8px; }
nav a { color:var(--accent); text-decoration:none; font-size:13px; padding:3px 10px;
  border:1px solid var(--line); border-radius:999px; background:var(--card); }
nav a:hover { border-color:var(--accent); }
main { display:grid; grid-template-columns:repeat(2, minmax(0, 1fr)); gap:20px;
  padding-top:16px; padding-bottom:24px; }
.card { grid-column:1 / -1; background:var(--card); border:1px solid var(--line);
  border-radius:12px; padding:20px 22px; box-shadow:0 1px 2px rgba(16,24,40,.04); min-width:0; }
.card.half { grid-column:auto; }
@media (max-width: 980px) { .card.half { grid-column:1 / -1; } }
h2 { font-size:18px; margin:0 0 14px; font-weight:620; }
.card.omitted { padding:14px 22px; }
.card.omitted h2 { font-size:15px; margin:0 0 2px; color:var(--muted); }
.kpis { display:grid; grid-template-columns:repeat(4, minmax(0, 1fr)); gap:12px; }
@media (max-width: 900px) { .kpis { grid-template-columns:repeat(2, minmax(0, 1fr)); } }
.kpi { border:1px solid var(--line); border-radius:10px; padding:12px 14px; }
.kpi-label { color:var(--muted); font-size:13px; }
.kpi-value { font-size:24px; font-weight:650; font-variant-numeric:tabular-nums;
  line-height:1.3; margin:2px 0; overflow-wrap:anywhere; }
.kpi-detail { color:var(--muted); font-size:12.5px; }
.charts { display:grid; grid-template-columns:repeat(auto-fit, minmax(min(420px, 100%), 1fr)); gap:16px; }
.chart { margin:0; min-width:0; }
.chart.wide { grid-column:1 / -1; }
.chart-box { width:100%; }
figcaption { color:var(--muted); font-size:13px; margin-top:6px; }
.table-wrap { overflow-x:auto; margin-top:16px; }
table { border-collapse:collapse; width:100%; font-size:13.5px; }
th, td { text-align:left; padding:6px 10px; border-bottom:1px solid var(--line); }
th { color:var(--muted); font-weight:600; background:#fafbfc; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
tbody tr:hover { background:#f3f6fa; }
.note { color:var(--muted); font-size:13px; margin:12px 0 0; }
footer { color:var(--muted); font-size:12.5px; padding-bottom:32px; }
.run-info { display:grid; grid-template-columns:max-content 1fr; gap:2px 14px; margin:0 0 8px; }
.run-info dt { font-weight:600; }
.run-info dd { margin:0; overflow-wrap:anywhere; }
@media print { body { background:#fff; } .card { break-inside:avoid; box-shadow:none; }
  nav { display:none; } }
"""

_BOOT = """
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("crmine-config").textContent);
  var whole = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
  function compact(v) {
    var a = Math.abs(v), s = v < 0 ? "\\u2212" : "";
    var steps = [[1e9, "B"], [1e6, "M"], [1e3, "k"]];
    for (var i = 0; i < steps.length; i++) {
      if (a >= steps[i][0]) {
        var x = a / steps[i][0];
        return [s, Number(x.toFixed(x < 10 ? 1 : 0)), steps[i][1]];
      }
    }
    return [s, whole.format(a), ""];
  }
  var F = {
    money: function (v) { var c = compact(v); return c[0] + cfg.prefix + c[1] + c[2] + cfg.suffix; },
    int: function (v) { return whole.format(v); },
    pct: function (v) { return Math.round(v * 100) + "%"; },
    text: function (p) { return (p && p.data && p.data.text) || ""; },
    tip: function (p) {
      var ps = Array.isArray(p) ? p : [p];
      return ps.map(function (x) { return x && x.data && x.data.tip; })
        .filter(Boolean).join("<br>");
    }
  };
  function hydrate(o) {
    if (Array.isArray(o)) { return o.map(hydrate); }
    if (o && typeof o === "object") {
      Object.keys(o).forEach(function (k) { o[k] = hydrate(o[k]); });
      return o;
    }
    if (typeof o === "string" && o.indexOf("$fmt:") === 0) { return F[o.slice(5)] || o; }
    return o;
  }
  var charts = [];
  JSON.parse(document.getElementById("crmine-charts").textContent).forEach(function (spec) {
    var el = document.getElementById("chart-" + spec.id);
    if (!el || typeof echarts === "undefined") { return; }
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption(hydrate(spec.option));
    charts.push(chart);
  });
  var pending = null;
  function resizeAll() {
    if (pending) { return; }
    pending = window.requestAnimationFrame(function () {
      pending = null;
      charts.forEach(function (c) { c.resize(); });
    });
  }
  window.addEventListener("resize", resizeAll);
  if (window.ResizeObserver) {
    var ro = new ResizeObserver(resizeAll);
    charts.forEach(function (c) { ro.observe(c.getDom()); });
  }
})();
"""
