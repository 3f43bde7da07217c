"""read_source: formats, encodings, line numbers, kept ragged rows and every user error."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmine.engine.duck import DuckDBEngine
from crmine.errors import InputError
from crmine.io.readers import read_source


@pytest.fixture
def con():
    c = DuckDBEngine.memory()
    yield c
    c.close()


def rows(con, table="t"):
    return con.execute(f'SELECT * EXCLUDE (_read_error) FROM "{table}" ORDER BY _source_row').fetchall()


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_plain_csv_columns_and_line_numbers(con, tmp_path):
    p = write(tmp_path, "a.csv", b"id,name,amount\n1,Ann,3.5\n2,Bob,4\n")
    info = read_source(con, p, "t")
    assert (info.format, info.encoding, info.delimiter, info.rows) == ("csv", "utf-8", ",", 2)
    assert info.columns == ["id", "name", "amount"]
    assert rows(con) == [("1", "Ann", "3.5", 2), ("2", "Bob", "4", 3)]
    types = {r[0]: r[1] for r in con.execute("DESCRIBE t").fetchall()}
    assert types == {"id": "VARCHAR", "name": "VARCHAR", "amount": "VARCHAR",
                     "_source_row": "BIGINT", "_read_error": "VARCHAR"}


def test_sha256_is_of_the_file_bytes(con, tmp_path):
    import hashlib

    data = b"a,b\n1,2\n"
    p = write(tmp_path, "h.csv", data)
    assert read_source(con, p, "t").sha256 == hashlib.sha256(data).hexdigest()


def test_quoted_delimiters_and_newlines_keep_physical_line_numbers(con, tmp_path):
    data = b'id,note\r\n1,"a, b"\r\n2,"two\r\nlines ""q"""\r\n\r\n3,end\r\n'
    read_source(con, write(tmp_path, "q.csv", data), "t")
    assert rows(con) == [("1", "a, b", 2), ("2", 'two\r\nlines "q"', 3), ("3", "end", 6)]


@pytest.mark.parametrize(("delim", "suffix"), [(";", ".csv"), ("\t", ".tsv"), ("|", ".txt"),
                                              ("\t", ".csv")])
def test_delimiter_is_sniffed(con, tmp_path, delim, suffix):
    text = delim.join(["a", "b", "c"]) + "\n" + delim.join(["1,5", "x", "y"]) + "\n"
    info = read_source(con, write(tmp_path, "d" + suffix, text.encode()), "t")
    assert info.delimiter == delim
    assert rows(con) == [("1,5", "x", "y", 2)]


def test_delimiter_can_be_forced(con, tmp_path):
    info = read_source(con, write(tmp_path, "f.csv", b"a;b\n1;2\n"), "t", delimiter=",")
    assert info.columns == ["a;b"]


def test_utf8_bom_is_stripped_from_first_header(con, tmp_path):
    p = write(tmp_path, "bom.csv", "\ufeff客户ID,金额\nA1,5\n".encode())
    info = read_source(con, p, "t")
    assert info.columns == ["客户ID", "金额"]
    assert info.encoding == "utf-8-sig"
    assert rows(con) == [("A1", "5", 2)]


def test_gbk_chinese_export_is_transcoded(con, tmp_path):
    text = "客户编号,姓名,城市\n001,张三,北京\n002,李四,上海\n"
    info = read_source(con, write(tmp_path, "gbk.csv", text.encode("gbk")), "t")
    assert info.encoding == "gb18030"
    assert info.columns == ["客户编号", "姓名", "城市"]
    assert rows(con) == [("001", "张三", "北京", 2), ("002", "李四", "上海", 3)]


def test_utf16_with_bom(con, tmp_path):
    text = "name\tcity\nJosé\tMünchen\n"
    info = read_source(con, write(tmp_path, "u16.txt", text.encode("utf-16")), "t")
    assert info.encoding == "utf-16"
    assert rows(con) == [("José", "München", 2)]


