"""Bench: crmine's purchase forecasts on CDNOW and Online Retail, side by side.

    .venv/bin/python bench/predict.py [--datasets DIR] [--only cdnow|online_retail]

Per dataset, one honest time split (CDNOW: the standard 39 weeks / 39 weeks from
1997-10-01; Online Retail: cutoff 2011-09-01, 90 days):

1. BG/NBD — crmine's ``BetaGeoModel`` vs lifetimes' ``BetaGeoFitter`` (when it imports)
   on the same summary: fit CPU and wall time, parameters, holdout purchase days (MAE,
   total predicted vs actual) and AUC of "bought again in the holdout".
2. ``crmine evaluate`` on a freshly ingested workspace (exactly ``crmine run --as-of
   CUTOFF``): purchase AUC against BG/NBD's, revenue Spearman and top-decile capture
   against BG/NBD × Gamma-Gamma's, each with the 90 % paired bootstrap interval of the
   margin over the best baseline, with CPU and wall time.
3. A plain LightGBM on RFM features (recency, frequency, monetary, tenure) trained on the
   previous window (features before cutoff − horizon, labels up to the cutoff): its
   purchase AUC next to crmine's.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
import warnings
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crmine.evaluation import metrics
from crmine.models.btyd import BetaGeoModel, summarise_transactions

DEFAULT_DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
SETUPS = {
    "cdnow": ("cdnow/cdnow_master.parquet", date(1997, 10, 1), 273),
    "online_retail": ("online_retail/online_retail.parquet", date(2011, 9, 1), 90),
}


class _clock:
    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def _orders(con, cutoff: date, horizon: int) -> pd.DataFrame:
    return con.execute(
        "SELECT customer_id, order_ts, amount FROM orders WHERE customer_id IS NOT NULL "
        "AND NOT coalesce(is_return, amount < 0) AND order_ts < ?",
        [datetime.combine(cutoff + timedelta(days=horizon), datetime.min.time())],
    ).df()


def bgnbd_side_by_side(orders: pd.DataFrame, cutoff: date, horizon: int) -> dict[str, Any]:
    summary = summarise_transactions(
        orders["customer_id"],
        orders["order_ts"],
        orders["amount"],
        calibration_end=cutoff - timedelta(days=1),
        observation_end=cutoff + timedelta(days=horizon - 1),
        unit_days=7,
    )
    x, t_x, T = (summary[c].to_numpy(float) for c in ("x", "t_x", "T"))
    actual, t = summary["x_star"].to_numpy(float), horizon / 7
    out: dict[str, Any] = {"customers": len(summary), "actual_total": float(actual.sum())}
    with _clock() as c:
        model = BetaGeoModel().fit(x, t_x, T)
    pred = model.expected_purchases(t, x, t_x, T)
    out["crmine"] = _holdout(model.params_, pred, actual, c)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from lifetimes import BetaGeoFitter

            with _clock() as c:
                lt = BetaGeoFitter().fit(summary["x"], summary["t_x"], summary["T"])
            lt_pred = lt.conditional_expected_number_of_purchases_up_to_time(
                t, summary["x"], summary["t_x"], summary["T"]
            ).to_numpy(float)
        out["lifetimes"] = _holdout(
            {k: float(v) for k, v in lt.params_.items()}, lt_pred, actual, c
        )
    except Exception as exc:  # report any import/fit failure and carry on
        out["lifetimes"] = f"unavailable: {type(exc).__name__}: {exc}"[:200]
    return out


def _holdout(params, pred, actual, clock) -> dict[str, Any]:
    return {
        "fit_cpu_s": round(clock.cpu, 3),
        "fit_wall_s": round(clock.wall, 3),
        "params": {k: round(v, 4) for k, v in params.items()},
        "mae": metrics.mae(actual, pred),
        "predicted_total": float(np.nansum(pred)),
        "auc_bought_again": metrics.auc(actual > 0, pred),
    }


def plain_lightgbm(backend, cutoff: date, horizon: int) -> dict[str, Any]:
    """LightGBM on four RFM columns, trained one window back: the obvious ML baseline."""
    import lightgbm as lgb

    from crmine.features import horizon_labels, rfm_features

    cols = ["recency_days", "orders_count", "revenue_total", "tenure_days"]

    def window(at: date) -> tuple[pd.DataFrame, np.ndarray]:
        stamp = datetime.combine(at, datetime.min.time())
        orders = backend.table("orders")
        feats = rfm_features(orders, stamp).to_pandas()
        feats = feats[feats["orders_count"] > 0].copy()
        feats["tenure_days"] = (stamp - feats["first_order_ts"]).dt.total_seconds() / 86_400
        labels = horizon_labels(orders, stamp, horizon).to_pandas()
        y = feats[["customer_id"]].merge(labels, on="customer_id", how="left")["purchased"]
        return feats[cols], y.fillna(False).to_numpy(bool)

    X_tr, y_tr = window(cutoff - timedelta(days=horizon))
    X_te, y_te = window(cutoff)
    if len(X_tr) < 50 or len(np.unique(y_tr)) < 2:
        return {"skipped": "too little history before cutoff − horizon"}
    with _clock() as c:
        model = lgb.LGBMClassifier(
            n_estimators=200, learning_rate=0.05, num_leaves=15, n_jobs=1, verbose=-1
        ).fit(X_tr, y_tr)
    return {
        "auc": metrics.auc(y_te, model.predict_proba(X_te)[:, 1]),
        "fit_cpu_s": round(c.cpu, 3),
        "train_rows": len(X_tr),
    }


def bench(name: str, root: Path) -> dict[str, Any]:

    from crmine.engine import Workspace
    from crmine.pipeline.evaluate import evaluate_workspace
    from crmine.pipeline.ingest_all import ingest_sources

    rel, cutoff, horizon = SETUPS[name]
    out: dict[str, Any] = {"dataset": name, "cutoff": cutoff.isoformat(), "horizon": horizon}
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace.init(Path(tmp) / "ws")
        with _clock() as c:
            ingest_sources(ws, [("orders", root / rel)])
        out["ingest_wall_s"] = round(c.wall, 1)
        with ws.connect(read_only=True) as con:
            out["bgnbd"] = bgnbd_side_by_side(_orders(con, cutoff, horizon), cutoff, horizon)
            out["plain_lightgbm_rfm"] = plain_lightgbm(
                con.ibis(), cutoff, horizon
            )
        with _clock() as c:
            result = evaluate_workspace(ws, cutoff, horizon)
        out["evaluate_cpu_s"], out["evaluate_wall_s"] = round(c.cpu, 1), round(c.wall, 1)
        out["forecast"] = result.get("forecast")
        for section in ("purchase", "revenue", "orders"):
            rows = result["sections"].get(section, {}).get("metrics", [])
            out[section] = {
                r["metric"]: {
                    "crmine": r["model"],
                    **r["baselines"],
                    "grade": r["grade"],
                    "interval": r.get("margin_interval"),
                }
                for r in rows
            }
    return out


def _print(result: dict[str, Any]) -> None:
    print(
        f"\n== {result['dataset']}: cutoff {result['cutoff']}, horizon {result['horizon']} "
        f"days ({result['bgnbd']['customers']:,} customers)"
    )
    bg = result["bgnbd"]
    print(f"BG/NBD holdout purchase days: actual total {bg['actual_total']:,.0f}")
    for lib in ("crmine", "lifetimes"):
        r = bg[lib]
        if isinstance(r, str):
            print(f"  {lib:9s} {r}")
            continue
        print(
            f"  {lib:9s} fit {r['fit_cpu_s']:.3f}s CPU / {r['fit_wall_s']:.3f}s wall; "
            f"MAE {r['mae']:.4f}; predicted {r['predicted_total']:,.0f}; AUC bought again "
            f"{r['auc_bought_again']:.4f}; {r['params']}"
        )
    print(
        f"crmine evaluate: {result['evaluate_cpu_s']}s CPU / {result['evaluate_wall_s']}s "
        f"wall; {result['forecast']}"
    )
    for section in ("purchase", "revenue", "orders"):
        for metric, row in result[section].items():
            others = ", ".join(
                f"{k} {v:.4f}"
                for k, v in row.items()
                if k not in ("crmine", "grade", "interval") and v is not None
            )
            ci = row.get("interval")
            margin = f"; margin 90 % interval {ci[0]:+.4f} to {ci[1]:+.4f}" if ci else ""
            print(
                f"  {section:8s} {metric:18s} crmine {row['crmine']:.4f} [{row['grade']}]"
                f"  vs {others}{margin}"
            )
    plain = result["plain_lightgbm_rfm"]
    print(f"plain LightGBM on RFM, trained one window back: {plain}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    parser.add_argument("--only", choices=sorted(SETUPS))
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    for name in [args.only] if args.only else list(SETUPS):
        _print(bench(name, args.datasets))


if __name__ == "__main__":
    main()
