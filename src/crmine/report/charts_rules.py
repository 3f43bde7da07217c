"""Association rules as a network: products as nodes, rules as arrows.

Readability comes first: the caller limits the rules, names are cut short on the chart (full
names and the rule's figures are in the tooltips) and labels that would overlap are hidden.
The layout is computed here (a seeded spring layout), not by the browser: the picture is the
same on every load and always fits its box, which a browser-side force layout does not ensure.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from crmine.report.charts import _TEXT, PALETTE, Chart, _base, _tip
from crmine.report.charts_models import short
from crmine.report.fmt import integer, is_missing, percent

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


def spring_layout(
    n: int, pairs: list[tuple[int, int]], *, aspect: float = 2.0, seed: int = 7, steps: int = 300
) -> np.ndarray:
    """Fruchterman–Reingold positions for ``n`` nodes joined by ``pairs``, in [0, aspect]×[0, 1].

    Every pair of nodes repels, linked nodes attract and a weak pull to the centre keeps
    separate groups together; O(n²) per step, meant for a few dozen nodes.
    """
    if n == 0:
        return np.zeros((0, 2))
    rng = np.random.default_rng(seed)
    pos = rng.uniform(size=(n, 2))
    k = math.sqrt(1.0 / n)
    src = np.array([a for a, _ in pairs], dtype=int)
    dst = np.array([b for _, b in pairs], dtype=int)
    for step in range(steps):
        delta = pos[:, None, :] - pos[None, :, :]
        dist = np.maximum(np.linalg.norm(delta, axis=-1), 1e-3)
        disp = (delta * (k * k / dist**2)[..., None]).sum(axis=1)
        if len(src):
            d = pos[src] - pos[dst]
            pull = d * (np.linalg.norm(d, axis=1) / (2.5 * k))[:, None]
            np.add.at(disp, src, -pull)
            np.add.at(disp, dst, pull)
        disp -= 0.08 * (pos - pos.mean(axis=0)) * n * k
        length = np.maximum(np.linalg.norm(disp, axis=1), 1e-9)
        temperature = 0.1 * (1 - step / steps) + 1e-3
        pos += disp * (np.minimum(length, temperature) / length)[:, None]
    low, span = pos.min(axis=0), np.ptp(pos, axis=0)
    span[span == 0] = 1.0
    return (pos - low) / span * np.array([aspect, 1.0])


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
    height = max(420, min(680, 240 + 12 * n))
    index = {node["id"]: i for i, node in enumerate(graph_nodes)}
    pairs = [(index[link["source"]], index[link["target"]]) for link in links]
    for node, (x, y) in zip(
        graph_nodes, spring_layout(n, pairs, aspect=1100 / height), strict=True
    ):
        node["x"], node["y"] = round(float(x), 4), round(float(y), 4)
    option = _base() | {
        "series": [
            {
                "type": "graph",
                "layout": "none",
                "data": graph_nodes,
                "links": links,
                "roam": True,
                "draggable": True,
                "top": 24,
                "bottom": 24,
                "left": 24,
                "right": 190,
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
        height=height,
        wide=True,
    )
