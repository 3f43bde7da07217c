"""Retrain the shipped sentiment models and print their accuracy figures.

Run: .venv/bin/python scripts/train_sentiment.py [--datasets DIR] [--out DIR] [--skip-eval]

Writes to src/crmine/models/text/assets/ (or --out):
- zh_sentiment.npz / zh_sentiment.json: the Chinese model, trained on a stratified 80% of the
  deduplicated online_shopping_10_cats; the other 20% (fixed seed) is its held-out test set. The
  stacker that weighs n-grams against the lexicon is fitted on category-out-of-fold n-gram logits.
  The settings of the scoring-time batch self-training (`_zh_batch.py`) are stored with it; the
  figures are printed for texts scored as one batch (the pipeline's way) and one by one.
- en_lexicon.tsv + LICENSE-VADER.txt: VADER's valence lexicon (MIT), copied from the installed
  vaderSentiment package; the English scorer's own rules live in code (_en_rules.py).
No English data is used for training. Deterministic: fixed seed, deterministic solvers.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "src"), str(REPO)]

from bench.sentiment import (  # noqa: E402
    DATASETS,
    SEED,
    ZH_UNSEEN,
    balanced_accuracy,
    load_alexa,
    load_online_shopping,
    plain_baseline_accuracy,
    split_online_shopping,
)

from crmine.models.text._zh import ZhSentiment  # noqa: E402

ASSETS = REPO / "src" / "crmine" / "models" / "text" / "assets"


def write_english(out: Path) -> None:
    """Copy VADER's lexicon (word -> mean valence) and its licence next to the model."""
    dist = metadata.distribution("vaderSentiment")
    files = {str(f): f for f in dist.files or []}
    lex_path = Path(str(dist.locate_file(files["vaderSentiment/vader_lexicon.txt"])))
    rows = []
    for line in lex_path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[0]:
            rows.append(f"{parts[0]}\t{float(parts[1]):g}")
    (out / "en_lexicon.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    lic = [f for name, f in files.items() if name.endswith("LICENSE.txt")]
    (out / "LICENSE-VADER.txt").write_text(
        Path(str(dist.locate_file(lic[0]))).read_text(encoding="utf-8"), encoding="utf-8"
    )
    print(f"English lexicon: {len(rows)} entries from vaderSentiment {dist.version}")


def fit_chinese(train: pd.DataFrame) -> ZhSentiment:
    """The shipped recipe; the stacker's folds leave whole product categories out."""
    return ZhSentiment(random_state=SEED).fit(
        train.review.tolist(), train.label.to_numpy(), groups=train.cat.to_numpy()
    )


def accuracy(score: np.ndarray, y: np.ndarray) -> float:
    return float(((np.asarray(score) > 0) == np.asarray(y)).mean())


def train_chinese(datasets: Path, out: Path) -> dict[str, float]:
    """Fit on the stratified 80% split, score the untouched 20%, write the model.

    The shipped model never sees the held-out 20%, so tests and users can check its accuracy
    on that split without retraining.
    """
    d = load_online_shopping(datasets)
    tr, te = split_online_shopping(d, SEED)
    train, test = d.iloc[tr], d.iloc[te]
    t0 = time.perf_counter()
    m = fit_chinese(train)
    texts, y = test.review.tolist(), test.label.to_numpy()
    res = {
        "heldout_acc": accuracy(m.score(texts), y),
        "heldout_acc_per_text": accuracy(m.score(texts, adapt=False), y),
    }
    meta, arrays = m.to_arrays()
    meta["training_data"] = {
        "dataset": "online_shopping_10_cats", "deduplicated_rows": len(d),
        "training_rows": len(train), "heldout_rows": len(test), "split": "stratified cat x label",
        "test_size": 0.2, "seed": SEED, "stack_folds": "grouped by category",
    }  # fmt: skip
    meta["ngram_weight"] = round(m.ngram_weight_, 4)
    meta["heldout_accuracy"] = round(res["heldout_acc"], 4)
    meta["heldout_accuracy_per_text"] = round(res["heldout_acc_per_text"], 4)
    np.savez_compressed(out / "zh_sentiment.npz", **arrays)
    (out / "zh_sentiment.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    size = (out / "zh_sentiment.npz").stat().st_size
    print(f"Chinese model: {len(m.index_)} stored buckets, {size / 1e6:.2f} MB "
          f"[{time.perf_counter() - t0:.0f}s]")  # fmt: skip
    print(f"held-out 20% (stratified cat x label, seed {SEED}, n={len(test)}): "
          f"model {res['heldout_acc']:.4f} (scored as one batch, self-trained on it; "
          f"each text on its own: {res['heldout_acc_per_text']:.4f})", flush=True)  # fmt: skip
    return res


def evaluate_chinese(datasets: Path) -> dict[str, float]:
    """The plain baseline on the same held-out split, and both on unseen categories."""
    d = load_online_shopping(datasets)
    tr, te = split_online_shopping(d, SEED)
    res = {"heldout_plain_baseline": plain_baseline_accuracy(d.iloc[tr], d.iloc[te])}
    print(f"held-out 20%: plain char 1-3 TF-IDF + LR {res['heldout_plain_baseline']:.4f}",
          flush=True)  # fmt: skip
    unseen = d["cat"].isin(ZH_UNSEEN).to_numpy()
    train, test = d[~unseen], d[unseen]
    m = fit_chinese(train)
    texts, y = test.review.tolist(), test.label.to_numpy()
    res["unseen_acc"] = accuracy(m.score(texts), y)
    res["unseen_acc_per_text"] = accuracy(m.score(texts, adapt=False), y)
    res["unseen_plain_baseline"] = plain_baseline_accuracy(train, test)
    print(f"unseen categories {ZH_UNSEEN} (train on the other 7, n={len(test)}): "
          f"model {res['unseen_acc']:.4f} (one batch, self-trained; each text on its own: "
          f"{res['unseen_acc_per_text']:.4f}) | plain {res['unseen_plain_baseline']:.4f}",
          flush=True)  # fmt: skip
    return res


def evaluate_english(datasets: Path) -> None:
    from crmine.models.text import load_default

    a = load_alexa(datasets)
    s = load_default().score(a.verified_reviews.tolist())
    print(
        f"amazon_alexa (dedup, n={len(a)}): balanced accuracy {balanced_accuracy(a.y, s > 0):.4f}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", type=Path, default=DATASETS)
    ap.add_argument("--out", type=Path, default=ASSETS)
    ap.add_argument("--skip-eval", action="store_true", help="only write the shipped files")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    write_english(args.out)
    train_chinese(args.datasets, args.out)
    if not args.skip_eval:
        evaluate_chinese(args.datasets)
    if args.out == ASSETS:
        evaluate_english(args.datasets)
    return 0


if __name__ == "__main__":
    sys.exit(main())
