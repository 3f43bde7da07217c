"""Basket data without prices: order figures stay, revenue figures go, and the report says so."""

from __future__ import annotations

from datetime import date

from crmine.report import build_report
from tests.report._frames import orders_frame, warehouse


def _section(html: str, sid: str) -> str:
    part = html[html.index(f'id="s-{sid}"'):]
    return part[: part.index("</section>")]


def test_report_without_amounts_keeps_order_figures():
    orders = orders_frame()
    orders["product_name"] = orders["product_id"]  # item names serve as ids
    orders[["amount", "unit_price", "quantity"]] = None
    html = build_report(warehouse("orders", orders=orders), title="t", as_of=date(2024, 9, 1))
    kpis = _section(html, "kpis")
    assert "Orders" in kpis and "Repeat-purchase rate" in kpis
    assert "Average order value" not in kpis and "no amounts or prices" in kpis
    for sid in ("monthly", "regions", "cohorts", "products"):
        assert "Left out" not in _section(html, sid), sid
    products = _section(html, "products")
    assert "Net revenue" not in products and "bought in the most orders" in products
    assert ">Code<" not in products  # the code column would repeat the name
    assert "Number of purchase orders per calendar month" in _section(html, "monthly")
