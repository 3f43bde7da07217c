from __future__ import annotations

from pathlib import Path

import pytest

from crmine.engine import Workspace


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.init(tmp_path / "ws")


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


ORDERS_CSV = """InvoiceNo,InvoiceDate,CustomerID,StockCode,Description,Quantity,UnitPrice,Country
1001,2024-01-05 10:00:00,17850.0,A1,Mug,2,3.50,United Kingdom
1001,2024-01-05 10:00:00,17850.0,B2,Plate,1,"1,234.50",United Kingdom
1001,2024-01-05 10:00:00,17850.0,B2,Plate,1,"1,234.50",United Kingdom
1002,2024/1/7,12000,A1,Mug,1,£3.50,France
C1003,2024-01-09,17850,A1,Mug,-1,3.50,United Kingdom
1004,2024-01-10,,A1,Mug,5,3.50,United Kingdom
1005,not a date,12000,A1,Mug,1,3.50,France
1006,2024-01-12,12000,A1,Mug,many,3.50,France
,2024-01-12,12000,A1,Mug,1,3.50,France
"""
