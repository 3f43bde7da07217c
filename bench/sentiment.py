"""Sentiment benchmark: the shipped models against VADER and a plain n-gram baseline, and adaptation.

Run: .venv/bin/python bench/sentiment.py [--datasets DIR] [--quick]

Prints, with the same deduplicated data and splits as scripts/train_sentiment.py:
- Chinese (online_shopping_10_cats): shipped-model recipe vs plain char 1-3 TF-IDF + LR, on a
  stratified held-out split and on categories left out of training (texts scored as one batch,
  with the batch self-training, and one by one); adaptation on left-out categories.
- English: balanced accuracy and ROC AUC of the shipped lexicon scorer vs VADER on amazon_alexa
  (1-2 vs 4-5 stars) and twitter_airline_sentiment (negative vs positive; 3 classes), and
  `adapt` on half of amazon_alexa evaluated on the other half.
The loaders here are also used by the training script and the real-data tests.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from crmine.models.text._en import LexiconScorer
    from crmine.models.text._en_ngram import EnSentiment

REPO = Path(__file__).resolve().parents[1]
DATASETS = Path(os.environ.get("CRMINE_DATASETS", REPO.parent / "shared" / "datasets"))
SEED = 20261122
ZH_TEST_SIZE = 0.2
# categories held out of training to measure generalisation to unseen product types
ZH_UNSEEN = ("书籍", "水果", "计算机")


# ---- loaders (deduplicated, as the dataset READMEs ask) -------------------------------------
def load_online_shopping(datasets: Path = DATASETS) -> pd.DataFrame:
    """online_shopping_10_cats: (cat, label, review), BOM stripped, empty texts, repeated texts
    and texts seen with both labels removed."""
    d = pd.read_parquet(datasets / "online_shopping_10_cats" / "online_shopping_10_cats.parquet")
    d = d.dropna(subset=["review"])
    d["review"] = d["review"].str.replace("\ufeff", "").str.strip()
    d = d[d["review"].str.len() > 0]
    n_labels = d.groupby("review")["label"].nunique()
    d = d[~d["review"].isin(n_labels[n_labels > 1].index)]
    return d.drop_duplicates("review").reset_index(drop=True)


def split_online_shopping(d: pd.DataFrame, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Train / test row positions, stratified by category and label."""
    from sklearn.model_selection import train_test_split

    strata = d["cat"].astype(str) + "/" + d["label"].astype(str)
    idx = np.arange(len(d))
    tr, te = train_test_split(idx, test_size=ZH_TEST_SIZE, stratify=strata, random_state=seed)
    return np.sort(tr), np.sort(te)


def load_alexa(datasets: Path = DATASETS) -> pd.DataFrame:
    """amazon_alexa_reviews, exact duplicates dropped, 3 stars and text-less (" ") rows removed;
    column y: 1 for 4-5 stars, 0 for 1-2."""
    a = pd.read_parquet(datasets / "amazon_alexa_reviews" / "amazon_alexa_reviews.parquet")
    a = a.drop_duplicates()
    a = a[(a["rating"] != 3) & (a["verified_reviews"].str.strip() != "")]
    return a.assign(y=(a["rating"] >= 4).astype(int)).reset_index(drop=True)


def load_twitter(datasets: Path = DATASETS) -> pd.DataFrame:
    """twitter_airline_sentiment deduplicated by tweet_id (evaluation only: CC BY-NC-SA).

    The "Late Flight" / "Cancelled Flight" rewrite is undone approximately (back to "late" /
    "cancel"), so that the text reads as the customer wrote it."""
    t = pd.read_parquet(
        datasets / "twitter_airline_sentiment" / "twitter_airline_sentiment.parquet"
    )
    t = t.drop_duplicates("tweet_id").reset_index(drop=True)
    text = t["text"].str.replace("Late Flight", "late", regex=False)
    t["text"] = text.str.replace("Cancelled Flight", "cancel", regex=False)
    return t


# English corpora that may train a shipped model (all CC BY 4.0; see their READMEs), and the
# domain each belongs to: a domain is left out of training as a whole (both movie corpora at once).
EN_CORPORA = {
    "uci_amazon": "phones", "uci_yelp": "restaurants", "uci_imdb": "movies",
    "liu_customer_reviews": "products", "liu_pros_cons": "pros_cons", "pang_lee": "movies",
}  # fmt: skip