def test_cp1252_only_when_nothing_else_fits(con, tmp_path):
    text = "name,price\nCafé,€5\n"
    info = read_source(con, write(tmp_path, "w.csv", text.encode("cp1252")), "t")
    assert info.encoding == "cp1252"
    assert rows(con) == [("Café", "€5", 2)]


def test_cp1252_umlauts_are_not_mistaken_for_gbk(con, tmp_path):
    text = "Name,Stadt\nMüller,Köln\nGrüße,Straße\n"
    info = read_source(con, write(tmp_path, "de.csv", text.encode("cp1252")), "t")
    assert info.encoding == "cp1252"
    assert rows(con) == [("Müller", "Köln", 2), ("Grüße", "Straße", 3)]


def test_large_non_utf8_file_streams_in_chunks(con, tmp_path):
    line = "客户,金额\n" + "".join(f"用户{i},{i}.5\n" for i in range(60_000))
    data = line.encode("gb18030")
    assert len(data) > 1 << 20  # spans several transcoding chunks
    info = read_source(con, write(tmp_path, "big.csv", data), "t")
    assert info.rows == 60_000
    last = con.execute("SELECT * FROM t ORDER BY _source_row DESC LIMIT 1").fetchone()
    assert last[:3] == ("用户59999", "59999.5", 60_001)


def test_ragged_rows_are_kept_and_marked(con, tmp_path):
    data = b"a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n"
    info = read_source(con, write(tmp_path, "r.csv", data), "t")
    assert info.rows == 4 and info.bad_rows == 2
    got = con.execute("SELECT a, b, c, _source_row, _read_error FROM t ORDER BY _source_row").fetchall()
    assert got == [
        ("1", "2", "3", 2, None),
        ("4", "5", None, 3, "expected 3 fields, found 2"),
        ("6", "7", "8", 4, "expected 3 fields, found 4"),
        ("10", "11", "12", 5, None),
    ]


@pytest.mark.parametrize("in_transaction", [False, True])
def test_line_numbers_inside_an_open_transaction(con, tmp_path, in_transaction):
    data = b'a,b\n1,2\n3,"x\ny"\n4\n5,6\n'
    if in_transaction:
        con.execute("BEGIN TRANSACTION")
    read_source(con, write(tmp_path, "tx.csv", data), "t")
    got = con.execute("SELECT a, _source_row, _read_error FROM t ORDER BY _source_row").fetchall()
    assert got == [("1", 2, None), ("3", 3, None), ("4", 5, "expected 2 fields, found 1"),
                   ("5", 6, None)]
    read_source(con, write(tmp_path, "tx2.csv", b"a\n1\n2\n"), "t")  # replaced in the same
    assert rows(con) == [("1", 2), ("2", 3)]
    if in_transaction:
        con.execute("COMMIT")


def test_ragged_row_after_multiline_record(con, tmp_path):
    data = b'a,b\n"x\ny",1\nbad\n2,3\n'
    read_source(con, write(tmp_path, "m.csv", data), "t")
    got = con.execute("SELECT a, _source_row, _read_error FROM t ORDER BY _source_row").fetchall()
    assert got == [("x\ny", 2, None), ("bad", 4, "expected 2 fields, found 1"), ("2", 5, None)]


def test_headers_made_unique_and_non_empty(con, tmp_path):
    info = read_source(con, write(tmp_path, "h.csv", b"id,,id,_source_row\n1,2,3,4\n"), "t")
    assert info.columns == ["id", "column_2", "id_2", "_source_row_2"]
    assert rows(con) == [("1", "2", "3", "4", 2)]


def test_old_mac_and_mixed_line_breaks(con, tmp_path):
    read_source(con, write(tmp_path, "mac.csv", b"a,b\r1,2\r3,4\r"), "t")
    assert rows(con) == [("1", "2", 2), ("3", "4", 3)]
    read_source(con, write(tmp_path, "mixed.csv", b'a,b\r\n1,"x\ry"\n3,4\r\n'), "t")
    assert rows(con) == [("1", "x\ny", 2), ("3", "4", 4)]


