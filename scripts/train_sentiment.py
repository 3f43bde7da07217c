"""Retrain the shipped sentiment models and print their accuracy figures.

Run: .venv/bin/python scripts/train_sentiment.py [--datasets DIR] [--out DIR] [--skip-eval]

Writes to src/crmine/models/text/assets/ (or --out):
- zh_sentiment.npz / zh_sentiment.json: the Chinese model, trained on a stratified 80% of the
  deduplicated online_shopping_10_cats; the other 20% (fixed seed) is its held-out test set. The
  stacker that weighs n-grams against the lexicon is fitted on category-out-of-fold n-gram logits.
  The settings of the scoring-time batch self-training (`_zh_batch.py`) are stored with it; the
  figures are printed for texts scored as one batch (the pipeline's way) and one by one.
- en_lexicon.tsv + LICENSE-VADER.txt: VADER's valence lexicon (MIT), copied from the installed
  vaderSentiment package; the English lexicon scorer's own rules live in code (_en_rules.py).
- en_sentiment.npz / en_sentiment.json: the English model (`_en_ngram.EnSentiment`), trained on
  all four CC BY 4.0 English corpora (bench.sentiment.load_english_corpora), the stacker's folds
  leaving one domain out at a time. Before it is written, the same recipe is measured with each
  domain left out of training in turn (trained on the others, tested on it), against VADER;
  those figures and the evaluation-only sets' (amazon_alexa, twitter_airline) go into the .json.
Deterministic: fixed seed, folds by category / domain (English: no random step at all),
deterministic solvers. ``--languages en`` retrains the English model alone.
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
    EN_CORPORA,
    SEED,
    ZH_UNSEEN,
    auc,
    balanced_accuracy,
    fit_english,
    leave_one_domain_out,
    load_english_corpora,
    load_english_evaluation,
    load_online_shopping,
    plain_baseline_accuracy,
    split_online_shopping,
    vader_scores,
)

from crmine.models.text._en import LexiconScorer  # noqa: E402
from crmine.models.text._zh import ZhSentiment  # noqa: E402

# the licence of every corpus the English model is trained on (from the dataset READMEs)
EN_LICENCES = {
    "uci_sentiment_labelled_sentences": "CC BY 4.0 (UCI ML Repository; Kotzias et al. 2015)",
    "liu_customer_reviews": "CC BY 4.0 (NLTK data index; Hu & Liu 2004, Ding, Liu & Yu 2008)",
    "liu_pros_cons": "CC BY 4.0 (corpus README; Ganapathibhotla & Liu 2008)",
    "pang_lee_sentence_polarity": "CC BY 4.0 (NLTK corpus README and index; Pang & Lee 2005)",
}

ASSETS = REPO / "src" / "crmine" / "models" / "text" / "assets"


def write_lexicon(out: Path) -> None:
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


def read_lexicon(out: Path) -> LexiconScorer:
    rows = (line.split("\t") for line in (out / "en_lexicon.tsv").read_text("utf-8").splitlines())
    return LexiconScorer({w: float(v) for w, v in rows})


def _rounded(d: dict) -> dict:
    return {k: round(float(v), 4) if isinstance(v, float | np.floating) else v for k, v in d.items()}


def train_english(datasets: Path, out: Path, evaluate: bool = True) -> dict:
    """Measure the recipe with each domain left out, then fit it on all corpora and write it."""
    t0 = time.perf_counter()
    lexicon = read_lexicon(out)
    d = load_english_corpora(datasets)
    meta_eval: dict = {}
    if evaluate:
        lodo = leave_one_domain_out(d, lexicon=lexicon)
        print(f"English, each domain left out of training (trained on the others) "
              f"[{time.perf_counter() - t0:.0f}s]:")  # fmt: skip
        print(lodo.round(4).to_string())
        meta_eval["leave_one_domain_out"] = {
            corpus: _rounded(row) for corpus, row in lodo.to_dict("index").items()
        }
    m = fit_english(d, lexicon=lexicon)
    if evaluate:
        meta_eval["never_trained_on"] = {}
        for name, (texts, y) in load_english_evaluation(datasets).items():
            s, v = m.score(texts), vader_scores(texts)
            row = {"n": len(y), "balanced_accuracy": balanced_accuracy(y, s > 0),
                   "auc": auc(y, s), "vader_balanced_accuracy": balanced_accuracy(y, v >= 0.05),
                   "vader_auc": auc(y, v)}  # fmt: skip
            meta_eval["never_trained_on"][name] = _rounded(row)
            print(f"{name} (evaluation only, n={len(y)}): balanced acc "
                  f"{row['balanced_accuracy']:.4f} AUC {row['auc']:.4f} | VADER "
                  f"{row['vader_balanced_accuracy']:.4f} AUC {row['vader_auc']:.4f}")  # fmt: skip
    meta, arrays = m.to_arrays()
    counts = d.groupby("corpus")["y"].agg(["size", "sum"])
    meta["training_data"] = {
        "licences": EN_LICENCES,
        "corpora": {c: {"domain": EN_CORPORA[c], "rows": int(r["size"]), "positive": int(r["sum"])}
                    for c, r in counts.iterrows()},
        "rows": len(d), "stack_folds": "one per domain, each left out in turn",
        "deduplicated": "lower-cased, spaces collapsed; texts with both labels dropped",
    }  # fmt: skip
    meta["evaluation"] = meta_eval
    np.savez_compressed(out / "en_sentiment.npz", **arrays)
    (out / "en_sentiment.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    size = (out / "en_sentiment.npz").stat().st_size
    print(f"English model: {len(m.vocabulary_)} n-grams, n-gram weight {m.ngram_weight_:.3f}, "
          f"lexicon weight {m.lexicon_coef_:.3f}, {size / 1e6:.2f} MB "
          f"[{time.perf_counter() - t0:.0f}s]", flush=True)  # fmt: skip
    return meta_eval


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", type=Path, default=DATASETS)
    ap.add_argument("--out", type=Path, default=ASSETS)
    ap.add_argument("--skip-eval", action="store_true", help="only write the shipped files")
    ap.add_argument("--languages", nargs="+", choices=("en", "zh"), default=["en", "zh"])
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if "en" in args.languages:
        write_lexicon(args.out)
        train_english(args.datasets, args.out, evaluate=not args.skip_eval)
    if "zh" in args.languages:
        train_chinese(args.datasets, args.out)
        if not args.skip_eval:
            evaluate_chinese(args.datasets)
    return 0


if __name__ == "__main__":
    sys.exit(main())
