"""The files: names, encodings, and a faithful round trip of every raw export."""

from __future__ import annotations

import pandas as pd
import pytest

from crmine.demo import write_files


@pytest.fixture(scope="module")
def paths(dirty, tmp_path_factory):
    return write_files(dirty, tmp_path_factory.mktemp("demo"))


def test_writes_one_csv_per_entity(paths):
    assert set(paths) == {"customers", "orders", "products", "feedback", "interactions",
                          "campaigns"}
    assert all(p.name == f"{e}.csv" and p.stat().st_size > 0 for e, p in paths.items())


def test_customers_file_is_gbk_not_utf8(paths):
    raw = paths["customers"].read_bytes()
    text = raw.decode("gbk")
    assert text.startswith("客户编号,姓名,性别,出生日期,城市,省份,国家,手机,邮箱,注册时间")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")


def test_orders_file_has_a_bom_and_english_headers(paths):
    raw = paths["orders"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header = raw[3:].split(b"\n", 1)[0].decode()
    assert header == ("InvoiceNo,InvoiceDate,CustomerID,StockCode,Description,Quantity,"
                      "UnitPrice,Category,Country")


@pytest.mark.parametrize("entity,encoding", [("customers", "gbk"), ("orders", "utf-8-sig"),
                                             ("products", "utf-8"), ("feedback", "utf-8"),
                                             ("interactions", "utf-8")])
def test_files_round_trip(dirty, paths, entity, encoding):
    back = pd.read_csv(paths[entity], dtype=str, encoding=encoding, keep_default_na=False,
                       na_values=[""])
    expected = dirty.frames()[entity]
    assert list(back.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(back.astype(object).where(back.notna(), None),
                                  expected.astype(object).where(expected.notna(), None),
                                  check_dtype=False)
