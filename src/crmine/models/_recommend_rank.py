"""Blending source scores: a fixed weighted sum, or a ranker learned on a time split.

Scores of different sources live on different scales (a decayed purchase count, a cosine
similarity, a confidence), so each source's block is divided by its per-customer maximum
before weighting: every source then says "how good is this item for this customer compared
with this source's best item for them", in [0, 1].

The learned blend (LightGBM ranker grouped by customer) sees, for each candidate (customer,
item), every source's raw and normalised score and its rank among the customer's candidates,
plus plain facts: purchase days of the item (ever, last 30 and 90 days), days since the
customer last bought it, its typical gap, the item's rebuy share, popularity and trend
(buyers in the last 14/30/90/365 days), first sale; the customer's orders (ever, last 30/90
days), recency against their usual gap, rebuy share and items per order; and the item's
affinity to the customer's last basket and last 90 days (item-item similarity, rules, EASE);
and the item's purchase rate as a candidate in the training window (out of fold by customer
there; from the whole window when scoring), see :func:`item_rates`. It is trained on what customers bought in the last horizon
before ``as_of`` with sources fitted on the history before that window, so it learns, from this
shop's data, how much repurchases, similar items, rules and popularity matter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from crmine.models._recommend_sources import Sources

DEFAULT_WEIGHTS = {
    "again": 1.0,
    "cycle": 0.5,
    "als": 0.3,
    "ease": 0.3,
    "items": 0.2,
    "rules": 0.1,
    "popular": 0.05,
}


def normalise(blocks: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each source's block divided by its per-row maximum (rows without a score stay 0)."""
    out = {}
    for name, block in blocks.items():
        top = block.max(axis=1, keepdims=True)
        out[name] = np.divide(block, top, out=np.zeros_like(block), where=top > 0)
    return out