def test_last_line_without_newline_is_fine_when_complete(con, tmp_path):
    read_source(con, write(tmp_path, "n.csv", b"a,b\n1,2\n3,4"), "t")
    assert rows(con) == [("1", "2", 2), ("3", "4", 3)]


def test_xlsx_first_sheet_and_sheet_rows(con, tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([])  # header on sheet row 2
    ws.append(["CustomerID", "when", "qty", None])
    ws.append([17850, dt.datetime(2024, 1, 5, 13, 45), 2.5, "x"])
    ws.append([])
    ws.append(["00001", dt.date(2024, 1, 6), None, None])
    other = wb.create_sheet("second")
    other.append(["k"])
    other.append(["v"])
    p = tmp_path / "book.xlsx"
    wb.save(p)
    info = read_source(con, p, "t")
    assert info.format == "excel" and info.rows == 2 and info.sheet == "Sheet"
    assert info.columns == ["CustomerID", "when", "qty", "column_4"]
    assert rows(con) == [("17850.0", "2024-01-05 13:45:00", "2.5", "x", 3),
                         ("00001", "2024-01-06", None, None, 5)]
    read_source(con, p, "t2", sheet="second")
    assert rows(con, "t2") == [("v", 2)]
    with pytest.raises(InputError, match="no sheet 'nope'"):
        read_source(con, p, "t3", sheet="nope")


def test_parquet_values_become_text(con, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = tmp_path / "p.parquet"
    pq.write_table(pa.table({"CustomerID": [17850.0, None], "n": [1, 2], "s": ["a", "b"]}), p)
    info = read_source(con, p, "t")
    assert info.format == "parquet" and info.rows == 2
    assert rows(con) == [("17850.0", "1", "a", 1), (None, "2", "b", 2)]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.csv", b"", "is empty"),
        ("header.csv", b"a,b,c\n", "has a header but no rows"),
        ("header2.csv", b"a,b,c", "has a header but no rows"),
        ("blank.csv", b"\n\n", "is empty"),
        ("cut.csv", b"a,b,c\n1,2,3\n4,5", r"last line \(line 3\) is cut off: expected 3"),
        ("quote.csv", b'a,b\n1,2\n3,"unfinished\n', "line 3 opens a quoted field"),
        ("bad.csv", b"a,b\n1,2\n3,\x81 \n", "cannot decode.*line 3"),
        ("bin.csv", b"a,b\n\x00\x01\x02\n", "NUL bytes"),
        ("x.json", b"{}", "unsupported file type '.json'"),
    ],
)
def test_user_errors_are_one_line_input_errors(con, tmp_path, name, data, message):
    p = write(tmp_path, name, data)
    with pytest.raises(InputError, match=message) as err:
        read_source(con, p, "t")
    assert "\n" not in str(err.value)
    assert name in str(err.value)


