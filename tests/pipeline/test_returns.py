"""Returns and cancellations decided from the data, not from one file's id convention."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmine.engine import Workspace
from crmine.pipeline.ingest import ingest
from crmine.quality.returns import (
    PrefixStats,
    decide_prefix,
    status_marks_return,
    status_sql,
)


def test_a_prefix_whose_lines_are_negative_marks_returns():
    d = decide_prefix([PrefixStats("C", 9288, 9288), PrefixStats("", 532_000, 1336)])
    assert d.prefix == "C" and "100% of their 9,288 lines are negative" in d.reason


def test_country_prefixes_of_positive_lines_are_not_returns():
    d = decide_prefix([PrefixStats("CA", 5576, 0), PrefixStats("US", 1106, 0)])
    assert d.prefix is None and "CA (0% of 5,576 negative)" in d.reason


def test_no_letters_no_decision_and_the_user_decides_when_told():
    assert decide_prefix([PrefixStats("", 100, 3)]) == decide_prefix([])
    assert decide_prefix([PrefixStats("CA", 50, 0)], "r").prefix == "R"


def test_a_prefix_is_not_taken_when_everything_is_negative():
    assert decide_prefix([PrefixStats("R", 50, 50), PrefixStats("", 50, 50)]).prefix is None


@pytest.mark.parametrize("text, expected", [
    ("Cancelled", True), ("canceled", True), ("REFUNDED", True), ("returned", True),
    ("退货", True), ("已取消", True), ("退款成功", True), ("completed", False),
    ("shipped", False), ("已完成", False), (None, False), ("", False),
    ("partially_refunded", False), ("部分退款", False),
])  # fmt: skip
def test_status_words(text, expected):
    assert status_marks_return(text) is expected


@given(st.text(max_size=20))
def test_status_sql_agrees_with_python(text):
    got = duckdb.execute(f"SELECT {status_sql('t')} FROM (SELECT ?::VARCHAR AS t)",
                         [text]).fetchone()[0]
    assert got is status_marks_return(text)


def _csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _facts(ws: Workspace) -> tuple[int, float]:
    with ws.connect(read_only=True) as con:
        return con.execute("SELECT count(*) FILTER (WHERE is_return), round(sum(amount), 2) "
                           "FROM orders").fetchone()  # fmt: skip


def test_superstore_ids_are_sales_not_cancellations(ws: Workspace, tmp_path: Path):
    rows = [f"{'CA' if i % 5 else 'US'}-2016-{152156 + i},C{i % 7},2016-03-{1 + i % 28:02d},"
            f"P{i % 9},{2 + i % 3},10.0" for i in range(40)]  # fmt: skip
    result = ingest(ws, "orders", _csv(tmp_path / "o.csv", "Order ID,Customer ID,Order Date,"
                                        "Product ID,Quantity,Unit Price", rows))  # fmt: skip
    assert _facts(ws)[0] == 0
    assert any("not return markers" in n for n in result.notes)


def test_online_retail_style_c_invoices_are_returns(ws: Workspace, tmp_path: Path):
    rows = [f"{536000 + i},U{i % 4},2011-01-{1 + i % 28:02d},P1,2,3.0" for i in range(20)]
    rows += [f"C{537000 + i},U{i % 4},2011-02-{1 + i % 28:02d},P1,-1,3.0" for i in range(6)]
    result = ingest(ws, "orders", _csv(tmp_path / "o.csv", "InvoiceNo,CustomerID,InvoiceDate,"
                                        "StockCode,Quantity,UnitPrice", rows))  # fmt: skip
    assert _facts(ws) == (6, pytest.approx(20 * 6.0 - 6 * 3.0))
    assert any("starting with C mark returns" in n for n in result.notes)


def test_a_status_column_marks_cancellations_and_refunds(ws: Workspace, tmp_path: Path):
    rows = ["1,a,2024-01-02,P1,2,10,completed", "2,a,2024-01-03,P2,1,5,cancelled",
            "3,b,2024-01-04,P1,1,10,已取消", "R1,a,2024-01-09,P1,-1,10,refunded",
            "4,b,2024-01-05,P3,3,1,shipped"]  # fmt: skip
    ingest(ws, "orders", _csv(tmp_path / "o.csv", "order_no,customer,order_date,sku,qty,"
                               "price,status", rows))  # fmt: skip
    returns, net = _facts(ws)
    assert returns == 3  # two cancelled orders and one refund
    assert net == pytest.approx(20 - 10 + 3)  # cancelled orders count nothing
