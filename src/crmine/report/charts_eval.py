"""Backtest curves: cumulative gains and calibration, each against its no-skill line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmine.report.charts import _MUTED, PALETTE, Chart, _base, _tip, _value_axis
from crmine.report.charts_models import humanise
from crmine.report.fmt import percent

if TYPE_CHECKING:
    import pandas as pd

_NO_SKILL = "#8c959f"

# What a gains curve captures, by task, for the y axis and caption.
_CAPTURED = {
    "purchase": "buyers",
    "revenue": "revenue",
    "churn": "churners",
    "clv": "value",
}


def _axis(name: str, gap: int) -> dict[str, Any]:
    return _value_axis(
        "pct",
        min=0,
        max=1,
        interval=0.2,
        name=name,
        nameLocation="middle",
        nameGap=gap,
        nameTextStyle={"color": _MUTED},
    )


def _lines(
    df: pd.DataFrame, baselines: set[str], x_label: str, y_label: str
) -> list[dict[str, Any]]:
    """One line per model; baselines dashed, the others solid, colours in a stable order."""
    out = []
    for i, (model, part) in enumerate(df.groupby("model", sort=True)):
        dashed = model in baselines
        name = str(model) + (" (baseline)" if dashed else "")
        out.append(
            {
                "name": name,
                "type": "line",
                "showSymbol": len(part) <= 25,
                "symbolSize": 5,
                "data": [
                    {
                        "value": [float(x), float(y)],
                        "tip": _tip(name, f"{x_label} {percent(x)}", f"{y_label} {percent(y)}"),
                    }
                    for x, y in zip(part["x"], part["y"], strict=True)
                ],
                "itemStyle": {"color": PALETTE[i % len(PALETTE)]},
                "lineStyle": {
                    "width": 2 if dashed else 2.5,
                    "type": "dashed" if dashed else "solid",
                },
            }
        )
    return out


def _diagonal(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "type": "line",
        "data": [[0, 0], [1, 1]],
        "showSymbol": False,
        "silent": True,
        "itemStyle": {"color": _NO_SKILL},
        "lineStyle": {"color": _NO_SKILL, "type": "dotted", "width": 1.5},
    }


def _option(series: list[dict[str, Any]], x_name: str, y_name: str) -> dict[str, Any]:
    return _base() | {
        "legend": {"top": 0, "type": "scroll"},
        "grid": {"left": 30, "right": 20, "top": 40, "bottom": 40, "containLabel": True},
        "xAxis": _axis(x_name, 28),
        "yAxis": _axis(y_name, 44),
        "series": series,
    }


def gains_chart(task: str, df: pd.DataFrame, baselines: set[str]) -> Chart:
    """Cumulative share of the outcome captured against share of customers contacted."""
    what = _CAPTURED.get(str(task).lower(), str(task))
    series = [*_lines(df, baselines, "Contacted", "Captured"), _diagonal("random order")]
    option = _option(
        series, "Share of customers contacted (best-ranked first)", f"Share of {what} captured"
    )
    return Chart(
        "gains_" + "".join(ch if ch.isalnum() else "_" for ch in str(task)),
        option,
        f"{humanise(task)}: contacting customers in the model's order, the share of all {what} "
        "in the horizon reached by each share of customers; higher and further left is better.",
        height=400,
    )


def reliability_chart(df: pd.DataFrame, baselines: set[str]) -> Chart:
    """Observed rate against predicted probability per bin; on the diagonal = calibrated."""
    tasks = sorted(df["task"].unique())
    frame = df.copy()
    if len(tasks) > 1:
        frame["model"] = frame["task"].map(humanise) + " · " + frame["model"].astype(str)
        baselines = {f"{humanise(t)} · {b}" for t in tasks for b in baselines}
    series = [*_lines(frame, baselines, "Predicted", "Observed"), _diagonal("perfect calibration")]
    option = _option(series, "Predicted probability", "Observed share")
    return Chart(
        "reliability",
        option,
        "Calibration: customers grouped by predicted probability, against the share that "
        "actually did it. Points on the dotted diagonal mean the probabilities can be taken "
        "at face value.",
        height=400,
    )
