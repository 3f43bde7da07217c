"""Ingest: every row loaded or quarantined with its reason, and the counts reconcile."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmine.engine import Workspace
from crmine.errors import CrmineError, InputError, MappingError
from crmine.pipeline.ingest import ingest
from tests.pipeline.conftest import ORDERS_CSV, write


def reasons(ws: Workspace) -> dict[int, str]:
    with ws.connect(read_only=True) as con:
        return dict(con.execute("SELECT source_row, reason FROM quarantine").fetchall())


def test_orders_rows_loaded_or_quarantined_with_reasons(ws: Workspace, tmp_path: Path):
    path = write(tmp_path / "orders.csv", ORDERS_CSV)
    r = ingest(ws, "orders", path)
    assert r.read == 9
    assert r.loaded + r.quarantined_total == r.read
    # line numbers as a person sees them in the file (header = line 1)
    assert reasons(ws) == {
        4: "duplicate",
        8: "unparseable order_ts",
        9: "unparseable quantity",
        10: "missing order_id",
    }
    with ws.connect(read_only=True) as con:
        rows = con.execute(
            "SELECT order_id, customer_id, quantity, unit_price, amount, is_return, region "
            "FROM orders ORDER BY _source_row"
        ).fetchall()
    assert rows[0] == ("1001", "17850", 2.0, 3.5, 7.0, False, "United Kingdom")
    assert rows[1][3:5] == (1234.5, 1234.5)  # thousands separator
    assert rows[2][3] == 3.5  # currency symbol
    assert rows[3][:2] == ("C1003", "17850") and rows[3][4] == -3.5 and rows[3][5] is True
    assert rows[4][1] is None  # a line without a customer is kept


def test_reingesting_the_same_file_duplicates_nothing(ws: Workspace, tmp_path: Path):
    path = write(tmp_path / "orders.csv", ORDERS_CSV)
    first = ingest(ws, "orders", path)
    again = ingest(ws, "orders", path)
    assert again.skipped and again.loaded == 0
    with ws.connect(read_only=True) as con:
        assert con.execute("SELECT count(*) FROM orders").fetchone()[0] == first.loaded


def test_rows_already_loaded_from_another_file_are_quarantined_as_duplicates(
    ws: Workspace, tmp_path: Path
):
    ingest(ws, "orders", write(tmp_path / "a.csv", ORDERS_CSV))
    extra = "1099,2024-02-01,12000,A1,Mug,1,3.50,France\n"
    r = ingest(ws, "orders", write(tmp_path / "b.csv", ORDERS_CSV + extra))
    assert r.loaded == 1
    assert r.quarantined["duplicate"] == 6
    assert r.loaded + r.quarantined_total == r.read


def test_customers_with_chinese_headers_in_gbk(ws: Workspace, tmp_path: Path):
    text = (
        "客户编号,姓名,性别,城市,手机,邮箱,注册时间,是否流失\n"
        "KH1,张伟,男,上海,138 0013 8000,ZW@Example.com,2024年1月5日,是\n"
        "KH2,李娜,女,北京,+86 139 0000 0000,ln@example.com,2024年2月6日,否\n"
        "KH3,张伟,男,上海,13800138000,,2024年3月7日,\n"
    )
    path = write(tmp_path / "客户.csv", text, "gbk")
    r = ingest(ws, "customers", path)
    assert r.read == 3 and r.loaded == 3
    with ws.connect(read_only=True) as con:
        rows = con.execute(
            "SELECT customer_id, name, gender, email, phone, signup_date::VARCHAR, churned "
            "FROM customers ORDER BY customer_id"
        ).fetchall()
        merges = con.execute("SELECT old_id, new_id, reason FROM customer_merges").fetchall()
    # KH3 shares KH1's phone: merged into the earlier sign-up
    assert merges == [("KH3", "KH1", "same phone")]
    assert rows == [
        ("KH1", "张伟", "male", "zw@example.com", "+8613800138000", "2024-01-05", True),
        ("KH2", "李娜", "female", "ln@example.com", "+8613900000000", "2024-02-06", False),
    ]


def test_orders_of_merged_customers_follow_the_survivor(ws: Workspace, tmp_path: Path):
    customers = "customer_id,email\nA,x@example.com\nB,X@example.com\n"
    ingest(ws, "customers", write(tmp_path / "c.csv", customers))
    orders = "order_id,customer_id,order_date,amount\n1,A,2024-01-01,5\n2,B,2024-01-02,6\n"
    ingest(ws, "orders", write(tmp_path / "o.csv", orders))
    with ws.connect(read_only=True) as con:
        ids = con.execute("SELECT DISTINCT customer_id FROM orders").fetchall()
    assert ids == [("A",)]


@pytest.mark.parametrize(
    ("name", "content", "error", "match"),
    [
        ("empty.csv", "", InputError, "empty"),
        ("header.csv", "order_id,customer_id,order_date\n", InputError, "no rows"),
        ("bad.csv", "order_id,customer_id,order_date\n1,2,3\n", MappingError, "not dates"),
        ("nomap.csv", "foo,bar\n1,2\n", MappingError, "order_ts"),
        ("quote.csv", 'order_id,customer_id,order_date\n1,2,2024-01-01\n2,"3', InputError, "cut off"),
        ("short.csv", "order_id,customer_id,order_date\n1,2,2024-01-01\n2,3", InputError, "line 3"),
    ],
)
def test_bad_input_is_a_clear_error_and_loads_nothing(
    ws: Workspace, tmp_path: Path, name, content, error, match
):
    path = write(tmp_path / name, content)
    with pytest.raises(error, match=match):
        ingest(ws, "orders", path)
    with ws.connect(read_only=True) as con:
        tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    assert "orders" not in tables


def test_undecodable_bytes(ws: Workspace, tmp_path: Path):
    path = tmp_path / "bin.csv"
    path.write_bytes(b"order_id,customer_id,order_date\n1,\xff\xfe\x00\x01,2024-01-01\n" * 3)
    with pytest.raises(InputError):
        ingest(ws, "orders", path)


def test_missing_file_and_unknown_entity(ws: Workspace, tmp_path: Path):
    with pytest.raises(InputError, match="not found|does not exist|no such"):
        ingest(ws, "orders", tmp_path / "nope.csv")
    with pytest.raises(CrmineError, match="unknown entity"):
        ingest(ws, "invoices", write(tmp_path / "x.csv", ORDERS_CSV))


def test_failed_ingest_leaves_earlier_data_intact(ws: Workspace, tmp_path: Path):
    good = ingest(ws, "orders", write(tmp_path / "a.csv", ORDERS_CSV))
    with pytest.raises(CrmineError):
        ingest(ws, "orders", write(tmp_path / "b.csv", "order_id,customer_id,order_date\n1,2,x\n"))
    with ws.connect(read_only=True) as con:
        assert con.execute("SELECT count(*) FROM orders").fetchone()[0] == good.loaded
        assert con.execute("SELECT count(*) FROM ingest_log").fetchone()[0] == 1


def test_mapping_override_from_settings(tmp_path: Path):
    ws = Workspace.init(tmp_path / "ws")
    ws.config_path.write_text(
        ws.config_path.read_text("utf-8").replace(
            "[ingest.columns]\n", '[ingest.columns]\n'
            'orders = { order_id = "Beleg", customer_id = "Kunde", order_ts = "Buchung" }\n'
        ),
        encoding="utf-8",
    )
    ws = Workspace.open(ws.root)
    text = "Beleg,Kunde,Buchung,Datum\n1,K1,2024-03-01,garbage\n"
    r = ingest(ws, "orders", write(tmp_path / "de.csv", text))
    assert "Buchung → order_ts" in r.mapping
    assert r.loaded == 1


MIXED = "order_id,customer_id,order_date,amount\n1,A,2024-01-01,£10.00\n2,B,2024-01-02,$10.00\n"


def test_mixed_currencies_need_rates(ws: Workspace, tmp_path: Path):
    with pytest.raises(CrmineError, match="several currencies"):
        ingest(ws, "orders", write(tmp_path / "m.csv", MIXED))


def test_mixed_currencies_are_converted_with_rates(tmp_path: Path):
    ws = Workspace.init(tmp_path / "ws")
    text = ws.config_path.read_text("utf-8")
    text = text.replace('currency = ""', 'currency = "GBP"', 1)
    text = text.replace("[currency.rates]\n", "[currency.rates]\nUSD = 0.8\n")
    ws.config_path.write_text(text, encoding="utf-8")
    ws = Workspace.open(ws.root)
    r = ingest(ws, "orders", write(tmp_path / "m.csv", MIXED))
    assert any("converted from USD to GBP" in n for n in r.notes)
    with ws.connect(read_only=True) as con:
        rows = con.execute(
            "SELECT customer_id, amount, currency, amount_original, currency_original "
            "FROM orders ORDER BY 1"
        ).fetchall()
    assert rows == [("A", 10.0, "GBP", None, None), ("B", 8.0, "GBP", 10.0, "USD")]


def test_currency_marks_beyond_dollar_and_pound_are_read_and_converted(tmp_path: Path):
    ws = Workspace.init(tmp_path / "ws")
    text = ws.config_path.read_text("utf-8").replace('currency = ""', 'currency = "GBP"', 1)
    text = text.replace("[currency.rates]\n", "[currency.rates]\nINR = 0.01\nEUR = 0.85\n")
    ws.config_path.write_text(text, encoding="utf-8")
    ws = Workspace.open(ws.root)
    lines = ("order_id,customer_id,order_date,amount\n1,A,2024-01-01,₹1000\n"
             "2,B,2024-01-02,20 euros\n3,C,2024-01-03,12.50 EUR\n4,D,2024-01-04,7 pounds\n")
    r = ingest(ws, "orders", write(tmp_path / "marks.csv", lines))
    assert r.loaded == 4 and r.quarantined_total == 0
    with ws.connect(read_only=True) as con:
        rows = con.execute(
            "SELECT customer_id, round(amount, 4), currency, amount_original, currency_original "
            "FROM orders ORDER BY 1"
        ).fetchall()
    assert rows == [("A", 10.0, "GBP", 1000.0, "INR"), ("B", 17.0, "GBP", 20.0, "EUR"),
                    ("C", 10.625, "GBP", 12.5, "EUR"), ("D", 7.0, "GBP", None, None)]


def test_category_spellings_are_unified(ws: Workspace, tmp_path: Path):
    text = (
        "order_id,customer_id,order_date,amount,category\n"
        "1,A,2024-01-01,5,Home Decor\n2,A,2024-01-02,5,home decor \n3,B,2024-01-03,5,Home Decor\n"
        "4,B,2024-01-04,5,ＨＯＭＥ　ＤＥＣＯＲ\n5,B,2024-01-05,5,Garden\n"
    )
    r = ingest(ws, "orders", write(tmp_path / "c.csv", text))
    assert any("category spellings merged" in n for n in r.notes)
    with ws.connect(read_only=True) as con:
        cats = dict(con.execute("SELECT category, count(*) FROM orders GROUP BY 1").fetchall())
    assert cats == {"Home Decor": 4, "Garden": 1}
