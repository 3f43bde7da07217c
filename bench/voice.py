"""Voice of the customer, measured through the pipeline (ingest → run → published tables).

Run: .venv/bin/python bench/voice.py [alexa] [zh] [service] [--assets DIR] [--seeds 0 1]

- alexa: amazon_alexa_reviews ingested as feedback (ingest drops the 715 exact duplicates);
  balanced accuracy of sentiment_label (positive vs not) and of the score's sign against the
  stars (1-2 vs 4-5; 3 stars and text-less reviews left out), shipped model vs cross-fitted
  adaptation, plus the held-out figures the run records in its models table.
- zh: online_shopping_10_cats written as a feedback CSV (review → text, label 0/1 → score 1/5,
  synthetic dates), accuracy of the label; also on the 20% the shipped Chinese model never saw
  (bench/sentiment.py's split), since the other 80% trained it.
- service: the synthetic CRM (src/crmine/demo, unhappy customers complain more and leave
  sooner), ``crmine evaluate`` at 90 days before the data end: the run's own purchase model
  (rolling cutoffs, candidates, calibration, BG/NBD blend) with the service signals and with
  them left out (``exclude_features=("service",)``), on the same sentiment scores. Purchase
  AUC, PR-AUC, Brier and revenue Spearman per demo seed, and the mean difference.

Wall and CPU seconds are printed for each part. ``--assets`` names a folder holding
zh_sentiment.json/.npz when the package has not shipped them yet (scripts/train_sentiment.py
--out DIR writes them).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "src"), str(REPO)]

from bench.sentiment import DATASETS, load_online_shopping, split_online_shopping  # noqa: E402

import crmine.models.text as text_models  # noqa: E402
from crmine.engine import Workspace  # noqa: E402
from crmine.pipeline.ingest import ingest  # noqa: E402
from crmine.pipeline.run import run, steps_named  # noqa: E402
from crmine.pipeline.snapshots import SnapshotStore  # noqa: E402


@contextmanager
def timed(what: str):
    w, c = time.perf_counter(), time.process_time()
    yield
    print(f"  [{what}: wall {time.perf_counter() - w:.1f} s, cpu {time.process_time() - c:.1f} s]")


def use_assets(assets: Path | None) -> None:
    """Point load_default at ``assets`` when the package lacks the Chinese model files."""
    from importlib import resources

    shipped = resources.files("crmine.models.text") / "assets" / "zh_sentiment.json"
    if shipped.is_file() or assets is None:
        return
    from crmine.models.text._en import LexiconScorer
    from crmine.models.text._sentiment import SentimentModel
    from crmine.models.text._zh import ZhSentiment

    meta = json.loads((assets / "zh_sentiment.json").read_text("utf-8"))
    with np.load(assets / "zh_sentiment.npz") as npz:
        zh = ZhSentiment.from_arrays(meta, {k: npz[k] for k in npz.files})
    lex = dict(
        line.split("\t") for line in (assets / "en_lexicon.tsv").read_text("utf-8").splitlines()
    )
    model = SentimentModel({"zh": zh, "en": LexiconScorer({k: float(v) for k, v in lex.items()})})
    text_models.load_default = lambda *a, **k: model
    print(f"(Chinese model read from {assets}: the package does not ship it yet)")


def balanced_accuracy(y: np.ndarray, pred: np.ndarray) -> float:
    return float(np.mean([(pred[y == c] == c).mean() for c in (0, 1)]))


def run_feedback(ws: Workspace, adapt: bool) -> tuple[pd.DataFrame, dict]:
    from crmine.config.edit import set_settings

    set_settings(ws.config_path, "feedback", adapt=adapt)
    ws = Workspace.open(ws.root)
    with timed(f"run, adapt={adapt}"):
        run(ws, steps=steps_named("feedback sentiment"))
    snap = SnapshotStore(ws.snapshots_dir).require_current()
    models = snap.read("models").set_index("name")
    return snap.read("feedback_scores"), json.loads(models.loc["feedback_sentiment", "metrics"])


def alexa(tmp: Path) -> None:
    print("== amazon_alexa_reviews through the pipeline")
    ws = Workspace.init(tmp / "alexa")
    with timed("ingest"):
        r = ingest(
            ws, "feedback", DATASETS / "amazon_alexa_reviews" / "amazon_alexa_reviews.parquet"
        )
    print(f"  loaded {r.loaded:,} of {r.read:,} rows")
    for adapt in (False, True):
        scores, metrics = run_feedback(ws, adapt)
        m = scores["language"].ne("unknown") & scores["score"].ne(3)
        y = (scores.loc[m, "score"] >= 4).to_numpy(int)
        lab = (scores.loc[m, "sentiment_label"] == "positive").to_numpy(int)
        sign = (scores.loc[m, "sentiment"] > 0).to_numpy(int)
        print(f"  adapt={adapt}: n={m.sum():,} ({(y == 0).sum()} negative); balanced accuracy "
              f"label {balanced_accuracy(y, lab):.3f}, sign {balanced_accuracy(y, sign):.3f}")  # fmt: skip
        if adapt:
            keys = [k for k in metrics if k.startswith("balanced")]
            print(
                "  models table (held-out folds): " + ", ".join(f"{k} {metrics[k]}" for k in keys)
            )


def zh(tmp: Path) -> None:
    print("== online_shopping_10_cats as a feedback file through the pipeline")
    d = load_online_shopping()
    _, test = split_online_shopping(d)
    rng = np.random.default_rng(0)
    days = rng.integers(0, 365, len(d))
    csv = pd.DataFrame({"review_id": np.arange(len(d)).astype(str), "text": d["review"],
                        "score": np.where(d["label"] == 1, 5, 1),
                        "date": (pd.Timestamp("2024-01-01") + pd.to_timedelta(days, unit="D"))
                        .strftime("%Y-%m-%d")})  # fmt: skip
    path = tmp / "zh_feedback.csv"
    csv.to_csv(path, index=False)
    ws = Workspace.init(tmp / "zh")
    with timed("ingest"):
        r = ingest(ws, "feedback", path)
    print(f"  loaded {r.loaded:,} of {r.read:,} rows")
    with ws.connect(read_only=True) as con:
        ids = con.execute("SELECT feedback_id, _source_row FROM feedback").df()
    held = set(np.asarray(test) + 2)  # file line = data row + 2 (header is line 1)
    for adapt in (False, True):
        scores, metrics = run_feedback(ws, adapt)
        scores = scores.merge(ids, on="feedback_id")
        y = (scores["score"] >= 4).to_numpy(int)
        lab = (scores["sentiment_label"] == "positive").to_numpy(int)
        sign = (scores["sentiment"] > 0).to_numpy(int)
        h = scores["_source_row"].isin(held).to_numpy()
        print(f"  adapt={adapt}: all {len(y):,}: accuracy label {np.mean(lab == y):.4f}, "
              f"sign {np.mean(sign == y):.4f}; held-out 20% ({h.sum():,}): label "
              f"{np.mean(lab[h] == y[h]):.4f}, sign {np.mean(sign[h] == y[h]):.4f}")  # fmt: skip
        if adapt:
            keys = [k for k in metrics if k.startswith("balanced")]
            print(
                "  models table (held-out folds): " + ", ".join(f"{k} {metrics[k]}" for k in keys)
            )


def service(tmp: Path, seeds: list[int], n_customers: int = 2000) -> None:
    from dataclasses import replace

    from crmine.demo import generate, write_files
    from crmine.pipeline.evaluate import evaluate_workspace, service_events
    from crmine.pipeline.forecast import PredictSettings
    from crmine.pipeline.ingest_all import ingest_sources

    print(f"== service signals backtest on the synthetic CRM ({n_customers:,} customers)")
    keys = [("purchase", "auc"), ("purchase", "pr_auc"), ("purchase", "brier"),
            ("revenue", "spearman")]  # fmt: skip
    diffs: dict[str, list[float]] = {k[1]: [] for k in keys}
    for seed in seeds:
        with timed(f"seed {seed}"):
            paths = write_files(generate(n_customers, seed=seed), tmp / f"demo{seed}" / "sources")
            ws = Workspace.init(tmp / f"demo{seed}" / "ws")
            ingest_sources(ws, sorted(paths.items()))
            with ws.connect(read_only=True) as con:
                end = con.execute("SELECT max(order_ts) FROM orders").fetchone()[0]
            cutoff = end.date() + timedelta(days=1) - timedelta(days=90)
            events = service_events(ws, cutoff, 90)  # sentiment scored once for both runs
            base = PredictSettings.from_config(ws.config)
            figures = {}
            for name, st in (("without", replace(base, exclude_features=("service",))),
                             ("with", base)):  # fmt: skip
                res = evaluate_workspace(ws, cutoff, 90, settings=st, service=events)
                rows = {(sec, m["metric"]): m["model"] for sec, body in res["sections"].items()
                        for m in body["metrics"]}  # fmt: skip
                prop = next(m for m in res["models"] if m["name"] == "purchase_propensity")
                figures[name] = {**{k[1]: rows[k] for k in keys},
                                 "chosen": prop["metrics"]["chosen"],
                                 "val_auc": prop["metrics"]["validation_auc"]}  # fmt: skip
            bg = next(m for m in res["sections"]["purchase"]["metrics"] if m["metric"] == "auc")
            print(f"  seed {seed}, cutoff {cutoff}: BG/NBD AUC {bg['baselines']['bgnbd']:.4f}")
            for name, f in figures.items():
                print(f"    {name:7s} service signals: AUC {f['auc']:.4f}, PR-AUC {f['pr_auc']:.4f},"
                      f" Brier {f['brier']:.4f}, revenue Spearman {f['spearman']:.4f} "
                      f"({f['chosen']}, validation AUC {f['val_auc']:.4f})")  # fmt: skip
            for k in diffs:
                diffs[k].append(figures["with"][k] - figures["without"][k])
    print("  with − without, mean over seeds: " + ", ".join(
        f"{k} {np.mean(v):+.4f} (per seed {', '.join(f'{x:+.4f}' for x in v)})"
        for k, v in diffs.items()))  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("parts", nargs="*", default=["alexa", "zh", "service"])
    p.add_argument("--assets", type=Path)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = p.parse_args()
    use_assets(args.assets)
    with tempfile.TemporaryDirectory() as tmp:
        for part in args.parts:
            with timed(part):
                {"alexa": alexa, "zh": zh}.get(part, lambda t: service(t, args.seeds))(Path(tmp))


if __name__ == "__main__":
    main()
