"""Figures → Apache ECharts option specs: plain JSON-serialisable dicts, no I/O.

Functions cannot travel in JSON, so a formatter is written as ``"$fmt:NAME"`` and the page
script swaps in its function (``money``, ``int``, ``pct`` for axis values; ``tip`` and
``text`` read the tooltip / label text that Python put on each data item). Every text shown as HTML in a
tooltip is escaped here.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

from crmine.report.fmt import Money, integer, is_missing, percent

if TYPE_CHECKING:
    import pandas as pd

# Okabe & Ito (2008): distinguishable with every common colour-vision deficiency.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000"]

# One colour per RFM segment, used by every chart that shows segments. Tol's muted scheme,
# ordered so value runs green → blue, then sand/olive (drifting), rose/wine (at risk), grey.
SEGMENT_ORDER = [
    "Champions",
    "Loyal",
    "Potential loyalist",
    "New",
    "Promising",
    "Need attention",
    "About to sleep",
    "At risk",
    "Can't lose them",
    "Hibernating",
    "Lost",
]
SEGMENT_COLORS = {
    "Champions": "#117733",
    "Loyal": "#44AA99",
    "Potential loyalist": "#88CCEE",
    "New": "#332288",
    "Promising": "#6699CC",
    "Need attention": "#DDCC77",
    "About to sleep": "#999933",
    "At risk": "#CC6677",
    "Can't lose them": "#882255",
    "Hibernating": "#AA4499",
    "Lost": "#888888",
}
OTHER_SEGMENT_COLOR = "#BBBBBB"

# Sequential, light → dark blue (ColorBrewer Blues): ordered in lightness for every viewer.
SEQUENTIAL = ["#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"]

_TEXT = "#1f2328"
FONT_STACK = (
    '-apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, '
    '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Noto Sans SC", sans-serif'
)
_MUTED = "#57606a"
_GRIDLINE = "#e5e7eb"


@dataclass(frozen=True)
class Chart:
    """One chart on the page: its option spec, a one-sentence caption and a height in pixels."""

    id: str
    option: dict[str, Any]
    caption: str
    height: int = 380
    wide: bool = False


def _base() -> dict[str, Any]:
    return {
        "color": PALETTE,
        "textStyle": {"color": _TEXT, "fontFamily": FONT_STACK},
        "animation": False,
        "tooltip": {"confine": True, "formatter": "$fmt:tip"},
    }


def _value_axis(fmt: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "value",
        "axisLabel": {"formatter": f"$fmt:{fmt}", "color": _MUTED},
        "splitLine": {"lineStyle": {"color": _GRIDLINE}},
        **extra,
    }


def _category_axis(labels: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "type": "category",
        "data": labels,
        "axisTick": {"show": False},
        "axisLabel": {"color": _TEXT},
        **extra,
    }


def _tip(title: str, *lines: str) -> str:
    """Tooltip HTML from plain text: a bold escaped title and escaped lines."""
    body = "".join(f"<br>{escape(line)}" for line in lines)
    return f"<b>{escape(title)}</b>{body}"


def monthly_chart(df: pd.DataFrame, money: Money, *, with_revenue: bool = True) -> Chart:
    """Net revenue bars and purchase-order line per month, on two y axes (orders as bars
    when there is no revenue)."""
    labels = [m.strftime("%b %Y") for m in df["month"]]
    grid = {"left": 16, "right": 16, "top": 40, "bottom": 8, "containLabel": True}
    x_axis = _category_axis(labels, axisLabel={"color": _TEXT, "hideOverlap": True})
    if not with_revenue:
        option = _base() | {
            "tooltip": {"trigger": "axis", "confine": True, "formatter": "$fmt:tip"},
            "grid": grid,
            "xAxis": x_axis,
            "yAxis": _value_axis("int", name="Orders", nameTextStyle={"color": _MUTED}),
            "series": [{
                "name": "Orders", "type": "bar", "itemStyle": {"color": PALETTE[1]},
                "data": [{"value": int(o), "tip": _tip(lab, f"Orders {integer(o)}")}
                         for lab, o in zip(labels, df["orders"], strict=True)],
            }],
        }  # fmt: skip
        return Chart("monthly", option, "Number of purchase orders per calendar month.", wide=True)
    revenue = [
        {"value": float(r), "tip": _tip(lab, f"Revenue {money(r)}", f"Orders {integer(o)}")}
        for lab, r, o in zip(labels, df["revenue"], df["orders"], strict=True)
    ]
    option = _base() | {
        "tooltip": {"trigger": "axis", "confine": True, "formatter": "$fmt:tip"},
        "legend": {"top": 0, "data": ["Revenue", "Orders"]},
        "grid": grid,
        "xAxis": x_axis,
        "yAxis": [
            _value_axis("money", name="Revenue", nameTextStyle={"color": _MUTED}),
            _value_axis(
                "int", name="Orders", nameTextStyle={"color": _MUTED}, splitLine={"show": False}
            ),
        ],
        "series": [
            {"name": "Revenue", "type": "bar", "data": revenue, "itemStyle": {"color": PALETTE[0]}},
            {
                "name": "Orders",
                "type": "line",
                "yAxisIndex": 1,
                "data": [int(o) for o in df["orders"]],
                "symbolSize": 6,
                "itemStyle": {"color": PALETTE[1]},
                "lineStyle": {"width": 2.5},
            },
        ],
    }
    return Chart(
        "monthly",
        option,
        "Net revenue (bars, left axis) and number of purchase orders (line, right axis) "
        "per calendar month.",
        wide=True,
    )


def _share(value: float, total: float) -> str:
    """A share for a bar label: one decimal below 10% so small slices do not read as 0%."""
    if not total:
        return "–"
    share = value / total
    return percent(share, 1 if abs(share) < 0.1 else 0)


def _hbar_height(n: int) -> int:
    return max(220, 60 + 28 * n)


def hbars_option(
    labels: list[str],
    data: list[dict[str, Any]],
    *,
    colour: str,
    fmt: str = "money",
    right: int = 110,
    label_width: int = 210,
    **axis: Any,
) -> dict[str, Any]:
    """Horizontal bars, first row at the top, with each value written after its bar."""
    return _base() | {
        "grid": {"left": 8, "right": right, "top": 8, "bottom": 8, "containLabel": True},
        "xAxis": _value_axis(fmt, **axis),
        "yAxis": _category_axis(
            labels,
            inverse=True,
            axisLabel={"color": _TEXT, "width": label_width, "overflow": "truncate"},
        ),
        "series": [
            {
                "type": "bar",
                "data": data,
                "barMaxWidth": 22,
                "itemStyle": {"color": colour},
                "label": {"show": True, "position": "right", "formatter": "$fmt:text", "color": _TEXT},
            }
        ],
    }


def region_chart(df: pd.DataFrame, money: Money, *, with_revenue: bool = True) -> Chart:
    """Horizontal bars of net revenue (else of orders) per region, largest at the top."""
    import pandas as pd

    labels = [
        "(not recorded)" if pd.isna(r) else (f"Other ({n} regions)" if k else str(r))
        for r, n, k in zip(
            df["region"], df["regions"], df["region"].eq("Other") & (df["regions"] > 1), strict=True
        )
    ]
    measure = df["revenue"] if with_revenue else df["orders"]
    shown = money if with_revenue else integer
    total = float(measure.sum())
    data = [
        {
            "value": float(v),
            "text": f"{shown(v)} · {_share(v, total)}",
            "tip": _tip(
                lab,
                *([f"Revenue {money(r)} ({percent(r / total if total else None)})"]
                  if with_revenue else []),
                f"Orders {integer(o)}",
            ),
        }
        for lab, v, r, o in zip(labels, measure, df["revenue"], df["orders"], strict=True)
    ]  # fmt: skip
    option = hbars_option(labels, data, right=130, label_width=170, colour=PALETTE[0])
    what = "Net revenue" if with_revenue else "Purchase orders"
    return Chart(
        "regions",
        option,
        f"{what} by region and its share of the total, largest first; smaller regions are "
        "grouped as “Other”.",
        height=_hbar_height(len(labels)),
    )


def order_segments(segments: list[str]) -> list[str]:
    """Segments in their canonical order, unknown labels after, alphabetically."""
    known = [s for s in SEGMENT_ORDER if s in segments]
    return known + sorted(s for s in segments if s not in SEGMENT_COLORS)


def segments_chart(df: pd.DataFrame, money: Money) -> Chart:
    """Side-by-side bars: each segment's share of customers and share of revenue."""
    rows = df.set_index("segment")
    names = order_segments(list(rows.index))
    has_revenue = rows["revenue_share"].notna().any()

    def bars(column: str) -> list[dict[str, Any]]:
        out = []
        for s in names:
            r = rows.loc[s]
            share = float(r[column]) if r[column] == r[column] else 0.0
            out.append(
                {
                    "value": share,
                    "text": percent(share),
                    "itemStyle": {"color": SEGMENT_COLORS.get(s, OTHER_SEGMENT_COLOR)},
                    "tip": _tip(
                        s,
                        f"{integer(r['customers'])} customers ({percent(r['customer_share'])})",
                        f"Revenue {money(r['revenue'])} ({percent(r['revenue_share'])})",
                    ),
                }
            )
        return out

    panels = [("Share of customers", "customer_share")]
    if has_revenue:
        panels.append(("Share of revenue", "revenue_share"))
    width = 100 / len(panels)
    grids, xs, ys, series, titles = [], [], [], [], []
    for i, (title, column) in enumerate(panels):
        grids.append(
            {
                "left": f"{i * width + 1}%",
                "width": f"{width - 5}%",
                "top": 32,
                "bottom": 8,
                "containLabel": True,
            }
        )
        xs.append(
            _value_axis(
                "pct",
                gridIndex=i,
                splitNumber=3,
                axisLabel={"formatter": "$fmt:pct", "color": _MUTED, "hideOverlap": True},
            )
        )
        ys.append(
            _category_axis(
                names,
                gridIndex=i,
                inverse=True,
                axisLabel={"color": _TEXT, "show": i == 0, "width": 130, "overflow": "truncate"},
            )
        )
        titles.append(
            {
                "text": title,
                "left": f"{i * width + width / 2 - 2}%",
                "top": 0,
                "textAlign": "center",
                "textStyle": {"fontSize": 13, "fontWeight": 600},
            }
        )
        series.append(
            {
                "type": "bar",
                "xAxisIndex": i,
                "yAxisIndex": i,
                "data": bars(column),
                "barMaxWidth": 20,
                "label": {
                    "show": True,
                    "position": "right",
                    "formatter": "$fmt:text",
                    "color": _TEXT,
                },
            }
        )
    option = _base() | {"title": titles, "grid": grids, "xAxis": xs, "yAxis": ys, "series": series}
    caption = (
        "Each RFM segment's share of customers and of their total revenue; "
        "segment colours are the same throughout the report."
        if has_revenue
        else "Each RFM segment's share of customers; segment colours are the same throughout."
    )
    return Chart("segments", option, caption, height=_hbar_height(len(names)) + 30)