def test_missing_file_and_directory(con, tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_source(con, tmp_path / "nope.csv", "t")
    d = tmp_path / "dir.csv"
    d.mkdir()
    with pytest.raises(InputError, match="is a directory"):
        read_source(con, d, "t")


def test_explicit_encoding_that_does_not_fit_names_offset(con, tmp_path):
    p = write(tmp_path, "e.csv", "a\nok\n张\n".encode("gbk"))
    with pytest.raises(InputError, match=r"cannot decode as utf-8: bad byte at offset 5 \(line 3\)"):
        read_source(con, p, "t", encoding="utf-8")


def test_header_only_excel_and_parquet(con, tmp_path):
    import openpyxl
    import pyarrow as pa
    import pyarrow.parquet as pq

    wb = openpyxl.Workbook()
    wb.active.append(["a", "b"])
    wb.save(tmp_path / "h.xlsx")
    with pytest.raises(InputError, match="has a header but no rows"):
        read_source(con, tmp_path / "h.xlsx", "t")
    pq.write_table(pa.table({"a": pa.array([], pa.string())}), tmp_path / "h.parquet")
    with pytest.raises(InputError, match="has a header but no rows"):
        read_source(con, tmp_path / "h.parquet", "t")


def test_decode_error_offset_beyond_first_chunk(con, tmp_path):
    data = b"a\n" + b"x\n" * 600_000 + b"\xe5\x81 \n"  # broken UTF-8 sequence
    p = write(tmp_path, "far.csv", data)
    with pytest.raises(InputError, match=r"offset 1200002 \(line 600002\)"):
        read_source(con, p, "t", encoding="utf-8")


def test_stray_quotes_inside_unquoted_fields_are_text(con, tmp_path):
    data = b'a,b,c\n1,TV 32",x\n2,5" screen,y\n3,"q ""z""",z\n4,ab"c"d,w\n'
    info = read_source(con, write(tmp_path, "inch.csv", data), "t")
    assert info.bad_rows == 0
    assert rows(con) == [("1", 'TV 32"', "x", 2), ("2", '5" screen', "y", 3),
                         ("3", 'q "z"', "z", 4), ("4", 'ab"c"d', "w", 5)]


def test_messy_quotes_with_multiline_fields_keep_line_numbers(con, tmp_path):
    data = b'a,b\n1,"x,""\ny"\n2,","\n3,"p\nq"\n4,""\n5,"""a"""\n6,"b""\n"""\n'
    read_source(con, write(tmp_path, "messy.csv", data), "t")
    got = con.execute("SELECT a, b, _source_row FROM t ORDER BY _source_row").fetchall()
    assert got == [("1", 'x,"\ny', 2), ("2", ",", 4), ("3", "p\nq", 5), ("4", None, 7),
                   ("5", '"a"', 8), ("6", 'b"\n"', 9)]


# No lone CR in cells: like DuckDB and editors, the reader counts it as a line break.
cell = st.text(alphabet='ab ,;\t"\n5é', max_size=8)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(cell, min_size=2, max_size=2), min_size=1, max_size=12),
       st.sampled_from([",", ";", "\t"]), st.sampled_from(["\n", "\r\n"]))
def test_any_csv_written_by_python_reads_back_with_its_line_numbers(con, tmp_path, body, delim,
                                                                     eol):
    records = [["id", "x", "y"]] + [[f"r{i}", *r] for i, r in enumerate(body)]
    buf = io.StringIO()
    csv.writer(buf, delimiter=delim, lineterminator=eol).writerows(records)
    text = buf.getvalue()
    p = tmp_path / f"prop{abs(hash((text, delim)))}.csv"
    p.write_bytes(text.encode())
    read_source(con, p, "t", delimiter=delim)
    got = con.execute("SELECT id, x, y, _source_row, _read_error FROM t ORDER BY _source_row")
    expected, line = [], 2
    for rec, raw in zip(records[1:], _physical_records(text, eol)[1:], strict=True):
        expected.append((rec[0], rec[1] or None, rec[2] or None, line, None))
        line += raw.count("\n") + 1
    assert got.fetchall() == expected


def _physical_records(text: str, eol: str) -> list[str]:
    """Split CSV text into raw records with the csv module's own quote handling."""
    out, cur = [], ""
    for piece in text.split(eol)[:-1]:
        cur = piece if not cur else cur + eol + piece
        if cur.count('"') % 2 == 0:
            out.append(cur)
            cur = ""
    return out


def test_line_numbers_stay_aligned_over_many_row_groups(con, tmp_path):
    n = 300_000  # several DuckDB row groups, read by parallel threads
    body = "".join(f"{i + 2},x\n" if i % 1000 else f'{i + 2},"multi\nline"\n' for i in range(n))
    p = write(tmp_path, "big.csv", ("line,v\n" + body).encode())
    info = read_source(con, p, "t")
    assert info.rows == n
    # Record i starts on line 2 + i + (two-line records before it).
    wrong = con.execute(
        "SELECT count(*) FROM (SELECT CAST(line AS BIGINT) - 2 AS i, _source_row FROM t) "
        "WHERE _source_row <> 2 + i + (i + 999) // 1000"
    ).fetchone()[0]
    assert wrong == 0
