"""SQL quoting: names from users' files reach DuckDB exactly as written, or fail clearly."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmine.engine import Workspace
from crmine.engine.quoting import quote_identifier, quote_literal
from crmine.pipeline.ingest import ingest
from tests.pipeline.conftest import write


@pytest.mark.parametrize(
    ("name", "quoted"),
    [
        ("customer_id", '"customer_id"'),
        ("Order Date", '"Order Date"'),
        ('5" screen', '"5"" screen"'),
        ('"', '""""'),
        ("客户编号", '"客户编号"'),
        ("订单日期", '"订单日期"'),
        ("select", '"select"'),  # a keyword is a plain name once quoted
    ],
)
def test_quote_identifier(name: str, quoted: str):
    assert quote_identifier(name) == quoted


def test_quote_identifier_rejects_nul():
    with pytest.raises(ValueError, match="NUL"):
        quote_identifier("a\x00b")


def test_empty_identifier_is_rejected_as_duckdb_rejects_it():
    with pytest.raises(duckdb.ParserException, match="zero-length"):
        duckdb.connect().execute('CREATE TABLE t ("" INTEGER)')
    with pytest.raises(ValueError, match="empty"):
        quote_identifier("")


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("orders", "'orders'"),
        ("it's", "'it''s'"),
        ("", "''"),
        ("C:\\data\\x.csv", "'C:\\data\\x.csv'"),
    ],
)
def test_quote_literal(value: str, quoted: str):
    assert quote_literal(value) == quoted
    assert duckdb.connect().execute(f"SELECT {quoted}").fetchone() == (value,)


def test_quote_literal_rejects_nul():
    with pytest.raises(ValueError, match="NUL"):
        quote_literal("a\x00b")


NAMES = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1)


@settings(max_examples=200, deadline=None)
@given(NAMES)
def test_any_name_round_trips_through_duckdb(name: str):
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t ({quote_identifier(name)} INTEGER)")
    assert [row[0] for row in con.execute("DESCRIBE t").fetchall()] == [name]


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00")))
def test_any_text_round_trips_as_a_literal(value: str):
    assert duckdb.connect().execute(f"SELECT {quote_literal(value)}").fetchone() == (value,)


def test_ingest_keeps_headers_with_quotes_spaces_and_chinese(tmp_path: Path):
    ws = Workspace.init(tmp_path / "ws")  # as tests/pipeline/conftest.py's ``ws`` fixture
    headers = [
        "订单编号",
        "客户编号",
        "订单日期",
        "金额",
        'gift "wrap"',
        "loyalty tier",
        '备注 "说明"',
    ]
    text = (
        ",".join('"' + h.replace('"', '""') + '"' for h in headers) + "\n"
        '1,KH1,2024-01-05,5.5,yes,gold,"say ""hi"""\n'
        "2,KH2,2024-01-06,7,no,silver,\n"
        "3,KH3,not a date,9,yes,gold,late\n"
    )
    r = ingest(ws, "orders", write(tmp_path / "orders.csv", text))
    assert (r.read, r.loaded, r.quarantined) == (3, 2, {"unparseable order_ts": 1})
    assert 'gift "wrap" (kept as attribute gift_wrap)' in r.mapping
    assert "loyalty tier (kept as attribute loyalty_tier)" in r.mapping
    assert '备注 "说明" (kept as attribute 备注_说明)' in r.mapping
    with ws.connect(read_only=True) as con:
        rows = con.execute(
            "SELECT order_id, customer_id, order_ts::VARCHAR, amount, gift_wrap, loyalty_tier, "
            "备注_说明 FROM orders ORDER BY _source_row"
        ).fetchall()
        (raw,) = con.execute("SELECT raw_values FROM quarantine").fetchone()
    assert rows == [
        ("1", "KH1", "2024-01-05 00:00:00", 5.5, True, "gold", 'say "hi"'),
        ("2", "KH2", "2024-01-06 00:00:00", 7.0, False, "silver", None),
    ]
    # the quarantined row keeps every field under its header as written in the file
    assert json.loads(raw) == dict(
        zip(headers, ["3", "KH3", "not a date", "9", "yes", "gold", "late"], strict=True)
    )