def _heat_label() -> dict[str, Any]:
    return {"show": True, "formatter": "$fmt:text", "color": _TEXT, "fontSize": 12}


def _on_scale(value: float, top: float) -> dict[str, Any]:
    """Per-cell label colour: white on the dark end of the sequential scale, dark elsewhere."""
    return {"color": "#ffffff"} if top > 0 and value / top >= 0.7 else {}


def _visual_map(top: float, low_text: str, high_text: str) -> dict[str, Any]:
    return {
        "min": 0,
        "max": top,
        "calculable": False,
        "orient": "horizontal",
        "left": "center",
        "bottom": 0,
        "itemHeight": 180,
        "itemWidth": 12,
        "text": [high_text, low_text],
        "inRange": {"color": SEQUENTIAL},
        "textStyle": {"color": _MUTED},
    }


def rf_heatmap(df: pd.DataFrame, money: Money) -> Chart:
    """5×5 grid of customers per recency × frequency score, average revenue in the tooltip."""
    top = int(df["customers"].max()) if len(df) else 1
    data = [
        {
            "value": [int(f) - 1, int(r) - 1, int(n)],
            "text": integer(n),
            "label": _on_scale(float(n), top),
            "tip": _tip(
                f"Recency {int(r)} · Frequency {int(f)}",
                f"{integer(n)} customer" + ("" if n == 1 else "s"),
                f"Average revenue {money(a)}",
            ),
        }
        for r, f, n, a in zip(df["r"], df["f"], df["customers"], df["avg_revenue"], strict=True)
    ]
    scores = [str(i) for i in range(1, 6)]
    option = _base() | {
        "grid": {"left": 40, "right": 16, "top": 16, "bottom": 70, "containLabel": True},
        "xAxis": _category_axis(
            scores,
            name="Frequency score (5 = most orders)",
            nameLocation="middle",
            nameGap=28,
            splitArea={"show": False},
        ),
        "yAxis": _category_axis(
            scores,
            name="Recency score (5 = most recent)",
            nameLocation="middle",
            nameGap=28,
        ),
        "visualMap": _visual_map(top, "0", f"{integer(top)} customers"),
        "series": [
            {
                "type": "heatmap",
                "data": data,
                "label": _heat_label(),
                "itemStyle": {"borderColor": "#fff", "borderWidth": 2},
                "emphasis": {"itemStyle": {"borderColor": _TEXT, "borderWidth": 1}},
            }
        ],
    }
    return Chart(
        "rf_grid",
        option,
        "Customers in each recency × frequency score cell (darker = more customers); "
        "hover a cell for its average revenue.",
        height=440,
    )


