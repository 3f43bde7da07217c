"""The report on UCI Online Retail, mapped by hand onto the warehouse contract."""

from __future__ import annotations

import re

import pytest

from crmine.report import build_report, data
from tests.conftest import dataset_file
from tests.report._retail import load_online_retail


@pytest.mark.realdata
def test_online_retail_report() -> None:
    con, as_of = load_online_retail(dataset_file("online_retail"))
    k = data.order_kpis(con, as_of, 90)
    # Known profile: 4,372 customer ids, of which 4,339 ever bought (the rest only cancelled).
    assert k["customers"] == 4339
    assert k["anonymous_lines"] == 135_080
    html = build_report(con, title="Online Retail", as_of=as_of)
    # every section the orders and scores support is there (model sections need a run)
    base = "kpis|monthly|regions|segments|rf_grid|cohorts|products"
    assert not re.search(rf'class="card omitted" id="s-({base})"', html)
    assert "United Kingdom" in html and "£" in html
