"""Model figures → ECharts option specs (plain dicts, no I/O), in the style of ``charts``.

Same conventions: ``"$fmt:NAME"`` formatters, escaped ``tip`` HTML on each data item, the
Okabe–Ito palette, segment colours shared with the rest of the report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmine.report.charts import (
    _MUTED,
    _TEXT,
    OTHER_SEGMENT_COLOR,
    PALETTE,
    SEGMENT_COLORS,
    Chart,
    _base,
    _category_axis,
    _hbar_height,
    _tip,
    _value_axis,
    hbars_option,
    order_segments,
)
from crmine.report.fmt import Money, integer, is_missing, percent

if TYPE_CHECKING:
    import pandas as pd

# Diverging blue → white → vermilion (ColorBrewer RdBu ends), readable with colour-blindness.
DIVERGING = ["#2166ac", "#92c5de", "#f7f7f7", "#f4a582", "#b2182b"]
_RANDOM = "#8c959f"


def short(text: str, limit: int = 28) -> str:
    """A label cut to ``limit`` characters with an ellipsis; full text goes in tooltips."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _hbars(
    chart_id: str, labels: list[str], data: list[dict], caption: str, fmt: str, color: str
) -> Chart:
    """Horizontal bars, first row at the top, values labelled at the bar end."""
    option = hbars_option(labels, data, colour=color, fmt=fmt, splitNumber=3)
    return Chart(chart_id, option, caption, height=_hbar_height(len(labels)))


# --- predictions -----------------------------------------------------------------------------


def score_histogram(df: pd.DataFrame, label: str, chart_id: str, caption: str) -> Chart:
    """Customers per bin of a 0–1 score, as touching columns."""
    labels = [
        f"{percent(lo, 0)}–{percent(hi, 0)}" for lo, hi in zip(df["low"], df["high"], strict=True)
    ]
    total = float(df["customers"].sum()) or 1.0
    data = [
        {
            "value": int(n),
            "tip": _tip(f"{label} {lab}", f"{integer(n)} customers ({percent(n / total)})"),
        }
        for lab, n in zip(labels, df["customers"], strict=True)
    ]
    option = _base() | {
        "grid": {"left": 16, "right": 16, "top": 16, "bottom": 36, "containLabel": True},
        "xAxis": _category_axis(
            labels,
            name=label,
            nameLocation="middle",
            nameGap=30,
            axisLabel={"color": _MUTED, "hideOverlap": True},
        ),
        "yAxis": _value_axis("int", name="Customers", nameTextStyle={"color": _MUTED}),
        "series": [
            {
                "type": "bar",
                "data": data,
                "barCategoryGap": "4%",
                "itemStyle": {"color": PALETTE[0]},
            }
        ],
    }
    return Chart(chart_id, option, caption)


def churn_by_segment(df: pd.DataFrame) -> Chart:
    """Mean churn risk per RFM segment, in the canonical segment order and colours."""
    rows = df.set_index("segment")
    names = order_segments(list(rows.index))
    data = []
    for s in names:
        r = rows.loc[s]
        data.append(
            {
                "value": float(r["mean_risk"]),
                "text": percent(r["mean_risk"], 0),
                "itemStyle": {"color": SEGMENT_COLORS.get(s, OTHER_SEGMENT_COLOR)},
                "tip": _tip(
                    s,
                    f"Mean churn risk {percent(r['mean_risk'])}",
                    f"{integer(r['high_risk'])} of {integer(r['customers'])} customers at high risk",
                ),
            }
        )
    chart = _hbars(
        "churn_by_segment",
        names,
        data,
        "Average churn risk of the customers in each RFM segment; hover for how many are at "
        "high risk.",
        "pct",
        PALETTE[5],
    )
    chart.option["xAxis"].update(max=1, interval=0.25)
    chart.option["xAxis"].pop("splitNumber", None)
    return chart


