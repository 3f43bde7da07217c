"""The next-product recommender's own validation: its blend weights, and a time-split
backtest against its obvious baselines (metrics from :mod:`crmine.evaluation.ranking`).

Train on lines before ``cutoff``; the truth is what each customer bought in
``[cutoff, cutoff + horizon_days)`` (purchases only, non-products left out). Customers scored
are those who bought both before the cutoff and in the horizon. The weights of the weighted
blend are chosen on a *validation* window before the cutoff (train before
``cutoff − horizon_days``, truth in the horizon that follows), never on the test window.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from crmine.evaluation.ranking import METRICS, ranking_metrics

if TYPE_CHECKING:
    import pandas as pd

    from crmine.models import _recommend_rank as rank_types
    from crmine.models.recommend import NextProductRecommender

__all__ = ["METRICS", "evaluate_recommender", "in_season_ceiling", "ranking_metrics",
           "validate_weights"]  # fmt: skip

BASELINES: dict[str, dict[str, float]] = {
    "popularity": {"popular": 1.0},
    "buy again": {"again": 1.0},
    "ALS": {"als": 1.0},
    "EASE": {"ease": 1.0},
    "item-item": {"items": 1.0},
}
_GRID = (0.0, 0.05, 0.1, 0.2, 0.4, 0.7, 1.0)


@dataclass
class RecommenderEvaluation:
    """Metrics per method (rows) at k, with the chosen weights and the validation metrics."""

    metrics: pd.DataFrame
    validation: pd.DataFrame
    weights: dict[str, float]
    k: int
    cutoff: str
    horizon_days: int
    customers: int
    seconds: dict[str, float] = field(default_factory=dict)
    candidate_recall: float = float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {
            "k": self.k,
            "cutoff": self.cutoff,
            "horizon_days": self.horizon_days,
            "customers": self.customers,
            "weights": self.weights,
            "metrics": self.metrics.round(4).to_dict(orient="index"),
            "validation": self.validation.round(4).to_dict(orient="index"),
            "descriptions": METRICS,
            "seconds": {k: round(v, 2) for k, v in self.seconds.items()},
            "candidate_recall": round(self.candidate_recall, 4),
        }


def horizon_truth(
    lines: pd.DataFrame, model: NextProductRecommender, start: Any, horizon_days: float
) -> pd.DataFrame:
    """Purchases in ``[start, start + horizon)`` of customers the model knows, no non-products."""
    import pandas as pd

    from crmine.models._recommend_data import purchases

    start = pd.Timestamp(start)
    end = start + pd.Timedelta(days=horizon_days)
    window = lines[pd.to_datetime(lines["order_ts"]) >= start]
    buys = purchases(window, end, model.non_products_)
    buys = buys[buys["customer_id"].isin(model.history_.users)]
    return buys[["customer_id", "product_id"]].drop_duplicates()


def candidate_recall(model: NextProductRecommender, truth: pd.DataFrame) -> float:
    """Share of the (customer, product) pairs in ``truth`` among the customer's candidates.

    The candidates are the ``n_candidates`` items the learned blend re-ranks (the top of the
    default linear blend); a pair outside them can never be recommended, so this is the
    ceiling of recall for the learned blend.
    """
    import pandas as pd

    from crmine.models import _recommend_rank as rank

    truth = truth[["customer_id", "product_id"]].drop_duplicates()
    if truth.empty:
        return float("nan")
    customers = np.asarray(truth["customer_id"].unique())
    h = model.history_
    rows = h.users.get_indexer(pd.Index(customers, dtype="string"))
    t_rows = pd.Index(customers, dtype="string").get_indexer(truth["customer_id"])
    t_cols = h.items.get_indexer(truth["product_id"])
    ok = t_cols >= 0
    wanted = np.unique(t_rows[ok].astype(np.int64) * h.n_items + t_cols[ok])
    found, start = 0, 0
    for block in model._blocks(rows, h.n_items):
        norm = rank.normalise(model.sources_.block(block))
        pre = model._mask(model.sources_, block, rank.weighted(norm, model.weights_))
        cols = rank.top_columns(pre, model.n_candidates)
        local = np.arange(start, start + block.size, dtype=np.int64)[:, None]
        found += int(np.isin(local * h.n_items + cols, wanted).sum())
        start += block.size
    return found / len(truth)


def candidate_pool(
    model: NextProductRecommender, customers: np.ndarray, size: int = 30
) -> rank_types.CandidatePool:
    """Every source's top ``size`` items for ``customers`` (see :class:`CandidatePool`)."""
    import pandas as pd

    from crmine.models import _recommend_rank as rank

    rows = model.history_.users.get_indexer(pd.Index(customers, dtype="string"))
    sources = model.sources_
    return rank.candidate_pool(
        sources.block,
        lambda r, scores: model._mask(sources, r, scores),
        model._blocks(rows, model.history_.n_items),
        size,
    )


