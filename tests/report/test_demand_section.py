"""The demand section: history, forecast and band per level, the keys picked one at a time."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from crmine.models.demand import DemandForecaster
from crmine.pipeline.step import model_rows
from crmine.report import build_report
from tests.report._frames import warehouse
from tests.report.test_model_sections import chart_specs, is_omitted, section_html


def _published(con, level: str = "region") -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    starts = pd.date_range("2024-01-05", periods=30, freq="7D")
    kids = {k: np.maximum(rng.normal(m, 4, 30), 0) for k, m in (("North", 30), ("South", 12))}
    history = pd.concat([pd.DataFrame({"level": lv, "key": k, "period_start": starts, "y": y})
                         for lv, k, y in [("total", "all", kids["North"] + kids["South"]),
                                          (level, "North", kids["North"]),
                                          (level, "South", kids["South"])]],
                        ignore_index=True)  # fmt: skip
    model = DemandForecaster(horizon=5, candidates=("Naive", "WindowAverage")).fit(history)
    forecast = model.predict()
    hist = history.rename(columns={"y": "actual"}).assign(freq="W")
    models = pd.DataFrame(model_rows([*model.level_records(), model.describe()]))
    for name, frame in (("demand_forecast", forecast), ("demand_history", hist),
                        ("models", models)):  # fmt: skip
        con.write(name, frame)
    return forecast, hist


def test_each_level_charts_its_history_forecast_and_band():
    con = warehouse("orders")
    forecast, history = _published(con)
    html = build_report(con, title="t")
    assert not is_omitted(html, "demand")
    text = section_html(html, "demand")
    assert "Validation WAPE" in text and "region" in text
    specs = {k: v for k, v in chart_specs(html).items() if k.startswith("demand_")}
    assert len(specs) == 2  # one chart per level
    region = next(v for v in specs.values() if "North" in v["legend"]["data"])
    assert region["legend"]["selectedMode"] == "single"
    north = [s for s in region["series"] if s["name"] == "North"]
    assert len(north) == 4  # history, forecast, band floor, band width
    assert len(region["xAxis"]["data"]) == 30 + 5
    shown = [p["value"] for p in north[1]["data"] if p is not None]
    expected = forecast[(forecast["key"] == "North")].sort_values("period_start")["forecast"]
    np.testing.assert_allclose(shown, expected.to_numpy())
    past = [p["value"] for p in north[0]["data"] if p is not None]
    actual = history[history["key"] == "North"].sort_values("period_start")["actual"]
    np.testing.assert_allclose(past, actual.to_numpy())
    top = [float(a) + float(b) for a, b in zip(north[2]["data"][30:], north[3]["data"][30:],
                                              strict=True)]  # fmt: skip
    hi = forecast[forecast["key"] == "North"].sort_values("period_start")["hi_80"]
    np.testing.assert_allclose(top, hi.to_numpy())
    json.dumps(region)  # the spec is plain JSON


def test_without_a_forecast_the_section_says_why():
    html = build_report(warehouse("orders"), title="t")
    assert is_omitted(html, "demand")
    assert "demand_forecast" in section_html(html, "demand")


def test_category_demand_sits_beside_the_customers_expected_to_need_it():
    con = warehouse("orders")
    forecast, _ = _published(con, level="category")
    needs = pd.DataFrame({"customer_id": ["a", "b", "c", "a"], "rank": [1, 1, 1, 2],
                          "category": ["North", "North", "South", "South"],
                          "probability": [0.9, 0.4, 0.7, 0.2]})  # fmt: skip
    con.write("next_categories", needs)
    text = section_html(build_report(con, title="t"), "demand")
    north = forecast[forecast["key"] == "North"]["forecast"].sum()
    row = text[text.index(">North<"):]
    row = row[: row.index("</tr>")]
    cells = [c for c in (part.split("<")[0] for part in row.split(">")) if c.strip()]
    assert cells[0] == "North" and cells[3] == "1" and cells[4] == "1"  # 0.9 + 0.4; one ≥ 50 %
    assert cells[1] == f"£{north:,.0f}"  # the orders are in GBP