def load_english_corpora(datasets: Path = DATASETS) -> pd.DataFrame:
    """The four CC BY 4.0 English corpora as (text, y, corpus, domain), y = 1 positive.

    - uci_sentiment_labelled_sentences: one corpus per site (amazon phones, yelp restaurants,
      imdb movies); the imdb texts' trailing spaces stripped.
    - liu_customer_reviews: sentences with an opinion tag (polarity +1 / -1); sentences tagged
      both ways are dropped (52: their labels are feature-level, not the sentence's); neutral
      (0) sentences dropped.
    - liu_pros_cons: pros = positive, cons = negative; empty entries dropped.
    - pang_lee_sentence_polarity: as published.
    Texts are compared lower-cased with collapsed spaces: those seen with both labels (the
    pros/cons placeholders "none", "-", "price", ...) are dropped, repeats kept once.
    """

    def read(name: str) -> pd.DataFrame:
        return pd.read_parquet(datasets / name / f"{name}.parquet")

    u = read("uci_sentiment_labelled_sentences")
    c = read("liu_customer_reviews")
    c = c[(c["polarity"] != 0) & ~((c["n_pos"] > 0) & (c["n_neg"] > 0))]
    p = read("liu_pros_cons").dropna(subset=["text"])
    r = read("pang_lee_sentence_polarity")
    d = pd.concat([
        pd.DataFrame({"text": u["text"], "y": u["label"], "corpus": "uci_" + u["source"]}),
        pd.DataFrame({"text": c["sentence"], "y": (c["polarity"] > 0).astype(int),
                      "corpus": "liu_customer_reviews"}),
        pd.DataFrame({"text": p["text"], "y": p["label"], "corpus": "liu_pros_cons"}),
        pd.DataFrame({"text": r["text"], "y": r["label"], "corpus": "pang_lee"}),
    ], ignore_index=True)  # fmt: skip
    d["text"] = d["text"].str.strip()
    d = d[d["text"].str.len() > 0]
    key = d["text"].str.lower().str.replace(r"\s+", " ", regex=True)
    n_labels = d.groupby(key)["y"].nunique()
    d = d[~key.isin(n_labels[n_labels > 1].index)]
    d = d.loc[~key[d.index].duplicated()]
    d["y"] = d["y"].astype(int)
    return d.assign(domain=d["corpus"].map(EN_CORPORA)).reset_index(drop=True)


def load_english_evaluation(datasets: Path = DATASETS) -> dict[str, tuple[list[str], np.ndarray]]:
    """Evaluation-only English sets (their licences forbid training a shipped model on them):
    amazon_alexa 1-2 vs 4-5 stars and twitter_airline_sentiment negative vs positive."""
    a = load_alexa(datasets)
    t = load_twitter(datasets)
    t = t[t["airline_sentiment"] != "neutral"]
    return {
        "amazon_alexa": (a["verified_reviews"].tolist(), a["y"].to_numpy()),
        "twitter_airline": (t["text"].tolist(), (t["airline_sentiment"] == "positive").to_numpy(int)),
    }


def fit_english(d: pd.DataFrame, lexicon: LexiconScorer | None = None) -> EnSentiment:
    """The shipped English recipe: defaults of EnSentiment, the stacker's folds by domain
    (``lexicon``: the stacked lexicon scorer; None: the shipped one)."""
    from crmine.models.text._en_ngram import EnSentiment

    return EnSentiment(lexicon).fit(
        d["text"].tolist(), d["y"].to_numpy(), groups=d["domain"].to_numpy()
    )


def leave_one_domain_out(d: pd.DataFrame, domains: list[str] | None = None,
                         lexicon: LexiconScorer | None = None) -> pd.DataFrame:  # fmt: skip
    """Per corpus: the recipe trained on every *other* domain, against VADER and the lexicon
    scorer alone (rows: corpus; balanced accuracy at score > 0, VADER at compound >= 0.05)."""
    from crmine.models.text._en import shipped_lexicon

    lexicon = lexicon or shipped_lexicon()
    rows = []
    for dom in domains or sorted(d["domain"].unique()):
        model = fit_english(d[d["domain"] != dom], lexicon)
        for corpus, g in d[d["domain"] == dom].groupby("corpus"):
            texts, y = g["text"].tolist(), g["y"].to_numpy()
            s, v, lex = model.score(texts), vader_scores(texts), lexicon.score(texts)
            rows.append({"domain": dom, "corpus": corpus, "n": len(g),
                         "balanced_accuracy": balanced_accuracy(y, s > 0), "auc": auc(y, s),
                         "vader_balanced_accuracy": balanced_accuracy(y, v >= 0.05),
                         "vader_auc": auc(y, v),
                         "lexicon_balanced_accuracy": balanced_accuracy(y, lex > 0)})  # fmt: skip
    return pd.DataFrame(rows).set_index("corpus")