def choose_weights(
    model: NextProductRecommender,
    truth: pd.DataFrame,
    k: int,
    *,
    max_customers: int = 2000,
    passes: int = 2,
    pool_size: int = 30,
    random_state: int = 0,
) -> tuple[dict[str, float], float]:
    """Weights maximising precision@k on ``truth`` (coordinate ascent over a small grid).

    ``model`` is fitted before the window of ``truth``. Source scores are computed once for
    (a seeded sample of at most ``max_customers``) customers and kept for every source's top
    ``pool_size`` items only; each trial re-ranks that pool (array arithmetic, no refit).
    """
    customers = _sample(truth, max_customers, random_state)
    pool = candidate_pool(model, customers, max(pool_size, k))
    weights, best = search_weights(
        pool, _relevant(pool, model, customers, truth), k, dict(model.weights_), passes
    )
    return weights, best


def search_weights(
    pool: rank_types.CandidatePool,
    relevant: np.ndarray,
    k: int,
    start: dict[str, float],
    passes: int = 2,
) -> tuple[dict[str, float], float]:
    """Coordinate ascent of precision@k over :data:`_GRID`, one source at a time.

    ``relevant`` (rows × m): whether the pool's candidate was bought in the window.
    """
    n = max(pool.rows.size, 1)

    def precision(weights: dict[str, float]) -> float:
        if not any(w > 0 for w in weights.values()):
            return -1.0
        best, ok = pool.top(weights, k)
        hit = np.take_along_axis(relevant, best, axis=1) & ok
        return float(hit.sum() / (k * n))

    weights = {s: float(start.get(s, 0.0)) for s in pool.norm}
    best = precision(weights)
    for _ in range(passes):
        improved = False
        for name in pool.norm:
            for value in _GRID:
                trial = {**weights, name: value}
                score = precision(trial)
                if score > best + 1e-9:
                    best, weights, improved = score, trial, True
        if not improved:
            break
    return {s: w for s, w in weights.items() if w > 0}, best


def _sample(truth: pd.DataFrame, max_customers: int, random_state: int) -> np.ndarray:
    customers = truth["customer_id"].unique()
    if customers.size > max_customers:
        customers = np.random.default_rng(random_state).choice(customers, max_customers, False)
        customers = np.sort(customers)
    return np.asarray(customers)


def _relevant(
    pool: rank_types.CandidatePool,
    model: NextProductRecommender,
    customers: np.ndarray,
    truth: pd.DataFrame,
) -> np.ndarray:
    """Whether each pool candidate (rows × m) was bought in ``truth``."""
    import pandas as pd

    t = truth[truth["customer_id"].isin(customers)]
    t_rows = pd.Index(customers, dtype="string").get_indexer(t["customer_id"])
    t_cols = model.history_.items.get_indexer(t["product_id"])
    ok = t_cols >= 0
    n_items = model.history_.n_items
    bought = np.unique(t_rows[ok].astype(np.int64) * n_items + t_cols[ok])
    cells = np.arange(pool.cols.shape[0], dtype=np.int64)[:, None] * n_items + pool.cols
    return np.isin(cells, bought)


def _pool_recs(
    pool: rank_types.CandidatePool,
    model: NextProductRecommender,
    customers: np.ndarray,
    weights: dict[str, float],
    k: int,
) -> pd.DataFrame:
    """The blend's top-k from the pool as recommendations (customer_id, rank, product_id)."""
    import pandas as pd

    best, ok = pool.top(weights, k)
    cols = np.take_along_axis(pool.cols, best, axis=1)
    frame = pd.DataFrame(
        {
            "customer_id": np.repeat(np.asarray(customers, dtype=object), cols.shape[1]),
            "rank": np.tile(np.arange(1, cols.shape[1] + 1), cols.shape[0]),
            "product_id": np.asarray(model.history_.items, dtype=object)[cols.ravel()],
        }
    )
    return frame[ok.ravel()]


