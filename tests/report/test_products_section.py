"""Top products leave out postage and fees, and say so."""

from __future__ import annotations

from datetime import date

import pandas as pd

from crmine.report import build_report
from tests.report._frames import orders_frame, warehouse


def test_postage_is_not_a_top_product():
    orders = orders_frame()
    postage = orders.head(40).copy()
    postage["product_id"] = "POST"
    postage["product_name"] = "POSTAGE"
    postage["amount"] = 10_000.0  # would top the ranking if it counted
    con = warehouse("orders", orders=pd.concat([orders, postage], ignore_index=True))
    html = build_report(con, title="t", as_of=date(2024, 9, 1))
    products = html[html.index('id="s-products"'):]
    products = products[: products.index("</section>")]
    # named once, in the note saying it was left out; not in the chart or the table
    assert products.count("POSTAGE") == 1
    assert "left out of this ranking: POSTAGE" in products
