"""The pieces: vendored asset, number formatting, chart specs."""

from __future__ import annotations

import json
import re
from datetime import date
from importlib.resources import files

import pytest

from crmine.report import charts, data, html
from crmine.report.context import ReportSettings
from crmine.report.fmt import Money, integer, percent
from crmine.report.sections import SECTIONS
from tests.report._frames import warehouse

FORMATTERS = set(re.findall(r"\n    (\w+): function", html._BOOT))


def test_echarts_asset_loads_from_the_package() -> None:
    assets = files("crmine.report").joinpath("assets")
    code = assets.joinpath("echarts.min.js").read_text(encoding="utf-8")
    assert len(code) > 500_000 and "echarts" in code[:5000]
    assert "</script" not in code.lower()
    assert "Apache License" in assets.joinpath("LICENSE").read_text(encoding="utf-8")
    assert "Apache ECharts" in assets.joinpath("NOTICE").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("code", "value", "decimals", "want"),
    [
        ("GBP", 1234567.4, 0, "£1,234,567"),
        ("usd", -1234.5, 2, "−$1,234.50"),
        ("CHF", 1000, 0, "1,000 CHF"),
        (None, 12.0, 0, "12"),
        ("EUR", float("nan"), 0, "–"),
    ],
)
def test_money(code, value, decimals, want) -> None:
    assert Money.for_currency(code)(value, decimals) == want


def test_integer_and_percent() -> None:
    assert integer(1234567.6) == "1,234,568"
    assert percent(0.1234) == "12.3%"
    assert percent(None) == "–"


def _all_charts() -> list[charts.Chart]:
    con = warehouse("orders", "customer_scores")
    tables = data.inspect_tables(con, ["orders", "customer_scores"])
    as_of, money, s = date(2024, 9, 1), Money.for_currency("GBP"), ReportSettings()
    return [
        charts.monthly_chart(data.monthly(con, as_of), money),
        charts.region_chart(data.revenue_by_region(con, as_of, 2), money),
        charts.segments_chart(data.rfm_segments(con, tables), money),
        charts.rf_heatmap(data.rf_grid(con, tables), money),
        charts.cohort_heatmap(data.cohort_retention(con, as_of, 24, 24)),
        charts.products_chart(data.top_products(con, as_of, tables, s.top_products), money),
    ]


def test_chart_specs_are_json_with_known_formatters() -> None:
    for chart in _all_charts():
        text = json.dumps(html._finite(chart.option), allow_nan=False)
        used = set(re.findall(r'"\$fmt:(\w+)"', text))
        assert used <= FORMATTERS, (chart.id, used - FORMATTERS)
        assert chart.caption.endswith(".") and chart.height > 0


def test_region_chart_groups_small_regions() -> None:
    con = warehouse("orders")
    df = data.revenue_by_region(con, date(2024, 9, 1), 1)
    labels = charts.region_chart(df, Money()).option["yAxis"]["data"]
    assert labels[1:] == ["Other (2 regions)", "(not recorded)"]
    assert df["revenue"].sum() == pytest.approx(
        con.execute("SELECT sum(amount) FROM orders").fetchone()[0]
    )


def test_rf_grid_is_always_five_by_five() -> None:
    con = warehouse("customer_scores")
    tables = data.inspect_tables(con, ["customer_scores"])
    grid = data.rf_grid(con, tables)
    assert (
        len(grid) == 25
        and grid["customers"].sum()
        == con.execute("SELECT count(*) FROM customer_scores").fetchone()[0]
    )


def test_segment_colours_cover_every_segment_and_are_distinct() -> None:
    assert list(charts.SEGMENT_COLORS) == charts.SEGMENT_ORDER
    assert len(set(charts.SEGMENT_COLORS.values())) == len(charts.SEGMENT_ORDER)
    assert charts.order_segments(["Lost", "Zeta", "Champions"]) == ["Champions", "Lost", "Zeta"]


def test_section_ids_are_unique() -> None:
    ids = [s.id for s in SECTIONS]
    assert len(ids) == len(set(ids))