def validate_weights(
    lines: pd.DataFrame,
    as_of: Any,
    horizon_days: float = 90,
    k: int = 10,
    *,
    params: dict[str, Any] | None = None,
    customer_groups: pd.Series | None = None,
    max_customers: int = 2000,
    pool_size: int = 30,
) -> tuple[dict[str, float], dict[str, float]]:
    """Blend weights chosen on the last horizon before ``as_of``, and their metrics there.

    Sources are fitted on lines before ``as_of − horizon_days`` and the weights maximise
    precision@k on what customers bought in ``[as_of − horizon_days, as_of)``. The metrics
    (:data:`METRICS`, plus ``customers`` and the precision of the "buy again" baseline) are
    those of the chosen weights on that window's customers (a seeded sample of at most
    ``max_customers``), ranked within the candidate pool the weights were chosen on.
    Nothing at or after ``as_of`` is read.
    """
    import pandas as pd

    from crmine.models.recommend import NextProductRecommender

    params = {**(params or {}), "horizon_days": horizon_days}
    start = pd.Timestamp(as_of) - pd.Timedelta(days=horizon_days)
    before = lines[pd.to_datetime(lines["order_ts"]) < pd.Timestamp(as_of)]
    model = NextProductRecommender(k=k, weights=_all_sources(), **params)
    model.fit(before, as_of=start, customer_groups=customer_groups)
    truth = horizon_truth(before, model, start, horizon_days)
    if truth.empty:
        raise ValueError(
            f"no known customer bought in [{start.date()}, {pd.Timestamp(as_of).date()})"
        )
    customers = _sample(truth, max_customers, 0)
    pool = candidate_pool(model, customers, max(pool_size, k))
    relevant = _relevant(pool, model, customers, truth)
    weights, _ = search_weights(pool, relevant, k, dict(model.weights_))
    truth = truth[truth["customer_id"].isin(customers)]
    n_items = model.history_.n_items
    metrics = ranking_metrics(_pool_recs(pool, model, customers, weights, k), truth, k, n_items)
    again = _pool_recs(pool, model, customers, {"again": 1.0}, k)
    metrics["buy_again_precision"] = ranking_metrics(again, truth, k, 1)["precision"]
    metrics["customers"] = int(customers.size)
    return weights, metrics


def evaluate_recommender(
    lines: pd.DataFrame,
    cutoff: Any,
    horizon_days: int = 90,
    k: int = 10,
    *,
    params: dict[str, Any] | None = None,
    methods: tuple[str, ...] | None = None,
) -> RecommenderEvaluation:
    """Backtest the blends and the baselines at ``cutoff`` (see module doc).

    ``params``: extra ``NextProductRecommender`` parameters for every method. ``methods``:
    subset of ``popularity``, ``buy again``, ``ALS``, ``EASE``, ``item-item``, ``weighted blend``,
    ``learned blend`` (default: all).
    """
    import pandas as pd

    from crmine.models.recommend import NextProductRecommender

    params = _with_horizon(params, horizon_days)
    cutoff = pd.Timestamp(cutoff)
    valid_start = cutoff - pd.Timedelta(days=horizon_days)
    all_methods = (*BASELINES, "weighted blend", "learned blend")
    methods = methods or all_methods
    seconds: dict[str, float] = {}

    clock = time.perf_counter()
    weights, valid_blend = validate_weights(lines, cutoff, horizon_days, k, params=params)
    valid_model = NextProductRecommender(k=k, weights=_all_sources(), **params)
    valid_model.fit(lines, as_of=valid_start)
    valid_truth = horizon_truth(lines, valid_model, valid_start, horizon_days)
    seconds["choose weights"] = time.perf_counter() - clock

    specs: dict[str, dict[str, float] | None] = {**BASELINES, "weighted blend": weights}
    specs["learned blend"] = None
    rows, valid_rows = {}, {}
    truth = None
    recall_ceiling = float("nan")
    for name in methods:
        clock = time.perf_counter()
        model, truth, rows[name] = _fit_and_score(
            lines, specs[name], cutoff, horizon_days, k, params, truth
        )
        seconds[name] = time.perf_counter() - clock
        if name == "learned blend":
            recall_ceiling = candidate_recall(model, truth)
        if name in BASELINES:  # the learned blend trains on the validation window
            valid_model.reweight(specs[name])
            v_recs = valid_model.recommend(valid_truth["customer_id"].unique(), k, reasons=False)
            valid_rows[name] = ranking_metrics(v_recs, valid_truth, k, valid_model.history_.n_items)
        elif name == "weighted blend":
            valid_rows[name] = {m: valid_blend[m] for m in METRICS}
    return RecommenderEvaluation(
        metrics=pd.DataFrame.from_dict(rows, orient="index")[list(METRICS)],
        validation=pd.DataFrame.from_dict(valid_rows, orient="index"),
        weights=weights,
        k=k,
        cutoff=str(cutoff.date()),
        horizon_days=int(horizon_days),
        customers=0 if truth is None else int(truth["customer_id"].nunique()),
        seconds=seconds,
        candidate_recall=recall_ceiling,
    )


