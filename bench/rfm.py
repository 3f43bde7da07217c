"""RFM on UCI Online Retail: crmine (Ibis) vs a bare DuckDB GROUP BY vs plain pandas.

Run: ``.venv/bin/python bench/rfm.py [--repeat 5] [--threads 2]``

The data is cleaned once in SQL into the warehouse contract and loaded into one DuckDB
connection; every contender then starts from that table (pandas from a DataFrame of it).
Contenders run interleaved, one each per round, ``--repeat`` rounds; each run ends with a
pandas DataFrame. The best run is the ratio's basis (the machine may be shared).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from crmine.engine import Engine
from crmine.engine.duck import DuckDBEngine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._online_retail import ORDERS_SQL

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "online_retail"
AS_OF = datetime(2011, 12, 10)  # the day after the last invoice

BARE_SQL = """
SELECT
    customer_id,
    date_diff('second', max(order_ts) FILTER (WHERE NOT is_return), TIMESTAMP '{as_of}')
        / 86400.0 AS recency_days,
    count(DISTINCT order_id) FILTER (WHERE NOT is_return) AS orders_count,
    sum(CASE WHEN is_return THEN -abs(amount) ELSE amount END) AS revenue_total
FROM orders
WHERE customer_id IS NOT NULL AND order_ts < TIMESTAMP '{as_of}'
GROUP BY customer_id
"""


def load(path: Path, threads: int) -> Engine:
    con = DuckDBEngine.memory()
    con.execute(f"SET threads = {int(threads)}")
    con.execute(ORDERS_SQL, {"path": str(path)})
    return con


def race(contenders: dict[str, Callable[[], object]], repeat: int) -> dict[str, list[float]]:
    """Run every contender once per round, ``repeat`` rounds, so machine load hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeat):
        for name, fn in contenders.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return times


def pandas_rfm(lines: pd.DataFrame) -> pd.DataFrame:
    """The plain-pandas script: filter, groupby, qcut on ranks."""
    df = lines[lines["customer_id"].notna() & (lines["order_ts"] < AS_OF)]
    net = np.where(df["is_return"], -df["amount"].abs(), df["amount"])
    buys = df[~df["is_return"]]
    rfm = pd.DataFrame(
        {
            "last_order_ts": buys.groupby("customer_id")["order_ts"].max(),
            "orders_count": buys.groupby("customer_id")["order_id"].nunique(),
            "revenue_total": pd.Series(net, index=df.index).groupby(df["customer_id"]).sum(),
        }
    )
    rfm["orders_count"] = rfm["orders_count"].fillna(0).astype(int)
    rfm["recency_days"] = (AS_OF - rfm["last_order_ts"]).dt.total_seconds() / 86400
    has = rfm["orders_count"] > 0
    scored = rfm[has]
    rfm.loc[has, "r_score"] = pd.qcut(scored["recency_days"].rank(method="first"), 5, labels=False)
    rfm.loc[has, "f_score"] = pd.qcut(scored["orders_count"].rank(method="first"), 5, labels=False)
    rfm.loc[has, "m_score"] = pd.qcut(scored["revenue_total"].rank(method="first"), 5, labels=False)
    rfm["r_score"] = 5 - rfm["r_score"]
    rfm[["f_score", "m_score"]] += 1
    return rfm.reset_index()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data", type=Path, default=DATA / "online_retail.parquet")
    args = parser.parse_args()

    start = time.perf_counter()
    import ibis

    from crmine.features import customer_features, rfm_features
    from crmine.models.rfm import RFMScorer

    import_s = time.perf_counter() - start
    con = load(args.data, args.threads)
    n_lines = con.execute("SELECT count(*) FROM orders").fetchone()[0]
    orders = con.ibis().table("orders")
    lines_df = con.execute("SELECT * FROM orders").df()

    bare_sql = BARE_SQL.format(as_of=AS_OF.isoformat(sep=" "))
    rfm_sql = ibis.to_sql(rfm_features(orders, AS_OF), dialect="duckdb")
    full_sql = ibis.to_sql(customer_features(orders, AS_OF), dialect="duckdb")

    contenders: dict[str, Callable[[], object]] = {
        "bare DuckDB GROUP BY": lambda: con.execute(bare_sql).df(),
        "crmine rfm_features": lambda: rfm_features(orders, AS_OF).to_pandas(),
        "  of which build + compile": lambda: ibis.to_sql(rfm_features(orders, AS_OF)),
        "  its SQL run by DuckDB directly": lambda: con.execute(rfm_sql).df(),
        "crmine rfm_features + RFMScorer": lambda: RFMScorer().fit_transform(
            rfm_features(orders, AS_OF).to_pandas()
        ),
        "crmine customer_features (full)": lambda: customer_features(orders, AS_OF).to_pandas(),
        "  the full SQL run by DuckDB directly": lambda: con.execute(full_sql).df(),
        "plain pandas groupby + qcut": lambda: pandas_rfm(lines_df),
    }
    rows = race(contenders, args.repeat)

    bare = con.execute(bare_sql).df()
    ours = rfm_features(orders, AS_OF).to_pandas()
    scored = RFMScorer().fit_transform(ours)
    full = con.execute(full_sql).df()
    pdf = pandas_rfm(lines_df)
    merged = ours.merge(bare, on="customer_id", suffixes=("", "_bare"))
    assert len(merged) == len(ours) == len(bare) == len(pdf) == len(full)
    for col in ("recency_days", "orders_count", "revenue_total"):
        a, b = merged[col].astype(float), merged[f"{col}_bare"].astype(float)
        assert np.allclose(a.fillna(-1), b.fillna(-1)), col

    base = min(rows["bare DuckDB GROUP BY"])
    print(f"online_retail: {n_lines:,} lines, {len(ours):,} customers, as_of {AS_OF:%Y-%m-%d}")
    print(f"{args.repeat} runs each, {args.threads} DuckDB threads; ratios use the best run")
    print(f"(importing ibis + crmine.features + rfm: {import_s:.2f} s, once per process)")
    print(f"{'step':40s} {'best s':>7s} {'median s':>9s} {'x bare':>7s}")
    for name, secs in rows.items():
        best, median = min(secs), statistics.median(secs)
        print(f"{name:40s} {best:7.3f} {median:9.3f} {best / base:7.2f}")
    seg = scored["rfm_segment"].value_counts(dropna=False)
    print("segments:", ", ".join(f"{k}: {v}" for k, v in seg.items()))


if __name__ == "__main__":
    main()