def clv_by_tier(df: pd.DataFrame, money: Money) -> Chart:
    """Total CLV per value tier (bars) with the tier's customers in the label and tooltip."""
    labels = [str(t) for t in df["tier"]]
    data = [
        {
            "value": float(v),
            "text": f"{money(v)} · {integer(n)} cust.",
            "tip": _tip(
                f"{t} value tier",
                f"{integer(n)} customers",
                f"Total CLV {money(v)} ({percent(sh)})",
                f"Mean CLV {money(m)} per customer",
            ),
        }
        for t, n, v, m, sh in zip(
            labels, df["customers"], df["clv"], df["mean_clv"], df["clv_share"], strict=True
        )
    ]
    chart = _hbars(
        "clv_by_tier",
        labels,
        data,
        "Total customer lifetime value per value tier, most valuable tier first, with its "
        "number of customers.",
        "money",
        PALETTE[2],
    )
    chart.option["grid"]["right"] = 170
    return chart


# --- recommendations -------------------------------------------------------------------------


def top_recommended(df: pd.DataFrame, customers: int) -> Chart:
    labels, data = [], []
    for p, name, n, first in zip(
        df["product"], df["name"], df["customers"], df["first_choice"], strict=True
    ):
        full = str(name) if not is_missing(name) and str(name) else str(p)
        labels.append(short(full, 34))
        data.append(
            {
                "value": int(n),
                "text": integer(n),
                "tip": _tip(
                    full,
                    f"Code {p}",
                    f"Recommended to {integer(n)} customers ({percent(n / customers if customers else None)})",
                    f"First choice for {integer(first)}",
                ),
            }
        )
    return _hbars(
        "top_recommended",
        labels,
        data,
        "The products recommended to the most customers (any rank); hover for how often each "
        "comes first.",
        "int",
        PALETTE[0],
    )


def recommendation_sources(df: pd.DataFrame) -> Chart:
    labels = [str(s).replace("_", " ") for s in df["source"]]
    data = [
        {
            "value": float(sh),
            "text": percent(sh, 1 if sh < 0.1 else 0),
            "itemStyle": {"color": PALETTE[i % len(PALETTE)]},
            "tip": _tip(lab, f"{integer(n)} recommendations ({percent(sh)})"),
        }
        for i, (lab, n, sh) in enumerate(
            zip(labels, df["recommendations"], df["share"], strict=True)
        )
    ]
    chart = _hbars(
        "recommendation_sources",
        labels,
        data,
        "Share of recommendations by the signal that contributed most to each one.",
        "pct",
        PALETTE[0],
    )
    return chart


# --- clusters --------------------------------------------------------------------------------


def cluster_name(cluster: str, label: Any) -> str:
    """A cluster's label, or "Group N" when it has none."""
    if not is_missing(label) and str(label).strip():
        return str(label)
    return f"Group {cluster}"


def number(value: float) -> str:
    """A feature mean in few characters: 3 significant digits, k/M above a thousand."""
    if is_missing(value):
        return "–"
    a = abs(value)
    for step, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= step:
            return f"{value / step:.3g}{suffix}".replace("-", "−")
    return f"{value:.3g}".replace("-", "−")


def cluster_sizes(df: pd.DataFrame, colors: dict[str, str]) -> Chart:
    names = [cluster_name(c, lab) for c, lab in zip(df["cluster"], df["label"], strict=True)]
    data = [
        {
            "value": int(n),
            "text": f"{integer(n)} · {percent(sh, 0)}",
            "itemStyle": {"color": colors[c]},
            "tip": _tip(name, f"Cluster {c}", f"{integer(n)} customers ({percent(sh)})"),
        }
        for name, c, n, sh in zip(names, df["cluster"], df["customers"], df["share"], strict=True)
    ]
    return _hbars(
        "cluster_sizes",
        [short(n, 30) for n in names],
        data,
        "Customers in each group found by clustering, largest first.",
        "int",
        PALETTE[0],
    )