# ---- metrics -------------------------------------------------------------------------------
def balanced_accuracy(y: np.ndarray, positive: np.ndarray) -> float:
    """Mean per-class recall; ``positive`` is a boolean decision or an array of class labels."""
    from sklearn.metrics import balanced_accuracy_score

    pred = np.asarray(positive)
    return float(
        balanced_accuracy_score(np.asarray(y), pred.astype(int) if pred.dtype == bool else pred)
    )


def auc(y: np.ndarray, score: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(np.asarray(y), np.asarray(score)))


def vader_scores(texts: list[str]) -> np.ndarray:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    sia = SentimentIntensityAnalyzer()
    return np.array([sia.polarity_scores(t)["compound"] for t in texts])


def plain_baseline_accuracy(train: pd.DataFrame, test: pd.DataFrame) -> float:
    """The floor: character 1-3-gram TF-IDF + logistic regression (C=10)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    v = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
    m = LogisticRegression(C=10.0, max_iter=2000)
    m.fit(v.fit_transform(train["review"]), train["label"])
    return float((m.predict(v.transform(test["review"])) == test["label"]).mean())


# ---- benchmark sections --------------------------------------------------------------------
def bench_english(datasets: Path) -> None:
    from crmine.models.text import load_default

    model = load_default()
    a = load_alexa(datasets)
    texts = a["verified_reviews"].tolist()
    t0 = time.perf_counter()
    ours = model.score(texts)
    dt = time.perf_counter() - t0
    vad = vader_scores(texts)
    print(f"\n## English: amazon_alexa (dedup, 1-2 vs 4-5 stars, n={len(a)}, "
          f"{int((a.y == 0).sum())} negative)")  # fmt: skip
    print(f"shipped lexicon: balanced acc {balanced_accuracy(a.y, ours > 0):.3f} "
          f"(label positive vs not: {balanced_accuracy(a.y, model.label(ours) == 'positive'):.3f})"
          f", AUC {auc(a.y, ours):.3f}, {dt:.2f}s")  # fmt: skip
    print(f"VADER (compound>=0.05): balanced acc {balanced_accuracy(a.y, vad >= 0.05):.3f}, "
          f"(>0: {balanced_accuracy(a.y, vad > 0):.3f}), AUC {auc(a.y, vad):.3f}")  # fmt: skip

    # adaptation: fit on one half's ratings, evaluate on the other half, both ways
    rng = np.random.default_rng(SEED)
    half = np.zeros(len(a), dtype=bool)
    for cls in (0, 1):
        rows = np.flatnonzero(a.y.to_numpy() == cls)
        half[rng.permutation(rows)[: len(rows) // 2]] = True
    base_ba, adapt_ba, base_auc, adapt_auc = [], [], [], []
    for fit_rows in (half, ~half):
        ev = ~fit_rows
        adapted = model.adapt(a.loc[fit_rows, "verified_reviews"], a.loc[fit_rows, "rating"])
        s_ad = adapted.score(a.loc[ev, "verified_reviews"])
        y_ev = a.loc[ev, "y"].to_numpy()
        base_ba.append(balanced_accuracy(y_ev, ours[ev] > 0))
        adapt_ba.append(balanced_accuracy(y_ev, s_ad > 0))
        base_auc.append(auc(y_ev, ours[ev]))
        adapt_auc.append(auc(y_ev, s_ad))
    print(f"adapt on one half, evaluate on the other (mean of both ways): balanced acc "
          f"{np.mean(base_ba):.3f} -> {np.mean(adapt_ba):.3f}, AUC {np.mean(base_auc):.3f} -> "
          f"{np.mean(adapt_auc):.3f}")  # fmt: skip

    t = load_twitter(datasets)
    ts = t["text"].tolist()
    ours_t, vad_t = model.score(ts), vader_scores(ts)
    pn = (t["airline_sentiment"] != "neutral").to_numpy()
    y_pn = (t.loc[pn, "airline_sentiment"] == "positive").to_numpy()
    print(f"\n## English: twitter_airline_sentiment (dedup by tweet_id, n={len(t)}; eval only)")
    print(
        f"negative vs positive (n={pn.sum()}): shipped balanced acc "
        f"{balanced_accuracy(y_pn, ours_t[pn] > 0):.3f} AUC {auc(y_pn, ours_t[pn]):.3f} | "
        f"VADER {balanced_accuracy(y_pn, vad_t[pn] >= 0.05):.3f} AUC {auc(y_pn, vad_t[pn]):.3f}"
    )
    y3 = t["airline_sentiment"].to_numpy()
    vad_lab = np.where(vad_t >= 0.05, "positive", np.where(vad_t <= -0.05, "negative", "neutral"))
    print(
        f"3 classes: shipped balanced acc {balanced_accuracy(y3, model.label(ours_t)):.3f} "
        f"(band {model.neutral_band}) | VADER {balanced_accuracy(y3, vad_lab):.3f} (band 0.05)"
    )


def bench_chinese(datasets: Path, quick: bool) -> None:
    from crmine.models.text import SentimentModel, load_default
    from crmine.models.text._zh import ZhSentiment

    d = load_online_shopping(datasets)
    tr, te = split_online_shopping(d)
    print(f"\n## Chinese: online_shopping_10_cats (dedup n={len(d)}, seed {SEED})")
    shipped = load_default()
    zh = shipped.scorers["zh"]
    texts, y_te = d.review.iloc[te].tolist(), d.label.iloc[te].to_numpy()
    t0 = time.perf_counter()
    s_batch = shipped.score(texts)
    dt = time.perf_counter() - t0
    acc_shipped = float(((s_batch > 0) == y_te).mean())
    acc_alone = float(((zh.score(texts, adapt=False) > 0) == y_te).mean())
    print(f"shipped model on the held-out 20% it never saw (n={len(te)}): {acc_shipped:.4f} "
          f"scored as one batch ({dt:.1f}s, self-trained on the batch); each text on its own: "
          f"{acc_alone:.4f}")  # fmt: skip
    if quick:
        return
    acc_plain = plain_baseline_accuracy(d.iloc[tr], d.iloc[te])
    print(f"plain char 1-3 TF-IDF + LR, same split: {acc_plain:.4f}", flush=True)
    unseen = d["cat"].isin(ZH_UNSEEN).to_numpy()
    train, test = d[~unseen], d[unseen]
    m = ZhSentiment(random_state=SEED).fit(
        train.review.tolist(), train.label.to_numpy(), groups=train.cat.to_numpy()
    )
    s = m.score(test.review.tolist())
    acc_new = float(((s > 0) == test.label).mean())
    acc_alone = float(((m.score(test.review.tolist(), adapt=False) > 0) == test.label).mean())
    acc_base = plain_baseline_accuracy(train, test)
    print(f"unseen categories {ZH_UNSEEN} (trained on the other 7, n={len(test)}): "
          f"model {acc_new:.4f} (one batch, self-trained; each text on its own {acc_alone:.4f}) "
          f"vs plain baseline {acc_base:.4f}", flush=True)  # fmt: skip
    # adaptation on the unseen categories: ratings of one half, evaluated on the other half
    rng = np.random.default_rng(SEED)
    half = rng.random(len(test)) < 0.5
    base_model = SentimentModel({"zh": m})
    ratings = np.where(test.label.to_numpy() == 1, 5, 1)
    before, after = [], []
    y = test.label.to_numpy()
    for fit_rows in (half, ~half):
        ad = base_model.adapt(test.review[fit_rows], ratings[fit_rows])
        ev = ~fit_rows
        before.append(float(((s[ev] > 0) == y[ev]).mean()))
        after.append(float(((ad.score(test.review[ev]) > 0) == y[ev]).mean()))
    print(f"adapt on half of the unseen categories, evaluate on the other half (mean of both "
          f"ways): {np.mean(before):.4f} -> {np.mean(after):.4f}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", type=Path, default=DATASETS)
    ap.add_argument("--quick", action="store_true", help="skip the Chinese retraining sections")
    args = ap.parse_args(argv)
    bench_english(args.datasets)
    bench_chinese(args.datasets, args.quick)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO / "src"))
    sys.exit(main())
