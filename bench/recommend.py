"""Next-product recommendations on UCI Online Retail: the blends against the baselines.

    .venv/bin/python bench/recommend.py [--cutoff 2011-09-01] [--horizon 90] [-k 10] [--ceiling]

Order lines: CustomerID (lines without one dropped) as text, InvoiceNo as the order,
StockCode as the product, Quantity < 0 or an invoice starting with "C" as a return. Train on
lines before the cutoff, truth = what each customer bought in the horizon after it (customers
who bought in both). The weighted blend's weights are chosen on the horizon before the cutoff;
the learned blend (what ``crmine run`` uses) trains its ranker on that window itself. Prints
one row per method and the learned blend's candidate recall. ``--ceiling`` also prints the
in-season ceiling: the precision@k a ranker over the same candidates reaches when it trains on
half the test window's own customers (see ``crmine.models.recommend_validation.in_season_ceiling``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd

from crmine.models.recommend_validation import METRICS, evaluate_recommender, in_season_ceiling

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "online_retail"


def load_online_retail(path: Path = DATA / "online_retail.parquet") -> pd.DataFrame:
    """Online Retail as canonical order lines (see the module doc for the mapping)."""
    df = pd.read_parquet(path)
    df = df[df["CustomerID"].notna()]
    out = pd.DataFrame(
        {
            "order_id": df["InvoiceNo"].astype("string"),
            "customer_id": df["CustomerID"].astype("int64").astype("string"),
            "order_ts": pd.to_datetime(df["InvoiceDate"], format="%Y-%m-%d %H:%M:%S"),
            "product_id": df["StockCode"].astype("string"),
            "product_name": df["Description"].astype("string"),
            "quantity": df["Quantity"].astype("float64"),
            "unit_price": df["UnitPrice"].astype("float64"),
        }
    )
    out["amount"] = out["quantity"] * out["unit_price"]
    out["is_return"] = (out["quantity"] < 0) | out["order_id"].str.startswith("C")
    return out.reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cutoff", default="2011-09-01")
    parser.add_argument("--horizon", type=int, default=90)
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--ceiling", action="store_true", help="also print the in-season ceiling")
    args = parser.parse_args()

    started = time.perf_counter()
    lines = load_online_retail()
    result = evaluate_recommender(lines, args.cutoff, args.horizon, args.k)
    table = result.metrics.copy()
    table["seconds"] = pd.Series(result.seconds)
    pd.set_option("display.width", 160)
    print(
        f"Online Retail, cutoff {result.cutoff}, horizon {result.horizon_days} days, "
        f"k = {result.k}, {result.customers:,} customers evaluated"
    )
    print(table.round(4).to_string())
    baselines = [m for m in result.metrics.index if "blend" not in m]
    best = result.metrics.loc[baselines, "precision"].max()
    for blend in ("weighted blend", "learned blend"):
        if blend in result.metrics.index:
            ratio = result.metrics.loc[blend, "precision"] / best
            print(f"{blend}: precision@{result.k} = {ratio:.3f} x the best baseline")
    print(
        f"candidate recall (share of bought pairs among the learned blend's candidates): "
        f"{result.candidate_recall:.3f}"
    )
    print("weights chosen on the validation window:", result.weights)
    print("validation metrics:\n" + result.validation.round(4).to_string())
    for name, text in METRICS.items():
        print(f"  {name}: {text}")
    if args.ceiling:
        ceiling = in_season_ceiling(lines, args.cutoff, args.horizon, args.k)
        print("in-season ceiling (precision on the half of the test customers it did not train on):")
        print(ceiling.round(4).to_string())
    print(f"total {time.perf_counter() - started:.1f} s")
    if args.json:
        args.json.write_text(json.dumps(result.to_dict(), indent=2))


if __name__ == "__main__":
    main()
