"""Association rules as a force-directed network: products as nodes, rules as arrows.

Readability comes first: the caller limits the rules, names are cut short on the chart (full
names and the rule's figures are in the tooltips) and labels that would overlap are hidden.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from crmine.report.charts import _TEXT, PALETTE, Chart, _base, _tip
from crmine.report.charts_models import is_missing, short
from crmine.report.fmt import integer, percent

if TYPE_CHECKING:
    import pandas as pd

_EDGE = "#7f8b99"


def rule_text(antecedents: list[str], consequents: list[str]) -> str:
    """``A + B → C``, the rule in words (full names)."""
    return f"{' + '.join(map(str, antecedents))} → {' + '.join(map(str, consequents))}"


def _scale(value: float, low: float, high: float, out_low: float, out_high: float) -> float:
    if not math.isfinite(value) or high <= low:
        return (out_low + out_high) / 2
    return out_low + (out_high - out_low) * (value - low) / (high - low)


def rules_network(nodes: pd.DataFrame, edges: pd.DataFrame, rules: int) -> Chart:
    """Nodes sized by support (area ∝ support), arrows A → C with width and shade by lift."""
    sizes = [math.sqrt(max(float(s), 0.0)) for s in nodes["support"]]
    s_low, s_high = min(sizes, default=0.0), max(sizes, default=0.0)
    graph_nodes: list[dict[str, Any]] = []
    for (pid, name, sup, n), size in zip(
        zip(nodes["id"], nodes["name"], nodes["support"], nodes["rules"], strict=True),
        sizes,
        strict=True,
    ):
        full = str(pid) if is_missing(name) else str(name)
        graph_nodes.append(
            {
                "id": str(pid),
                "name": str(pid),
                "value": float(sup),
                "symbolSize": round(_scale(size, s_low, s_high, 10, 38), 1),
                "text": short(full, 22),
                "tip": _tip(
                    full,
                    f"Code {pid}",
                    f"Support {percent(sup)} of baskets",
                    f"In {integer(n)} of the rules shown",
                ),
            }
        )
    lifts = [float(v) for v in edges["lift"]]
    l_low, l_high = min(lifts, default=0.0), max(lifts, default=0.0)
    links = [
        {
            "source": str(a),
            "target": str(c),
            "lineStyle": {
                "width": round(_scale(lift, l_low, l_high, 1, 5), 2),
                "opacity": round(_scale(lift, l_low, l_high, 0.35, 0.85), 2),
            },
            "tip": _tip(
                rule_text(list(an), list(cn)),
                f"Lift {lift:.1f} (bought together {lift:.1f}× more often than by chance)",
                f"Confidence {percent(conf)}: of baskets with the left side, share with the right",
                f"Support {percent(sup, 2)} of all baskets",
            ),
        }
        for a, c, lift, conf, sup, an, cn in zip(
            edges["source"],
            edges["target"],
            lifts,
            edges["confidence"],
            edges["support"],
            edges["a_names"],
            edges["c_names"],
            strict=True,
        )
    ]
    n = len(graph_nodes)
    option = _base() | {
        "series": [
            {
                "type": "graph",
                "layout": "force",
                "data": graph_nodes,
                "links": links,
                "roam": True,
                "draggable": True,
                "top": 30,
                "bottom": 30,
                "left": 60,
                "right": 60,
                "force": {
                    "repulsion": 300 if n < 25 else 200,
                    "gravity": 0.1,
                    "edgeLength": [60, 150],
                    "layoutAnimation": False,
                    "friction": 0.2,
                },
                "itemStyle": {"color": PALETTE[0], "borderColor": "#fff", "borderWidth": 1},
                "lineStyle": {"color": _EDGE, "curveness": 0.18},
                "edgeSymbol": ["none", "arrow"],
                "edgeSymbolSize": [0, 7],
                "label": {
                    "show": True,
                    "position": "right",
                    "formatter": "$fmt:text",
                    "color": _TEXT,
                    "fontSize": 11,
                    "backgroundColor": "rgba(255,255,255,0.75)",
                    "padding": [1, 2],
                },
                "labelLayout": {"hideOverlap": True},
                "emphasis": {"focus": "adjacency", "lineStyle": {"width": 4}},
            }
        ],
    }
    return Chart(
        "rules_network",
        option,
        f"The {integer(rules)} rules with the highest lift: each arrow goes from what is in the "
        "basket to what tends to join it (thicker = higher lift); bigger circles are bought "
        "more often. Hover for full names and figures; drag or zoom to untangle.",
        height=max(480, min(760, 300 + 12 * n)),
        wide=True,
    )