def _with_horizon(params: dict[str, Any] | None, horizon_days: float) -> dict[str, Any]:
    """Recommender parameters for a backtest: the horizon's, unless ``params`` set their own."""
    return {"horizon_days": horizon_days, **(params or {})}


def _fit_and_score(
    lines: pd.DataFrame,
    weights: dict[str, float] | None,
    cutoff: pd.Timestamp,
    horizon_days: float,
    k: int,
    params: dict[str, Any],
    truth: pd.DataFrame | None = None,
    customers: np.ndarray | None = None,
) -> tuple[NextProductRecommender, pd.DataFrame, dict[str, float]]:
    """Fit one method at ``cutoff`` and score it on ``truth``.

    Without ``truth``, it is the horizon's purchases (of ``customers`` only, when given),
    returned so that the other methods are scored on the same pairs.
    """
    from crmine.models.recommend import NextProductRecommender

    model = NextProductRecommender(k=k, weights=weights, **params).fit(lines, as_of=cutoff)
    if truth is None:
        truth = horizon_truth(lines, model, cutoff, horizon_days)
        if customers is not None:
            truth = truth[truth["customer_id"].isin(customers)]
    recs = model.recommend(truth["customer_id"].unique(), k, reasons=False)
    return model, truth, ranking_metrics(recs, truth, k, model.history_.n_items)


def _all_sources() -> dict[str, float]:
    from crmine.models._recommend_rank import DEFAULT_WEIGHTS

    return dict(DEFAULT_WEIGHTS)


def in_season_ceiling(
    lines: pd.DataFrame,
    cutoff: Any,
    horizon_days: int = 90,
    k: int = 10,
    *,
    params: dict[str, Any] | None = None,
    methods: tuple[str, ...] = ("buy again", "EASE", "learned blend"),
) -> pd.DataFrame:
    """Precision@k on half the test customers of a ranker trained on the test window itself.

    Not a method (half the customers' labels come from the horizon it is scored on) but an
    upper bound: how far a ranker over these candidates and features can go in this season.
    A blend close to it is limited by its candidates and features, not by how it learns to
    rank them. The recommender fitted at ``cutoff + horizon_days`` trains its ranker on
    ``[cutoff, cutoff + horizon)`` and measures it on every other customer
    (``held_out_customers_``); ``methods`` (baselines or ``learned blend``, fitted at ``cutoff``
    as in :func:`evaluate_recommender`) are scored on the same customers. Rows: methods and
    ``in-season ranker``; columns: precision and ratio to the best baseline among ``methods``.
    """
    import pandas as pd

    from crmine.models.recommend import NextProductRecommender

    params = _with_horizon(params, horizon_days)
    cutoff = pd.Timestamp(cutoff)
    end = cutoff + pd.Timedelta(days=horizon_days)
    oracle = NextProductRecommender(k=k, weights=None, **params).fit(lines, as_of=end)
    customers = oracle.held_out_customers_
    if customers is None:
        raise ValueError(f"too little data in [{cutoff.date()}, {end.date()}) to train a ranker")
    precision = {"in-season ranker": float(oracle.training_["held_out_precision"])}
    specs = {**BASELINES, "learned blend": None}
    truth = None
    for name in methods:
        _, truth, metrics = _fit_and_score(
            lines, specs[name], cutoff, horizon_days, k, params, truth, customers
        )
        precision[name] = metrics["precision"]
    table = pd.DataFrame({"precision": pd.Series(precision)})
    baselines = [m for m in methods if m in BASELINES]
    best = table.loc[baselines, "precision"].max() if baselines else float("nan")
    table["x best baseline"] = table["precision"] / best
    return table
