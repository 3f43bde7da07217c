"""Reading a 541,909-line CSV export of UCI Online Retail: crmine.io vs DuckDB vs pandas.

Run: ``.venv/bin/python bench/io_read.py [--repeat 3]``

- ``crmine read_source``: encoding sniff + sha256 + record scan (line numbers, kept ragged
  rows) + DuckDB ``read_csv``, all columns text;
- ``duckdb read_csv``: the bare DuckDB reader, all_varchar, no line numbers or checks;
- ``pandas read_csv``: ``dtype=str`` (pyarrow engine when available, else C engine).

Then the value parsers on the loaded text: crmine's SQL expressions against pandas'
``to_datetime`` / ``to_numeric`` on the same columns. Best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from crmine.engine.duck import DuckDBEngine
from crmine.io.readers import read_source
from crmine.io.values import date_sql, id_sql, infer_date_spec, number_sql, text_sql

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "online_retail"


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "online_retail.csv"
        con = DuckDBEngine.memory()
        con.execute(f"COPY (SELECT * FROM '{DATA / 'online_retail.parquet'}') TO '{csv}' (HEADER)")
        size = csv.stat().st_size / 1e6

        def crmine_read():
            read_source(con, csv, "raw")

        def duck_read():
            con.execute(f"CREATE OR REPLACE TABLE plain AS SELECT * FROM read_csv('{csv}', "
                        "all_varchar=true)")

        def pandas_read():
            try:
                return pd.read_csv(csv, dtype=str, engine="pyarrow")
            except ImportError:
                return pd.read_csv(csv, dtype=str)

        print(f"read {size:.1f} MB, 541,909 lines (best of {args.repeat}):")
        for name, fn in [("crmine read_source", crmine_read), ("duckdb read_csv", duck_read),
                         ("pandas read_csv", pandas_read)]:
            print(f"  {name:22s} {best(fn, args.repeat):6.2f} s")

        df = pandas_read()
        spec = infer_date_spec([r[0] for r in con.execute(
            "SELECT DISTINCT InvoiceDate FROM raw LIMIT 20000").fetchall()])

        def crmine_parse():
            con.execute(
                "CREATE OR REPLACE TEMP TABLE typed AS SELECT "
                f"{date_sql('InvoiceDate', spec)} AS ts, {number_sql('UnitPrice')} AS price, "
                f"{id_sql('CustomerID')} AS cust, {text_sql('Description')} AS name FROM raw"
            )

        def pandas_parse():
            ts = pd.to_datetime(df["InvoiceDate"], errors="coerce", format="%Y-%m-%d %H:%M:%S")
            price = pd.to_numeric(df["UnitPrice"], errors="coerce")
            cust = df["CustomerID"].str.strip().str.replace(r"\.0+$", "", regex=True)
            name = df["Description"].str.strip().str.replace(r"\s+", " ", regex=True)
            return ts, price, cust, name

        print("parse date + number + id + text columns:")
        for name, fn in [("crmine SQL parsers", crmine_parse), ("pandas", pandas_parse)]:
            print(f"  {name:22s} {best(fn, args.repeat):6.2f} s")


if __name__ == "__main__":
    main()
