"""The report end to end on small generated warehouses: content, omissions, safety, encoding."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from crmine.report import build_report, data, register_section, write_report
from crmine.report import sections as sections_mod
from crmine.report._vendor import echarts_js
from crmine.report.sections import Omitted, Section, SectionContent
from tests.report._frames import orders_frame, warehouse

ALL_SECTIONS = ["kpis", "monthly", "regions", "segments", "rf_grid", "cohorts", "products"]
AS_OF = date(2024, 7, 1)


def section_html(html: str, sid: str) -> str:
    """The markup of one section, asserting that it is there."""
    m = re.search(rf'<section class="([^"]*)" id="s-{sid}">(.*?)</section>', html, re.S)
    assert m, f"section {sid} missing"
    return m.group(1) + "|" + m.group(2)


def is_omitted(html: str, sid: str) -> bool:
    return section_html(html, sid).startswith("card omitted")


@pytest.fixture(scope="module")
def full_html() -> str:
    con = warehouse("orders", "customer_scores", "customers")
    return build_report(con, title="Shop <b>report</b> 报告", run_info={"run": "r1 <x>"})


def test_every_section_present_with_full_data(full_html: str) -> None:
    for sid in ALL_SECTIONS:
        assert not is_omitted(full_html, sid), sid
    specs = json.loads(re.search(r'id="crmine-charts">(.*?)</script>', full_html, re.S).group(1))
    assert {s["id"] for s in specs} == {
        "monthly",
        "regions",
        "segments",
        "rf_grid",
        "cohorts",
        "products",
    }
    for spec in specs:
        assert f'id="chart-{spec["id"]}"' in full_html
        assert any(series.get("data") for series in spec["option"]["series"]), spec["id"]


def test_html_is_self_contained(full_html: str) -> None:
    refs = re.findall(r'\b(?:src|href)\s*=\s*["\']?([^"\'\s>]+)', full_html, re.I)
    assert not [r for r in refs if re.match(r"(?:https?:)?//", r)]
    assert "<script src" not in full_html.lower()
    assert "<link" not in full_html.lower()
    assert "@import" not in full_html and "url(" not in full_html.split("<script>")[0]
    assert echarts_js() in full_html


def test_user_text_is_escaped(full_html: str) -> None:
    assert '<script>alert("x")</script>' not in full_html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in full_html  # products table
    assert "\\u003cscript\\u003e" in full_html  # chart JSON cannot close its element
    assert "<title>Shop &lt;b&gt;report&lt;/b&gt; 报告</title>" in full_html
    assert "r1 &lt;x&gt;" in full_html


def test_chinese_text_survives(full_html: str, tmp_path: Path) -> None:
    assert '<meta charset="utf-8">' in full_html
    assert "保温杯" in full_html and "华东" in full_html
    path = tmp_path / "out" / "report.html"
    write_report(full_html, path)
    assert path.read_bytes().decode("utf-8") == full_html
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]


def test_write_report_replaces_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "r.html"
    path.write_text("old", encoding="utf-8")
    write_report("<p>new</p>", path)
    assert path.read_text(encoding="utf-8") == "<p>new</p>"
    assert len(list(tmp_path.iterdir())) == 1


def _pandas_kpis(o: pd.DataFrame, as_of: date) -> dict:
    """The KPI definitions, independently in pandas."""
    cutoff = pd.Timestamp(as_of)
    o = o[o["order_ts"] < cutoff]
    p = o[~o["is_return"]]
    named = p.dropna(subset=["customer_id"])
    per_customer = named.groupby("customer_id")["order_id"].nunique()
    gross = p["amount"].sum()
    returned = -o.loc[o["is_return"], "amount"].sum()
    recent = named[named["order_ts"] >= cutoff - pd.Timedelta(days=90)]
    return {
        "customers": len(per_customer),
        "orders": p["order_id"].nunique(),
        "revenue": o["amount"].sum(),
        "active_customers": recent["customer_id"].nunique(),
        "repeat_rate": (per_customer >= 2).mean(),
        "avg_order_value": gross / p["order_id"].nunique(),
        "returns_share": returned / gross,
        "anonymous_lines": int(o["customer_id"].isna().sum()),
    }


def test_kpis_equal_an_independent_pandas_computation() -> None:
    orders = orders_frame(seed=11)
    con = warehouse("orders", orders=orders)
    got = data.order_kpis(con, AS_OF, 90)
    want = _pandas_kpis(orders, AS_OF)
    assert want["anonymous_lines"] > 0 and want["returns_share"] > 0
    for key, value in want.items():
        assert got[key] == pytest.approx(value), key
    html = section_html(build_report(con, title="t", as_of=AS_OF), "kpis")
    assert f">{want['customers']:,}<" in html
    assert f">£{want['revenue']:,.0f}<" in html
    assert f">£{want['avg_order_value']:,.2f}<" in html
    assert f">{want['repeat_rate'] * 100:.1f}%<" in html
    assert f"{want['anonymous_lines']:,} of " in html  # footnote on lines without a customer


def test_cohort_retention_matches_pandas() -> None:
    orders = orders_frame(seed=3)
    con = warehouse("orders", orders=orders)
    got = data.cohort_retention(con, AS_OF, 24, 24)
    p = orders[(~orders["is_return"]) & (orders["order_ts"] < pd.Timestamp(AS_OF))]
    p = p.dropna(subset=["customer_id"]).assign(m=lambda d: d["order_ts"].dt.to_period("M"))
    first = p.groupby("customer_id")["m"].min().rename("cohort")
    p = p.join(first, on="customer_id")
    p["k"] = (p["m"] - p["cohort"]).apply(lambda off: off.n)
    buyers = p.groupby(["cohort", "k"])["customer_id"].nunique()
    size = first.value_counts()
    for row in got.itertuples():
        cohort = pd.Period(row.cohort, "M")
        want = buyers.get((cohort, row.k), 0) / size[cohort]
        assert row.share == pytest.approx(want), (cohort, row.k)
    assert (got.loc[got["k"] == 0, "share"] == 1).all()


def test_as_of_excludes_later_orders() -> None:
    con = warehouse("orders")
    early = data.order_kpis(con, date(2024, 3, 1), 90)
    late = data.order_kpis(con, date(2025, 1, 1), 90)
    assert early["last_ts"] < pd.Timestamp("2024-03-01") <= late["last_ts"]
    assert early["orders"] < late["orders"]


@pytest.mark.parametrize(
    ("tables", "omitted"),
    [
        (("customer_scores",), {"monthly", "regions", "cohorts", "products"}),
        (("orders",), {"segments", "rf_grid"}),
        (("customers",), set(ALL_SECTIONS) - {"kpis"}),
        ((), set(ALL_SECTIONS)),
    ],
)
def test_sections_without_data_are_left_out_with_a_note(tables, omitted) -> None:
    html = build_report(warehouse(*tables), title="t")
    for sid in ALL_SECTIONS:
        assert is_omitted(html, sid) == (sid in omitted), sid
    for sid in omitted:
        assert "Left out: " in section_html(html, sid)


def test_only_customers_still_counts_them() -> None:
    html = build_report(warehouse("customers"), title="t")
    kpis = section_html(html, "kpis")
    n = orders_frame()["customer_id"].nunique()
    assert f">{n:,}<" in kpis and "no orders table" in kpis


def test_empty_region_is_left_out() -> None:
    orders = orders_frame().assign(region=None)
    con = warehouse("orders", "customer_scores", orders=orders)
    html = build_report(con, title="t")
    assert "No order line records a region" in section_html(html, "regions")
    assert not is_omitted(html, "monthly")


def test_added_section_appears_in_place() -> None:
    def build(ctx):
        return SectionContent(notes=[f"{len(ctx.tables)} tables"]) if ctx.tables else Omitted("x")

    saved = list(sections_mod.SECTIONS)
    try:
        register_section(Section("model_metrics", "Model metrics", build), before="products")
        html = build_report(warehouse("orders"), title="t")
    finally:
        sections_mod.SECTIONS[:] = saved
    assert "1 tables" in section_html(html, "model_metrics")
    assert html.index('id="s-model_metrics"') < html.index('id="s-products"')


def test_import_is_cheap() -> None:
    code = (
        "import sys, crmine.report; "
        "heavy = {'duckdb', 'pandas', 'numpy'} & set(sys.modules); "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