def weighted(norm: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """Σ weight × normalised score over the sources present in both."""
    total = None
    for name, block in norm.items():
        w = float(weights.get(name, 0.0))
        if w == 0.0:
            continue
        total = w * block if total is None else total + w * block
    if total is None:
        total = np.zeros_like(next(iter(norm.values())))
    return total


def top_columns(scores: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the ``k`` largest scores per row, best first (ties by column)."""
    k = min(k, scores.shape[1])
    if k <= 0:
        return np.zeros((scores.shape[0], 0), dtype=np.int64)
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    vals = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -vals), axis=1)
    return np.take_along_axis(part, order, axis=1)


def features(
    sources: Sources,
    rows: np.ndarray,
    blocks: dict[str, np.ndarray],
    norm: dict[str, np.ndarray],
    cols: np.ndarray,
) -> np.ndarray:
    """Feature matrix of candidate cells: ``cols`` (rows × m) item indices per row."""
    m = cols.shape[1]
    r_idx = np.repeat(np.arange(rows.size), m)
    c_idx = cols.ravel()
    parts = [blocks[s][r_idx, c_idx] for s in sorted(blocks)]
    parts += [norm[s][r_idx, c_idx] for s in sorted(norm)]
    ctx = sources.context(np.repeat(rows, m), c_idx)
    parts += [ctx[name] for name in sorted(ctx)]
    # Rank of the candidate among the customer's candidates by each source (0 = best).
    for s in sorted(norm):
        cand = norm[s][r_idx, c_idx].reshape(cols.shape)
        order = np.argsort(-cand, axis=1, kind="stable")
        ranks = np.empty_like(order)
        np.put_along_axis(ranks, order, np.arange(m)[None, :].repeat(cols.shape[0], 0), axis=1)
        parts.append(ranks.ravel().astype(np.float64))
    aff = sources.basket_affinity(rows, cols)
    parts += [aff[name] for name in sorted(aff)]
    return np.column_stack(parts).astype(np.float32)


def fit_ranker(x: np.ndarray, y: np.ndarray, group: np.ndarray, random_state: int):
    """A LightGBM ranker (cross-entropy NDCG loss, ``rank_xendcg``) of each customer's candidates.

    ``group``: the number of consecutive rows (candidates) of each customer. Ranking within a
    customer is all precision@k asks for; the grouped loss and the binary one score alike on
    Online Retail (0.350 vs 0.349 at k = 10), the grouped one is kept as the natural fit.
    """
    import lightgbm as lgb

    model = lgb.LGBMRanker(
        objective="rank_xendcg",
        n_estimators=100,  # small, strongly regularised trees: the training window
        learning_rate=0.06,  # differs from the one scored (another season), so a model
        num_leaves=15,  # that fits it less closely ranks the next window better
        min_child_samples=200,
        max_bin=63,
        subsample=0.8,
        subsample_freq=1,
        colsample_bytree=0.8,
        random_state=random_state,
        n_jobs=1,
        verbose=-1,
    )
    return model.fit(x, y.astype(np.int32), group=group)


def item_rates(
    items_fit: np.ndarray, y_fit: np.ndarray, items: np.ndarray, strength: float = 20.0
) -> np.ndarray:
    """Per entry of ``items``: the share of that item's candidates in the fitting rows that
    were bought, shrunk towards the overall share by ``strength`` pseudo-candidates.

    Some items are bought by most customers who have them as a candidate (staples, this
    season's lines), others rarely; no score of the sources says so, the last window does.
    """
    import pandas as pd

    prior = float(np.mean(y_fit)) if len(y_fit) else 0.0
    frame = pd.DataFrame({"item": items_fit, "y": np.asarray(y_fit, dtype=np.float64)})
    agg = frame.groupby("item", sort=False)["y"].agg(["sum", "count"])
    rate = (agg["sum"] + strength * prior) / (agg["count"] + strength)
    return pd.Series(items).map(rate).fillna(prior).to_numpy(np.float64)


def out_of_fold_rates(items: np.ndarray, y: np.ndarray, fold: np.ndarray) -> np.ndarray:
    """:func:`item_rates` of every row from the rows of the other folds (no row sees its label)."""
    out = np.zeros(len(items))
    for f in np.unique(fold):
        here = fold == f
        out[here] = item_rates(items[~here], y[~here], items[here])
    return out


def ranker_scores(model, x: np.ndarray) -> np.ndarray:
    """The ranker's output squashed into (0, 1): higher ranks first; not a probability."""
    return 1.0 / (1.0 + np.exp(-model.predict(x)))


@dataclass
class CandidatePool:
    """Per customer, the union of every source's top items and their normalised scores.

    ``cols`` (rows × m): item indices, sorted per row; ``valid``: False for padding,
    duplicates and items masked out; ``norm``: source → (rows × m) normalised scores. Any
    positive blend ranks from the same pool, so weights can be tried without rescoring every
    item: an item outside every source's top ``size`` has a low score in each of them.
    """

    rows: np.ndarray
    cols: np.ndarray
    valid: np.ndarray
    norm: dict[str, np.ndarray]

    def top(self, weights: dict[str, float], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Pool positions (rows × k, best first) of the blend ``weights``'s top items and
        whether each is a real candidate (take ``cols`` at them for item indices)."""
        score = np.zeros(self.cols.shape, dtype=np.float32)
        for name, block in self.norm.items():
            w = float(weights.get(name, 0.0))
            if w:
                score += np.float32(w) * block
        score[~self.valid] = -np.inf
        best = top_columns(score, k)
        return best, np.isfinite(np.take_along_axis(score, best, axis=1))


def candidate_pool(
    blocks_of: Callable[[np.ndarray], dict[str, np.ndarray]],
    mask: Callable[[np.ndarray, np.ndarray], np.ndarray],
    row_blocks: list[np.ndarray],
    size: int,
) -> CandidatePool:
    """Build a :class:`CandidatePool` block by block (memory: one block × items at a time).

    ``blocks_of(rows)``: raw source scores (rows × items); ``mask(rows, scores)``: scores with
    excluded cells at −inf.
    """
    cols_parts, valid_parts, norm_parts, row_parts = [], [], [], []
    for rows in row_blocks:
        norm = normalise(blocks_of(rows))
        n_items = next(iter(norm.values())).shape[1]
        allowed = np.isfinite(mask(rows, np.zeros((rows.size, n_items), np.float32)))
        every = bool(allowed.all())
        tops = [
            top_columns(block if every else np.where(allowed, block, -np.inf), size)
            for block in norm.values()
        ]
        cols = np.sort(np.concatenate(tops, axis=1), axis=1)
        dup = np.zeros(cols.shape, dtype=bool)
        dup[:, 1:] = cols[:, 1:] == cols[:, :-1]
        allowed = np.take_along_axis(allowed, cols, axis=1)
        valid_parts.append(~dup & allowed)
        norm_parts.append({s: np.take_along_axis(b, cols, axis=1) for s, b in norm.items()})
        cols_parts.append(cols)
        row_parts.append(rows)
    return CandidatePool(
        rows=np.concatenate(row_parts),
        cols=np.concatenate(cols_parts),
        valid=np.concatenate(valid_parts),
        norm={s: np.concatenate([p[s] for p in norm_parts]) for s in norm_parts[0]},
    )
