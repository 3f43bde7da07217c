from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from crmine.engine import Workspace
from crmine.errors import CrmineError
from crmine.pipeline.customer360 import customer_view
from crmine.pipeline.exporting import export_table
from crmine.pipeline.ingest import ingest
from crmine.pipeline.run import run
from tests.pipeline.conftest import ORDERS_CSV, write


@pytest.fixture
def ran(ws: Workspace, tmp_path: Path) -> Workspace:
    ingest(ws, "orders", write(tmp_path / "orders.csv", ORDERS_CSV))
    run(ws)
    return ws


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_export_published_and_loaded_tables(ran: Workspace, tmp_path: Path, suffix: str):
    for table, rows in (("customer_scores", 2), ("quarantine", 4), ("orders", 5)):
        out = tmp_path / f"{table}{suffix}"
        assert export_table(ran, table, out) == rows
        read = {".csv": pd.read_csv, ".parquet": pd.read_parquet, ".xlsx": pd.read_excel}[suffix]
        assert len(read(out)) == rows


def test_export_errors(ran: Workspace, tmp_path: Path):
    with pytest.raises(CrmineError, match="published: .*customer_scores"):
        export_table(ran, "nope", tmp_path / "x.csv")
    with pytest.raises(CrmineError, match=".csv, .parquet or .xlsx"):
        export_table(ran, "orders", tmp_path / "x.json")


def test_customer_view(ran: Workspace):
    view = customer_view(ran, "17850")
    assert view["scores"]["orders_count"] == 1
    assert set(view["orders"]["order_id"]) == {"1001", "C1003"}
    with pytest.raises(CrmineError, match="no customer"):
        customer_view(ran, "99999")