def humanise(name: str) -> str:
    """A column name as words: ``revenue_total`` → ``Revenue total``."""
    text = str(name).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def cluster_profile(df: pd.DataFrame, sizes: pd.DataFrame) -> Chart:
    """Heat map: one row per cluster, one column per feature, colour = z-score of the mean."""
    features = list(dict.fromkeys(df["feature"]))
    order = list(sizes["cluster"])
    names = {
        c: cluster_name(c, lab) for c, lab in zip(sizes["cluster"], sizes["label"], strict=True)
    }
    index = {c: i for i, c in enumerate(order)}
    col = {f: i for i, f in enumerate(features)}
    data = [
        {
            "value": [col[f], index[c], max(-2.5, min(2.5, float(z)))],
            "text": number(m),
            "label": {"color": "#ffffff"} if abs(z) >= 1.5 else {},
            "tip": _tip(
                names[c],
                f"{humanise(f)}: mean {number(m)}",
                f"{abs(z):.1f} standard deviations {'above' if z >= 0 else 'below'} the average",
            ),
        }
        for c, f, m, z in zip(df["cluster"], df["feature"], df["mean"], df["z"], strict=True)
        if c in index
    ]
    option = _base() | {
        "grid": {"left": 8, "right": 16, "top": 8, "bottom": 60, "containLabel": True},
        "xAxis": _category_axis(
            [humanise(f) for f in features],
            position="top",
            axisLabel={
                "color": _TEXT,
                "interval": 0,
                "rotate": 30 if len(features) > 6 else 0,
                "width": 110,
                "overflow": "truncate",
            },
        ),
        "yAxis": _category_axis(
            [short(names[c], 26) for c in order],
            inverse=True,
            axisLabel={"color": _TEXT, "width": 180, "overflow": "truncate"},
        ),
        "visualMap": {
            "min": -2,
            "max": 2,
            "calculable": False,
            "orient": "horizontal",
            "left": "center",
            "bottom": 0,
            "itemHeight": 180,
            "itemWidth": 12,
            "text": ["above average", "below average"],
            "inRange": {"color": DIVERGING},
            "textStyle": {"color": _MUTED},
        },
        "series": [
            {
                "type": "heatmap",
                "data": data,
                "label": {"show": True, "formatter": "$fmt:text", "color": _TEXT, "fontSize": 11},
                "itemStyle": {"borderColor": "#fff", "borderWidth": 2},
            }
        ],
    }
    return Chart(
        "cluster_profile",
        option,
        "What sets each group apart: cells show the group's mean; colour shows how far it lies "
        "above (red) or below (blue) the average customer, in standard deviations.",
        height=max(260, 150 + 40 * len(order)),
        wide=True,
    )


def cluster_projection(df: pd.DataFrame, sizes: pd.DataFrame, colors: dict[str, str]) -> Chart:
    """2-D scatter of a sample of customers, one colour per cluster."""
    names = {
        c: cluster_name(c, lab) for c, lab in zip(sizes["cluster"], sizes["label"], strict=True)
    }
    series = []
    for c, part in df.groupby("cluster", sort=False):
        name = names.get(c, f"Group {c}")
        series.append(
            {
                "name": name,
                "type": "scatter",
                "symbolSize": 4 if len(df) > 1000 else 6,
                "large": len(part) > 2000,
                "itemStyle": {"color": colors.get(c, OTHER_SEGMENT_COLOR), "opacity": 0.6},
                "data": [
                    [round(float(x), 4), round(float(y), 4)]
                    for x, y in zip(part["x"], part["y"], strict=True)
                ],
                "tooltip": {"formatter": "{a}"},
            }
        )
    series.sort(
        key=lambda s: (
            list(names.values()).index(s["name"]) if s["name"] in names.values() else len(names)
        )
    )
    axis = {
        "type": "value",
        "scale": True,
        "axisLabel": {"show": False},
        "splitLine": {"show": False},
        "axisTick": {"show": False},
        "axisLine": {"show": False},
    }
    option = _base() | {
        "legend": {"top": 0, "type": "scroll"},
        "grid": {"left": 16, "right": 16, "top": 36, "bottom": 8},
        "xAxis": axis,
        "yAxis": dict(axis),
        "series": series,
    }
    return Chart(
        "cluster_projection",
        option,
        f"A sample of {integer(len(df))} customers placed in two dimensions so that similar "
        "customers sit close together; colour shows their group. The axes have no units.",
        height=440,
    )


def cluster_colors(clusters: list[str]) -> dict[str, str]:
    """One palette colour per cluster, in the given order (grey beyond the palette)."""
    return {
        c: PALETTE[i] if i < len(PALETTE) else OTHER_SEGMENT_COLOR for i, c in enumerate(clusters)
    }
