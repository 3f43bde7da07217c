"""Voice-of-the-customer maths: feedback kinds, NPS and CSAT, honest sentiment adaptation, drivers.

Pure computation on arrays and frames. Conventions:

* NPS (Reichheld 2003): on 0-10, promoters 9-10, passives 7-8, detractors 0-6;
  NPS = 100 × (share of promoters − share of detractors), from −100 to 100.
* CSAT: share (in %) of 4-5 answers on a 1-5 scale (ratings, reviews, csat surveys).
* A source without a ``kind`` column gets one from its scores' range (:func:`infer_kind`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from crmine.models.text import SentimentModel

from crmine.quality.feedback import (
    CSAT_MIN,
    DETRACTOR_MAX,
    NPS_KINDS,
    PROMOTER_MIN,
    STAR_KINDS,
)


def weak_polarity(u: np.ndarray) -> np.ndarray:
    """1 for the top quarter of the 0-1 scale, 0 for the bottom quarter, -1 in between or NaN.

    On stars: 1-2 negative, 4-5 positive; on NPS: 0-2 negative, 8-10 positive. The same rule
    as the sentiment model's adaptation, so the held-out check measures what it learns.
    """
    u = np.asarray(u, dtype=np.float64)
    out = np.full(len(u), -1, dtype=np.int8)
    out[u <= 0.25] = 0
    out[u >= 0.75] = 1
    return out


# --- NPS and CSAT -------------------------------------------------------------------------


def nps(scores: np.ndarray) -> float:
    """Net Promoter Score of 0-10 answers (NaN ignored); NaN when there are none."""
    s = np.asarray(scores, dtype=np.float64)
    s = s[~np.isnan(s)]
    if s.size == 0:
        return float("nan")
    return float(100.0 * ((s >= PROMOTER_MIN).mean() - (s <= DETRACTOR_MAX).mean()))


def csat(scores: np.ndarray) -> float:
    """CSAT in %: the share of 4-5 answers on 1-5 (NaN ignored); NaN when there are none."""
    s = np.asarray(scores, dtype=np.float64)
    s = s[~np.isnan(s)]
    return float(100.0 * (s >= CSAT_MIN).mean()) if s.size else float("nan")


METRICS = {
    "nps": "Net Promoter Score, -100..100 (promoters 9-10 minus detractors 0-6, in points)",
    "csat": "customer satisfaction, % of 4-5 answers on 1-5",
    "mean_sentiment": "mean sentiment of the texts, -1..1",
    "share_negative": "% of texts labelled negative",
}


def voice_summary(frame: pd.DataFrame, dimensions: list[str], min_n: int = 1) -> pd.DataFrame:
    """NPS, CSAT and sentiment overall and per value of each dimension, in long format.

    ``frame`` has ``kind`` and ``score``, optionally ``sentiment`` / ``sentiment_label``, and
    the dimension columns. Returns (dimension, value, metric, n, score); dimension 'all'
    holds the overall figures; groups with fewer than ``min_n`` answers are left out.
    """
    import pandas as pd

    kind = frame["kind"].to_numpy(dtype=object)
    score = frame["score"].to_numpy(dtype=np.float64, na_value=np.nan)
    is_nps = np.isin(kind, list(NPS_KINDS)) & ~np.isnan(score)
    is_star = np.isin(kind, list(STAR_KINDS)) & (score >= 1) & (score <= 5)
    cols: dict[str, Any] = {
        # per answer: its contribution to the metric, NaN where the answer does not count
        "nps": np.where(
            is_nps, 100.0 * (score >= PROMOTER_MIN) - 100.0 * (score <= DETRACTOR_MAX), np.nan
        ),
        "csat": np.where(is_star, 100.0 * (score >= CSAT_MIN), np.nan),
    }
    if "sentiment" in frame:
        sent = frame["sentiment"].to_numpy(dtype=np.float64, na_value=np.nan)
        cols["mean_sentiment"] = sent
        if "sentiment_label" in frame:
            neg = (frame["sentiment_label"] == "negative").to_numpy(dtype=np.float64)
            cols["share_negative"] = np.where(np.isnan(sent), np.nan, 100.0 * neg)
    values = pd.DataFrame(cols, index=frame.index)
    parts = []
    for dim in ["all", *dimensions]:
        key = pd.Series("all", index=frame.index) if dim == "all" else frame[dim]
        if dim != "all" and key.notna().sum() == 0:
            continue
        g = values.groupby(key.astype("string"), dropna=True)
        means, counts = g.mean(), g.count()
        long = means.stack().rename("score").to_frame().join(counts.stack().rename("n"))
        long = long.reset_index()
        long.columns = ["value", "metric", "score", "n"]
        long.insert(0, "dimension", dim)
        parts.append(long[long["n"] >= max(min_n, 1)])
    cols_out = ["dimension", "value", "metric", "n", "score"]
    if not parts:
        return pd.DataFrame(columns=cols_out)
    out = pd.concat(parts, ignore_index=True)[cols_out]
    out["n"] = out["n"].astype("int64")
    return out


# --- cross-fitted adaptation ---------------------------------------------------------------


@dataclass
class FoldEnsemble:
    """The mean score of several adapted models; scores and labels like a SentimentModel."""

    models: list[SentimentModel]

    @property
    def neutral_band(self) -> float:
        return self.models[0].neutral_band

    def score(self, texts: Any, languages: np.ndarray | None = None, *,
              base: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
        if base is None and self.models:  # the base scorers are shared: score once
            uncorrected = replace(self.models[0], corrections={})
            base = uncorrected.score(texts, languages)
        return np.mean([m.score(texts, languages=languages, base=base) for m in self.models],
                       axis=0)

    def label(self, scores: np.ndarray) -> np.ndarray:
        return self.models[0].label(scores)


@dataclass
class CrossFitResult:
    """Sentiment per text, and how adaptation did on texts whose rating it never saw."""

    scores: np.ndarray
    labels: np.ndarray
    base_scores: np.ndarray
    adapted: bool
    metrics: dict[str, Any] = field(default_factory=dict)
    model: SentimentModel | FoldEnsemble | None = None  # scores texts whose rating none saw


def _balanced_accuracy(y: np.ndarray, pred: np.ndarray) -> float:
    recalls = [float((pred[y == c] == c).mean()) for c in (0, 1) if (y == c).any()]
    return float(np.mean(recalls)) if len(recalls) == 2 else float("nan")


def adaptation_metrics(y: np.ndarray, base: np.ndarray, adapted: np.ndarray,
                       band: float) -> dict[str, Any]:  # fmt: skip
    """Balanced accuracy against weak labels (0 low / 1 high rating), before and after.

    ``label`` counts a text as predicted positive when it is labelled positive (neutral and
    negative labels count as not positive); ``sign`` when its score is above 0.
    """
    y = np.asarray(y)
    m = y >= 0
    y = y[m]
    base, adapted = np.asarray(base)[m], np.asarray(adapted)[m]
    out: dict[str, Any] = {"heldout_texts": int(m.sum()), "heldout_negative": int((y == 0).sum())}
    for name, s in (("before", base), ("after", adapted)):
        out[f"balanced_accuracy_label_{name}"] = round(_balanced_accuracy(y, s >= band), 4)
        out[f"balanced_accuracy_sign_{name}"] = round(_balanced_accuracy(y, s > 0), 4)
    return out


def cross_fit_sentiment(model: SentimentModel, texts: pd.Series, rating01: np.ndarray,
                        *, train: np.ndarray | None = None, folds: int = 5, seed: int = 0,
                        min_rated: int = 20, max_fit: int | None = None,
                        keep_if_worse: bool = True) -> CrossFitResult:  # fmt: skip
    """Score every text, adapting the model to the domain by the ratings without self-leakage.

    ``rating01`` is each text's rating on 0-1 (NaN when unrated); ``train`` marks the ratings
    the adaptation may learn from (default: every rated text). Rated texts are split into
    ``folds`` by a hash of their text (so repeated texts share a fold); each fold is scored by
    a model adapted on the other folds only. Other texts (unrated, or ratings not allowed) get
    the mean score of the fold models (:class:`FoldEnsemble`), none of which saw their rating
    either: no extra fit is needed. Adaptation is skipped (base model
    for all) when fewer than ``min_rated`` texts of either polarity are available. ``max_fit``
    caps the texts each adaptation learns from (a random sample) to bound its cost. When the
    adapted scores label the held-out rated texts worse than the base model's, the base
    model is kept (``keep_if_worse``; off only to inspect the cross-fitting itself).
    """
    import pandas as pd

    from crmine.models.text import detect_language

    texts = pd.Series(texts, dtype=object).reset_index(drop=True)
    u = np.asarray(rating01, dtype=np.float64)
    langs = detect_language(texts)
    has_lang = langs != "unknown"
    base = model.score(texts, languages=langs)
    y = weak_polarity(u)
    usable = (y >= 0) & has_lang & (np.ones(len(u), bool) if train is None else np.asarray(train))
    counts = np.bincount(y[usable], minlength=2)
    if counts.min() < min_rated or folds < 2:
        return CrossFitResult(base, model.label(base), base, False,
                              {"adapted": False, "rated_negative": int(counts[0]),
                               "rated_positive": int(counts[1])}, model)  # fmt: skip
    key = pd.util.hash_pandas_object(texts.fillna(""), index=False,
                                     hash_key=f"{seed:016d}"[:16]).to_numpy()  # fmt: skip
    fold = (key % np.uint64(folds)).astype(np.int64)
    rng = np.random.default_rng(seed)

    def cap(rows: np.ndarray) -> np.ndarray:
        if max_fit is None or rows.size <= max_fit:
            return rows
        return np.sort(rng.choice(rows, max_fit, replace=False))

    scores = base.copy()
    fold_models = []
    for k in range(folds):
        fit_rows = cap(np.flatnonzero(usable & (fold != k)))
        score_rows = np.flatnonzero(usable & (fold == k))
        # the base scores come from the whole batch (the Chinese model self-trains on it):
        # computed once above, not again for every fold's subset
        mk = model.adapt(texts.iloc[fit_rows], u[fit_rows], scale=(0.0, 1.0), base=base[fit_rows])
        fold_models.append(mk)
        if score_rows.size:
            scores[score_rows] = mk.score(texts.iloc[score_rows], languages=langs[score_rows],
                                          base=base[score_rows])  # fmt: skip
    full = FoldEnsemble(fold_models)
    rest = np.flatnonzero(~usable & has_lang)
    if rest.size:
        scores[rest] = full.score(texts.iloc[rest], languages=langs[rest], base=base[rest])
    metrics = {"adapted": True, "folds": folds, "rated_negative": int(counts[0]),
               "rated_positive": int(counts[1]), "max_fit": max_fit}  # fmt: skip
    metrics.update(adaptation_metrics(np.where(usable, y, -1), base, scores, model.neutral_band))
    for lang in ("en", "zh"):
        m = usable & (langs == lang)
        if m.any():
            sub = adaptation_metrics(y[m], base[m], scores[m], model.neutral_band)
            metrics[lang] = {
                k: v for k, v in sub.items() if k.startswith("bal") or k == "heldout_texts"
            }
    if keep_if_worse and (metrics["balanced_accuracy_label_after"]
                          < metrics["balanced_accuracy_label_before"]):  # fmt: skip
        # adapting lost on the held-out rated texts: the shipped model is kept (chosen by
        # validation, like every published score)
        metrics |= {"adapted": False, "kept": "shipped model: adapting did not help held-out texts"}
        return CrossFitResult(base, model.label(base), base, False, metrics, model)
    return CrossFitResult(scores, model.label(scores), base, True, metrics, full)


# --- drivers -------------------------------------------------------------------------------


@dataclass
class Driver:
    name: str
    column: np.ndarray
    kind: str  # 'topic' | 'attribute' | 'sentiment'
    reference: str = ""


def driver_effects(y: np.ndarray, drivers: list[Driver], *, unit: str, min_n: int = 20,
                   max_drivers: int = 15) -> pd.DataFrame:  # fmt: skip
    """What moves the score: one least-squares fit of the score on 0/1 driver indicators.

    Each effect is the change in the mean score (in ``unit``) when the indicator is 1, holding
    the other drivers fixed, with a 95% interval from the classical OLS standard errors.
    Indicators seen fewer than ``min_n`` times (or in all but ``min_n`` answers) are left out.
    Returns (driver, kind, effect, ci_low, ci_high, n, significant, sentence), strongest
    clear effects first.
    """
    import pandas as pd
    from scipy import stats

    cols = ["driver", "kind", "effect", "ci_low", "ci_high", "n", "significant", "sentence"]
    y = np.asarray(y, dtype=np.float64)
    keep = [d for d in drivers if min_n <= int(np.sum(d.column)) <= len(y) - min_n]
    if not keep or len(y) < len(keep) + 10:
        return pd.DataFrame(columns=cols)
    X = np.column_stack([np.ones(len(y))] + [np.asarray(d.column, dtype=np.float64) for d in keep])
    beta, _, rank, _ = np.linalg.lstsq(X, y, rcond=None)
    dof = len(y) - rank
    resid = y - X @ beta
    sigma2 = float(resid @ resid) / max(dof, 1)
    se = np.sqrt(np.maximum(np.diag(np.linalg.pinv(X.T @ X)) * sigma2, 0.0))[1:]
    eff = beta[1:]
    half = stats.t.ppf(0.975, max(dof, 1)) * se
    out = pd.DataFrame({
        "driver": [d.name for d in keep],
        "kind": [d.kind for d in keep],
        "effect": eff,
        "ci_low": eff - half,
        "ci_high": eff + half,
        "n": [int(np.sum(d.column)) for d in keep],
    })  # fmt: skip
    out["significant"] = (out["ci_low"] > 0) | (out["ci_high"] < 0)
    out["sentence"] = _sentences(out, keep, unit)
    out = out.assign(_abs=out["effect"].abs()).sort_values(
        ["significant", "_abs"], ascending=[False, False], kind="stable"
    )
    return out.drop(columns="_abs").head(max_drivers).reset_index(drop=True)


def _sentences(out: pd.DataFrame, drivers: list[Driver], unit: str) -> list[str]:
    res = []
    for d, e, lo, hi, sig in zip(drivers, out["effect"], out["ci_low"], out["ci_high"],
                                 out["significant"], strict=True):  # fmt: skip
        size, way = f"{abs(e):.2f} {unit}", "higher" if e > 0 else "lower"
        if d.kind == "topic":
            text = f"Mentions of {d.name} {'raise' if e > 0 else 'lower'} the score by {size}"
        elif d.kind == "attribute":
            text = f"Answers with {d.name} score {size} {way} than those with {d.reference}"
        else:
            text = f"A {d.name} goes with a score {size} {way}"
        text += f" (95% interval {lo:+.2f} to {hi:+.2f})"
        res.append(text + ("." if sig else "; not clearly different from no effect."))
    return res


def attribute_drivers(frame: pd.DataFrame, columns: list[str], score: np.ndarray, *,
                      min_n: int = 20, max_levels: int = 30,
                      max_purity: float = 0.99) -> tuple[list[Driver], list[str]]:  # fmt: skip
    """0/1 drivers for each level of each categorical attribute, against its commonest level.

    A column that the score determines (each score value goes with one level in at least
    ``max_purity`` of the answers, e.g. a 'positive review' flag derived from the stars) is
    a restatement of the score, not a driver: it is left out and named in the second return
    value.
    """
    import pandas as pd

    y = pd.Series(np.asarray(score, dtype=np.float64), index=frame.index)
    drivers: list[Driver] = []
    dropped: list[str] = []
    for col in columns:
        s = frame[col].astype("string").str.strip()
        counts = s.value_counts()
        if not 1 < len(counts) <= max_levels:
            continue
        pairs = pd.DataFrame({"y": y, "a": s}).dropna()
        top = pairs.groupby(["y", "a"]).size().groupby(level="y").max()
        if len(pairs) and top.sum() / len(pairs) >= max_purity:
            dropped.append(col)
            continue
        ref = str(counts.index[0])
        for level in counts.index[1:]:
            if counts[level] < min_n:
                continue
            ind = (s == level).fillna(False).to_numpy(dtype=bool)
            drivers.append(Driver(f"{col} = {level}", ind, "attribute", f"{col} = {ref}"))
    return drivers, dropped