def cohort_heatmap(df: pd.DataFrame) -> Chart:
    """Cohort × months-since-first-purchase grid of the share buying again, as percentages."""
    later = df[df["k"] >= 1]
    cohorts = sorted(later["cohort"].unique())
    top = max(float(later["share"].max()), 0.01) if len(later) else 1.0
    sizes = df.groupby("cohort")["size"].first()
    ylabels = [f"{c:%b %Y} · {integer(sizes[c])}" for c in cohorts]
    index = {c: i for i, c in enumerate(cohorts)}
    months = int(later["k"].max()) if len(later) else 1
    data = [
        {
            "value": [int(k) - 1, index[c], float(s)],
            "text": percent(s, 0),
            "label": _on_scale(float(s), top),
            "tip": _tip(
                f"{c:%b %Y} cohort ({integer(sizes[c])} customers)",
                f"Month {int(k)}: {integer(b)} bought again ({percent(s)})",
            ),
        }
        for c, k, b, s in zip(
            later["cohort"], later["k"], later["buyers"], later["share"], strict=True
        )
    ]
    option = _base() | {
        "grid": {"left": 16, "right": 16, "top": 8, "bottom": 70, "containLabel": True},
        "xAxis": _category_axis(
            [str(k) for k in range(1, months + 1)],
            name="Months after first purchase",
            nameLocation="middle",
            nameGap=26,
            position="bottom",
        ),
        "yAxis": _category_axis(
            ylabels,
            inverse=True,
            axisLabel={"color": _TEXT},
        ),
        "visualMap": _visual_map(top, "0%", percent(top, 0)),
        "series": [
            {
                "type": "heatmap",
                "data": data,
                "label": _heat_label(),
                "itemStyle": {"borderColor": "#fff", "borderWidth": 1},
            }
        ],
    }
    return Chart(
        "cohorts",
        option,
        "Share of each first-purchase month's customers (row label: month · size) who bought "
        "again k months later; the latest month may be incomplete.",
        height=max(260, 110 + 26 * len(cohorts)),
        wide=True,
    )


def products_chart(df: pd.DataFrame, money: Money, *, with_revenue: bool = True) -> Chart:
    """Horizontal bars of net revenue (else of orders) for the top products."""
    named = df["name"].notna().to_numpy()
    labels = [
        str(n) if has and str(n) else str(p)
        for p, n, has in zip(df["product"], df["name"], named, strict=True)
    ]
    measure = df["revenue"] if with_revenue else df["orders"]
    data = [
        {
            "value": float(v),
            "text": money(v) if with_revenue else integer(v),
            "tip": _tip(
                lab,
                *([f"Code {p}"] if str(p) != lab else []),
                *([f"Revenue {money(r)}"] if with_revenue else []),
                *([] if is_missing(u) else [f"Units {integer(u)}"]),
                f"Orders {integer(o)}",
            ),
        }
        for lab, p, v, r, u, o in zip(
            labels, df["product"], measure, df["revenue"], df["units"], df["orders"], strict=True
        )
    ]
    option = hbars_option(labels, data, right=90, label_width=230, colour=PALETTE[2])
    caption = (
        "The products with the highest net revenue (sales minus returns); units are in the table."
        if with_revenue
        else "The products bought in the most orders."
    )
    return Chart("products", option, caption, height=_hbar_height(len(labels)))
