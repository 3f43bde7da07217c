"""The shared datasets: read, map with no configuration, and parse their real formats."""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from crmine.engine.duck import DuckDBEngine
from crmine.io.mapping import auto_map, require
from crmine.io.readers import read_source
from crmine.io.values import (
    bool_sql,
    date_sql,
    id_sql,
    infer_date_spec,
    infer_number_spec,
    infer_type,
    number_sql,
)
from crmine.schema import table

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def con():
    c = DuckDBEngine.memory()
    yield c
    c.close()


def _load(con, datasets_dir, name, file=None):
    path = datasets_dir / name / f"{file or name}.parquet"
    if not path.exists():
        pytest.skip(f"{path} missing")
    info = read_source(con, path, name)
    return info


def _sample(con, tbl, col, n=20_000):
    q = f'SELECT DISTINCT "{col}" FROM {tbl} WHERE "{col}" IS NOT NULL LIMIT {n}'
    return [r[0] for r in con.execute(q).fetchall()]


def test_online_retail_maps_and_parses(con, datasets_dir):
    info = _load(con, datasets_dir, "online_retail")
    m = require(auto_map(info.columns, table("orders")))
    assert m.canonical == {
        "order_id": "InvoiceNo", "customer_id": "CustomerID", "order_ts": "InvoiceDate",
        "product_id": "StockCode", "product_name": "Description", "quantity": "Quantity",
        "unit_price": "UnitPrice", "region": "Country",
    }
    spec = infer_date_spec(_sample(con, "online_retail", "InvoiceDate"))
    assert spec.parse_rate == 1.0
    nspec = infer_number_spec(_sample(con, "online_retail", "UnitPrice"))
    row = con.execute(
        f"SELECT count({date_sql('InvoiceDate', spec)}), min({date_sql('InvoiceDate', spec)}), "
        f"count(DISTINCT {id_sql('CustomerID')}), min({id_sql('CustomerID')}), "
        f"sum({number_sql('Quantity', nspec)}), count({number_sql('UnitPrice', nspec)}) "
        f"FROM online_retail"
    ).fetchone()
    # Profile figures from the dataset's README.
    assert row == (541_909, datetime(2010, 12, 1, 8, 26), 4_372, "12346", 5_176_450, 541_909)


def test_cdnow_maps_with_generated_order_id(con, datasets_dir):
    info = _load(con, datasets_dir, "cdnow", "cdnow_master")
    m = require(auto_map(info.columns, table("orders")))
    assert m.canonical == {"customer_id": "customer_id", "order_ts": "date",
                           "quantity": "number_of_cds", "amount": "dollar_value"}
    assert "order_id" in m.derived
    spec = infer_date_spec(_sample(con, "cdnow", "date"))
    assert spec.families == ("compact",) and spec.parse_rate == 1.0
    lo, hi, ids = con.execute(
        f"SELECT min({date_sql('date', spec)}), max({date_sql('date', spec)}), "
        f"min({id_sql('customer_id')}) FROM cdnow"
    ).fetchone()
    assert (lo, hi, ids) == (datetime(1997, 1, 1), datetime(1998, 6, 30), "00001")


def test_telco_maps_to_customers_with_typed_attributes(con, datasets_dir):
    info = _load(con, datasets_dir, "telco_customer_churn")
    m = require(auto_map(info.columns, table("customers")))
    assert m.canonical == {"customer_id": "customerID", "gender": "gender", "churned": "Churn"}
    assert len(m.attributes) == 18
    types = {h: infer_type(_sample(con, "telco_customer_churn", h)) for h in m.attributes}
    assert types["SeniorCitizen"] == "bool"
    assert types["Partner"] == "bool"
    assert types["tenure"] == "float"
    assert types["TotalCharges"] == "float"
    assert types["MultipleLines"] == "text"
    assert types["Contract"] == "text"
    churn = con.execute(
        f"SELECT count(*) FILTER ({bool_sql('Churn')}), count({bool_sql('Churn')}) "
        f"FROM telco_customer_churn"
    ).fetchone()
    assert churn == (1_869, 7_043)
    blanks = con.execute(
        f"SELECT count(*) FROM telco_customer_churn "
        f"WHERE {number_sql('TotalCharges', infer_number_spec(['1.5']))} IS NULL"
    ).fetchone()[0]
    assert blanks == 11


