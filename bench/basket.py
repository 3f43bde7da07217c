"""Association rules on UCI Online Retail: crmine vs mlxtend (fpgrowth + association_rules).

    .venv/bin/python bench/basket.py [--runs 0.005:3 0.005:none 0.01:3 0.02:3]
                                     [--min-confidence 0.3] [--min-lift 1.0] [--repeats 3]

Baskets: invoices not starting with "C", Quantity > 0, StockCode as the item, each item
once per basket (20,728 baskets, 3,941 items). crmine gets the two aligned arrays the pipeline
hands it (numpy object arrays); its time is the whole ``fit``, from raw ids to sorted frames.
mlxtend gets the dense boolean one-hot frame it requires (built once per dataset, its build
time and memory reported apart); its time is ``fpgrowth`` + ``association_rules`` + the lift
filter. Times are wall-clock and CPU (process) seconds; crmine's are the best of
``--repeats``, mlxtend runs once. "identical" means the same itemsets with bit-equal supports
and the same rules with bit-equal metrics.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crmine.models.basket import RULE_COLUMNS, AssociationRuleMiner, RuleSettings

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "online_retail"
METRICS = [c for c in RULE_COLUMNS if c not in ("antecedents", "consequents")]


def load_baskets(root: Path) -> tuple[np.ndarray, np.ndarray]:
    df = pd.read_parquet(
        root / "online_retail.parquet", columns=["InvoiceNo", "StockCode", "Quantity"]
    )
    df = df[~df["InvoiceNo"].str.startswith("C") & (df["Quantity"] > 0)]
    return df["InvoiceNo"].to_numpy(dtype=object), df["StockCode"].to_numpy(dtype=object)


def onehot(baskets: np.ndarray, items: np.ndarray) -> pd.DataFrame:
    """The dense basket × item boolean frame mlxtend needs (this is what runs out of memory)."""
    b, _ = pd.factorize(baskets)
    i, names = pd.factorize(items)
    dense = np.zeros((b.max() + 1, len(names)), dtype=bool)
    dense[b, i] = True
    return pd.DataFrame(dense, columns=list(names))


def timed(fn: Callable[[], Any], repeats: int) -> tuple[Any, float, float]:
    """Result, best wall seconds, best CPU seconds."""
    out, wall, cpu = None, np.inf, np.inf
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        wall = min(wall, time.perf_counter() - w)
        cpu = min(cpu, time.process_time() - c)
    return out, wall, cpu


def run_mlxtend(
    df: pd.DataFrame, min_support: float, max_len: int | None, conf: float, lift: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """mlxtend's frequent itemsets and its rules, renamed to crmine's columns."""
    from mlxtend.frequent_patterns import association_rules, fpgrowth

    fi = fpgrowth(df, min_support=min_support, use_colnames=True, max_len=max_len)
    if fi.empty:
        return fi, pd.DataFrame(columns=["antecedents", "consequents", *METRICS])
    with warnings.catch_warnings():  # mlxtend's certainty metric divides by zero
        warnings.simplefilter("ignore", RuntimeWarning)
        rules = association_rules(fi, len(df), metric="confidence", min_threshold=conf)
    rules = rules[rules["lift"] >= lift]
    counts = dict(zip(fi["itemsets"], np.rint(fi["support"] * len(df)), strict=True))
    rules = rules.rename(
        columns={
            "antecedent support": "antecedent_support",
            "consequent support": "consequent_support",
        }
    )
    rules["baskets"] = [
        counts[a | c] for a, c in zip(rules["antecedents"], rules["consequents"], strict=True)
    ]
    return fi, rules


def same_itemsets(ours: pd.DataFrame, fi: pd.DataFrame) -> bool:
    """Same frequent itemsets with bit-equal supports."""
    a = dict(zip(map(tuple, ours["itemset"]), ours["support"], strict=True))
    b = {tuple(sorted(s)): v for s, v in zip(fi["itemsets"], fi["support"], strict=True)}
    return a == b


def identical(ours: pd.DataFrame, ref: pd.DataFrame) -> bool:
    """Same rules (as sets of ids) with bit-equal metrics (inf conviction equals inf)."""

    def keyed(df: pd.DataFrame) -> pd.DataFrame:
        key = [
            (tuple(sorted(a)), tuple(sorted(c)))
            for a, c in zip(df["antecedents"], df["consequents"], strict=True)
        ]
        out = df[METRICS].astype(float).set_axis(pd.Index(key, tupleize_cols=False))
        return out.sort_index()

    a, b = keyed(ours), keyed(ref)
    return a.index.equals(b.index) and all(
        np.array_equal(a[m].to_numpy(), b[m].to_numpy()) for m in METRICS
    )


def peak_mib(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def parse_run(text: str) -> tuple[float, int | None]:
    support, _, length = text.partition(":")
    return float(support), None if length in ("", "none") else int(length)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument(
        "--runs",
        nargs="+",
        default=["0.005:3", "0.005:none", "0.01:3", "0.02:3"],
        help="min_support:max_len pairs (max_len 'none' = unbounded)",
    )
    p.add_argument("--min-confidence", type=float, default=RuleSettings.min_confidence)
    p.add_argument("--min-lift", type=float, default=RuleSettings.min_lift)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()

    baskets, items = load_baskets(args.data)
    (df, build_s, _) = timed(lambda: onehot(baskets, items), 1)
    print(
        f"{len(baskets):,} (basket, item) rows; {df.shape[0]:,} baskets x {df.shape[1]:,} "
        f"items; mlxtend one-hot frame {df.memory_usage(deep=True).sum() / 2**20:.0f} MiB, "
        f"built in {build_s:.2f} s (not in mlxtend's times below)"
    )
    print(f"min_confidence {args.min_confidence}, min_lift {args.min_lift}\n")
    head = (
        f"{'support':>8} {'max_len':>7} | {'crmine s':>8} {'cpu':>6} {'peak MiB':>8} | "
        f"{'mlxtend s':>9} {'cpu':>6} | {'x wall':>6} {'x cpu':>6} | "
        f"{'itemsets':>8} {'rules':>6} {'mlx rules':>9} identical"
    )
    print(head)
    print("-" * len(head))
    for run in args.runs:
        support, max_len = parse_run(run)

        def fit(support: float = support, max_len: int | None = max_len) -> AssociationRuleMiner:
            return AssociationRuleMiner(support, args.min_confidence, args.min_lift, max_len).fit(
                baskets, items
            )

        ours, wall, cpu = timed(fit, args.repeats)
        peak = peak_mib(fit)
        (fi, ref), m_wall, m_cpu = timed(
            lambda s=support, m=max_len: run_mlxtend(df, s, m, args.min_confidence, args.min_lift),
            1,
        )
        print(
            f"{support:>8} {max_len!s:>7} | {wall:>8.2f} {cpu:>6.2f} {peak:>8.0f} | "
            f"{m_wall:>9.2f} {m_cpu:>6.2f} | {m_wall / wall:>6.1f} {m_cpu / cpu:>6.1f} | "
            f"{len(ours.itemsets_):>8} {len(ours.rules_):>6} {len(ref):>9} "
            f"{identical(ours.rules_, ref) and same_itemsets(ours.itemsets_, fi)}",
            flush=True,
        )


if __name__ == "__main__":
    main()
