"""The latest ``crmine evaluate`` result, kept in the workspace for the report.

Saved as JSON (``DIR/evaluations/latest.json`` plus one file per cutoff) and turned into two
long tables the report's backtest section reads: ``evaluation_metrics`` and
``evaluation_curves``.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from crmine.engine.workspace import Workspace

FOLDER = "evaluations"


def to_json(result: Any) -> str:
    """An evaluation result as strict JSON (numpy scalars and dates made plain)."""
    return json.dumps(result, indent=2, default=_jsonable, allow_nan=False)


def save(ws: Workspace, result: dict[str, Any], extra: Path | None = None) -> Path:
    folder = ws.root / FOLDER
    folder.mkdir(exist_ok=True)
    text = to_json(result)
    paths = [folder / f"cutoff-{result['cutoff']}-h{result['horizon_days']}.json", folder / "latest.json"]
    if extra is not None:
        paths.append(extra)
    for path in paths:
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    return paths[0]


def latest(ws: Workspace) -> dict[str, Any] | None:
    path = ws.root / FOLDER / "latest.json"
    return json.loads(path.read_text("utf-8")) if path.exists() else None


def report_tables(result: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(evaluation_metrics, evaluation_curves) in the long form the report reads."""
    import pandas as pd

    metrics, curves = [], []
    for task, section in result.get("sections", {}).items():
        for row in section.get("metrics", []):
            base = row.get("best_baseline")
            metrics.append({
                "task": task, "metric": row["metric"], "model": "crmine",
                "value": row.get("model"), "baseline": base,
                "baseline_value": (row.get("baselines") or {}).get(base) if base else None,
                "grade": row.get("grade"), "sentence": row.get("sentence"),
            })
        for model, points in (section.get("gains_curve") or {}).items():
            curves += [{"task": task, "curve": "gains", "model": model, "x": x, "y": y}
                       for x, y in points]
        curves += [
            {"task": task, "curve": "reliability", "model": "crmine",
             "x": b["predicted"], "y": b["observed"]}
            for b in section.get("reliability_curve") or []
        ]
    columns_m = ["task", "metric", "model", "value", "baseline", "baseline_value", "grade", "sentence"]
    return (pd.DataFrame(metrics, columns=columns_m),
            pd.DataFrame(curves, columns=["task", "curve", "model", "x", "y"]))


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, set | tuple):
        return list(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")