def test_alexa_reviews_map_to_feedback_without_customer(con, datasets_dir):
    info = _load(con, datasets_dir, "amazon_alexa_reviews")
    m = auto_map(info.columns, table("feedback"))
    assert m.canonical == {"ts": "date", "score": "rating", "text": "verified_reviews"}
    # No customer column: require() fails only if the schema makes customer_id required.
    assert m.unmapped_required == [c for c in table("feedback").required if c == "customer_id"]
    spec = infer_date_spec(_sample(con, "amazon_alexa_reviews", "date"))
    assert spec.families == ("month_name",) and spec.parse_rate == 1.0
    lo, hi = con.execute(
        f"SELECT min({date_sql('date', spec)}), max({date_sql('date', spec)}) "
        f"FROM amazon_alexa_reviews"
    ).fetchone()
    assert (lo, hi) == (datetime(2018, 5, 16), datetime(2018, 7, 31))


def test_twitter_maps_handle_to_customer_and_keeps_wall_clock(con, datasets_dir):
    info = _load(con, datasets_dir, "twitter_airline_sentiment")
    m = require(auto_map(info.columns, table("feedback")))
    assert m.canonical == {"feedback_id": "tweet_id", "customer_id": "name",
                           "ts": "tweet_created", "text": "text"}
    spec = infer_date_spec(_sample(con, "twitter_airline_sentiment", "tweet_created"))
    assert spec.parse_rate == 1.0
    raw, parsed = con.execute(
        f"SELECT tweet_created, {date_sql('tweet_created', spec)} FROM twitter_airline_sentiment "
        f"ORDER BY _source_row LIMIT 1"
    ).fetchone()
    assert parsed.strftime("%Y-%m-%d %H:%M:%S") == raw[:19]
    ids = con.execute(
        f"SELECT count(DISTINCT {id_sql('tweet_id')}) FROM twitter_airline_sentiment"
    ).fetchone()[0]
    assert ids == 14_485  # 64-bit ids survive as text


def test_chinese_reviews_map_text_and_keep_category(con, datasets_dir):
    info = _load(con, datasets_dir, "online_shopping_10_cats")
    m = auto_map(info.columns, table("feedback"))
    assert m.canonical == {"text": "review"}
    assert m.unmapped_required == []  # anonymous, undated reviews: scored, not placed in time
    assert m.attributes == {"cat": "cat", "label": "label"}


def test_online_retail_csv_export_reads_fast(con, datasets_dir, tmp_path):
    src = datasets_dir / "online_retail" / "online_retail.parquet"
    if not src.exists():
        pytest.skip("online_retail missing")
    csv = tmp_path / "online_retail.csv"
    con.execute(f"COPY (SELECT * FROM '{src}') TO '{csv}' (HEADER)")
    t0 = time.perf_counter()
    info = read_source(con, csv, "retail_csv")
    elapsed = time.perf_counter() - t0
    print(f"read_source online_retail.csv: {info.rows:,} rows in {elapsed:.2f} s")
    assert info.rows == 541_909 and info.bad_rows == 0
    assert info.columns == ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate",
                            "UnitPrice", "CustomerID", "Country"]
    lo, hi, n, first = con.execute(
        "SELECT min(_source_row), max(_source_row), count(DISTINCT _source_row), "
        "min_by(CustomerID, _source_row) FROM retail_csv"
    ).fetchone()
    assert (lo, hi, n, first) == (2, 541_910, 541_909, "17850.0")
    misaligned = con.execute(
        f"SELECT count(*) FROM retail_csv c JOIN (SELECT *, row_number() OVER () AS i "
        f"FROM read_parquet('{src}', file_row_number=true) ORDER BY file_row_number) p "
        f"ON c._source_row = p.file_row_number + 2 "
        f"WHERE c.InvoiceNo <> p.InvoiceNo OR c.StockCode <> p.StockCode "
        f"OR c.Quantity <> CAST(p.Quantity AS VARCHAR)"
    ).fetchone()[0]
    assert misaligned == 0
    assert elapsed < 10  # ~1 s on an idle 2-core machine; generous for shared CI
