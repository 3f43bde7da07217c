"""What each customer will buy next: a blend of repurchase, collaborative and popularity sources.

Sources (see :mod:`crmine.models._recommend_sources`): the customer's own purchases and their
repurchase cycle, ALS matrix factorisation and item-item similarity (``implicit``), the EASE
closed-form item model, association
rules from the customer's recent baskets, and popularity within the customer's group (the only
source for a customer without history). Each source scores every item for a block of customers;
scores are normalised per customer and source, then blended:

- ``weights=None`` (default): the blend is *learned* from the shop's own data. ``fit`` refits
  the sources on the history before ``as_of − horizon_days`` and trains a LightGBM ranker
  (grouped by customer) on which of their ``n_candidates`` candidates customers bought in the
  last ``horizon_days`` before ``as_of``; the sources are then refitted on all history before
  ``as_of`` to score. Whether repurchases matter, and how much, is decided by that window.
  ``train_windows`` − 1 earlier windows, each ending ``window_step_days`` before the next, add
  training rows (on Online Retail three windows a month apart move test precision@10 by
  less than 0.003 for three times the cost, so one is the default). With too little data for
  the latest window (fewer than ``min_train_customers`` customers buying in it) the default
  weights are used.
- ``weights={source: w}``: a fixed weighted sum of the normalised scores (e.g. weights chosen
  on a validation window by :func:`crmine.models.recommend_validation.choose_weights`).

Only lines strictly before ``as_of`` are read. Returns, lines without a customer or product and
non-products (postage, fees, adjustments, samples: detected from the data by
:func:`~crmine.quality.products.detect_non_products`, plus ``exclude_products``) are left
out. Every recommendation carries the source that contributed most and a one-line reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Self

import numpy as np

from crmine.models.base import Estimator

if TYPE_CHECKING:
    import pandas as pd

REC_COLUMNS = ("customer_id", "rank", "product_id", "score", "source", "reason")


class NextProductRecommender(Estimator):
    """Top-k next products per customer (scikit-learn style: ``fit`` then ``recommend``).

    Learned: ``history_`` (purchase aggregates), ``sources_`` (fitted sources),
    ``ranker_`` (LightGBM model or None), ``weights_`` (weights of the linear blend and of
    the candidate pre-selection), ``non_products_`` (excluded ids), ``product_names_``,
    ``training_`` (facts about the learned blend's training window), ``held_out_customers_``
    (the customers of that window its held-out precision is measured on, or None).
    """

    def __init__(
        self,
        k: int = 10,
        weights: dict[str, float] | None = None,
        repurchase: bool = True,
        *,
        horizon_days: float = 90.0,
        half_life_days: float = 180.0,
        exclude_products: Iterable[str] = (),
        detect_non_products: bool = True,
        n_candidates: int = 50,
        min_train_customers: int = 30,
        factors: int = 64,
        neighbours: int = 100,
        random_state: int = 0,
        block_cells: int = 4_000_000,
        train_windows: int = 1,
        window_step_days: float = 30.0,
    ) -> None:
        self.k = k
        self.weights = weights
        self.repurchase = repurchase
        self.horizon_days = horizon_days
        self.half_life_days = half_life_days
        self.exclude_products = exclude_products
        self.detect_non_products = detect_non_products
        self.n_candidates = n_candidates
        self.min_train_customers = min_train_customers
        self.factors = factors
        self.neighbours = neighbours
        self.random_state = random_state
        self.block_cells = block_cells
        self.train_windows = train_windows
        self.window_step_days = window_step_days

    # -- fitting --------------------------------------------------------------------------
    def fit(
        self,
        order_lines: pd.DataFrame,
        *,
        as_of: Any,
        customer_groups: pd.Series | None = None,
    ) -> Self:
        """Fit on the lines strictly before ``as_of``.

        ``order_lines``: customer_id, order_ts, product_id (required); order_id, quantity,
        amount, is_return, product_name, unit_price (used when present).
        ``customer_groups``: optional Series customer_id → group (region, segment) for the
        popularity source and cold start.
        """
        import pandas as pd

        from crmine.models import _recommend_data as data

        self._check_params()
        missing = {"customer_id", "order_ts", "product_id"} - set(order_lines.columns)
        if missing:
            raise ValueError(f"order_lines lack required columns: {sorted(missing)}")
        as_of = pd.Timestamp(as_of)
        lines = order_lines[pd.to_datetime(order_lines["order_ts"]) < as_of]
        self.as_of_ = as_of
        excluded = {str(x) for x in self.exclude_products}
        if self.detect_non_products and len(lines):
            excluded |= data.detect_non_products(
                lines["product_id"],
                lines.get("product_name"),
                _unit_price(lines),
            )
        self.non_products_ = sorted(excluded)
        self.product_names_ = _names(lines)
        buys = data.purchases(lines, as_of, excluded)
        if buys.empty:
            raise ValueError(f"no purchases before {as_of.date()} to learn from")
        self.enabled_ = self._enabled()
        self.weights_ = self._linear_weights()
        self.groups_ = customer_groups
        self.ranker_ = None
        self.training_: dict[str, Any] = {"mode": "weights"}
        self.held_out_customers_: np.ndarray | None = None
        if self.weights is None:
            self._fit_ranker(buys, as_of, customer_groups)
        self.history_ = data.build_history(buys, as_of, self.half_life_days)
        self.sources_ = self._sources(self.history_, customer_groups)
        self.n_purchases_ = len(buys)
        return self

    def reweight(self, weights: dict[str, float]) -> Self:
        """Blend the fitted sources with new fixed ``weights`` (no refit; drops the ranker).

        Used to score a validation window with weights chosen on it, e.g. by
        :func:`crmine.models.recommend_validation.choose_weights`. Sources not fitted are ignored.
        """
        self._check_fitted()
        self.weights_ = {s: float(weights.get(s, 0.0)) for s in self.enabled_}
        if not any(w > 0 for w in self.weights_.values()):
            raise ValueError("at least one weight of a fitted source must be positive")
        self.ranker_ = None
        return self

    def _enabled(self) -> tuple[str, ...]:
        from crmine.models._recommend_sources import REPURCHASE_SOURCES, SOURCES

        names = SOURCES
        if not self.repurchase:
            names = tuple(s for s in names if s not in REPURCHASE_SOURCES)
        if self.weights is not None:
            names = tuple(s for s in names if self.weights.get(s, 0.0) > 0)
        return names

    def _linear_weights(self) -> dict[str, float]:
        from crmine.models._recommend_rank import DEFAULT_WEIGHTS

        base = DEFAULT_WEIGHTS if self.weights is None else self.weights
        return {s: float(base.get(s, 0.0)) for s in self.enabled_}

    def _sources(self, history, groups):
        from crmine.models._recommend_sources import Sources, SourceSettings

        settings = SourceSettings(
            horizon_days=self.horizon_days,
            factors=self.factors,
            neighbours=self.neighbours,
            random_state=self.random_state,
        )
        return Sources(history, settings, self.enabled_).fit(groups)

    def _fit_ranker(self, buys: pd.DataFrame, as_of: pd.Timestamp, groups) -> None:
        """Train the learned blend on the last horizons before ``as_of`` (see module doc).

        Window ``i`` (of ``train_windows``) ends ``i × window_step_days`` before ``as_of``;
        each has its sources fitted on the history before it. Windows stop at the first with fewer
        than ``min_train_customers`` customers; without the latest one, there is no ranker.
        """
        import pandas as pd

        from crmine.models import _recommend_rank as rank

        xs, ys, sizes, windows, items = [], [], [], [], []
        for i in range(max(int(self.train_windows), 1)):
            end = as_of - pd.Timedelta(days=i * self.window_step_days)
            x, y, fact = self._window_rows(buys[buys["order_ts"] < end], end, groups)
            size = fact.pop("group", None)
            ids = fact.pop("items", None)
            users = fact.pop("users", None)
            if i == 0:
                self.training_ = {"mode": "weights (too little data to learn a blend)", **fact}
                latest_users = users
            if x is None:
                break
            # Item purchase rates from the window's own labels, out of fold by customer.
            fold = np.repeat(np.arange(size.size) % 2, size)
            rates = rank.out_of_fold_rates(ids, y, fold)
            xs.append(np.column_stack([x, rates]).astype(np.float32))
            ys.append(y)
            sizes.append(size)
            items.append(ids)
            windows.append(fact["window"])
        if not ys:
            return
        y = np.concatenate(ys)
        if y.all() or not y.any():
            return
        group = np.concatenate(sizes)
        self.ranker_ = rank.fit_ranker(np.concatenate(xs), y, group, self.random_state)
        self.item_rate_data_ = (items[0], ys[0])
        self.training_.update(
            mode="learned", windows=windows, candidates=int(y.size), positives=int(y.sum())
        )
        self.training_.update(
            self._held_out(xs[0][:, :-1], ys[0], sizes[0], items[0], latest_users)
        )

    def _held_out(
        self,
        x: np.ndarray,
        y: np.ndarray,
        group: np.ndarray,
        items: np.ndarray,
        users: np.ndarray,
    ) -> dict[str, Any]:
        """Precision@k of the ranker on half of the latest window's customers it did not train on.

        Customers (``users``, one per group) alternate between two halves: a ranker trained on
        the first ranks the second's candidates (kept as ``held_out_customers_``), with item
        purchase rates from the first half only. Also the precision@k of ranking the same
        candidates by the "buy again" score (ties, i.e. items never bought, in the candidates'
        order), for comparison. Empty when the candidates are not all of one length.
        """
        from crmine.models import _recommend_rank as rank

        m = int(group[0]) if group.size else 0
        if m == 0 or (group != m).any() or group.size < 4:
            return {}
        k = min(int(self.k), m)
        half = np.arange(group.size) % 2
        self.held_out_customers_ = users[half == 1]
        train = np.repeat(half, m) == 0
        inner = np.repeat(np.arange(group.size) // 2 % 2, m)
        rates = rank.out_of_fold_rates(items[train], y[train], inner[train])
        x_train = np.column_stack([x[train], rates]).astype(np.float32)
        model = rank.fit_ranker(x_train, y[train], group[half == 0], self.random_state)
        held = rank.item_rates(items[train], y[train], items[~train])
        score = model.predict(np.column_stack([x[~train], held]).astype(np.float32))
        y = y[~train]
        x = x[~train]

        def precision(values: np.ndarray) -> float:
            top = rank.top_columns(values.reshape(-1, m), k)
            return float(
                np.take_along_axis(y.reshape(-1, m), top, axis=1).sum() / (k * top.shape[0])
            )

        out = {"held_out_precision": round(precision(score), 4), "held_out_k": k}
        if "again" in self.enabled_:
            again = x[:, sorted(self.enabled_).index("again")]
            out["held_out_buy_again_precision"] = round(precision(again.astype(np.float64)), 4)
        return out

    def _window_rows(self, buys: pd.DataFrame, end: pd.Timestamp, groups):
        """Candidate features and labels (bought in ``[end − horizon, end)``) of one window.

        Returns ``(x, y, facts)``; ``x`` and ``y`` are None with too few customers.
        """
        import pandas as pd

        from crmine.models import _recommend_data as data

        start = end - pd.Timedelta(days=self.horizon_days)
        before = buys[buys["order_ts"] < start]
        after = buys[buys["order_ts"] >= start]
        train_users = np.intersect1d(before["customer_id"].unique(), after["customer_id"].unique())
        fact = {"window": f"[{start.date()}, {end.date()})", "customers": int(train_users.size)}
        if train_users.size < self.min_train_customers:
            return None, None, fact
        history = data.build_history(before, start, self.half_life_days)
        sources = self._sources(history, groups)
        rows = history.users.get_indexer(pd.Index(train_users, dtype="string"))
        truth = after[after["customer_id"].isin(train_users)]
        t_rows = history.users.get_indexer(truth["customer_id"])
        t_cols = history.items.get_indexer(truth["product_id"])
        ok = t_cols >= 0
        n_items = history.n_items
        bought = np.unique(t_rows[ok].astype(np.int64) * n_items + t_cols[ok])
        xs, ys, group, ids = [], [], [], []
        item_ids = np.asarray(history.items, dtype=object)
        for block in self._blocks(rows, n_items):
            x, cols = self._candidate_features(sources, block)
            cells = np.repeat(block.astype(np.int64), cols.shape[1]) * n_items + cols.ravel()
            ys.append(np.isin(cells, bought))
            xs.append(x)
            group.append(np.full(block.size, cols.shape[1]))
            ids.append(item_ids[cols.ravel()])
        fact["group"] = np.concatenate(group)
        fact["items"] = np.concatenate(ids)
        fact["users"] = np.asarray(history.users[rows], dtype=object)
        return np.concatenate(xs), np.concatenate(ys), fact

    def _candidate_features(self, sources, rows: np.ndarray):
        from crmine.models import _recommend_rank as rank

        blocks = sources.block(rows)
        norm = rank.normalise(blocks)
        pre = rank.weighted(norm, self.weights_)
        pre = self._mask(sources, rows, pre)
        cols = rank.top_columns(pre, self.n_candidates)
        return rank.features(sources, rows, blocks, norm, cols), cols

    def _mask(self, sources, rows: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """Without repurchases, items the customer already bought are never candidates."""
        if self.repurchase:
            return scores
        known = rows >= 0
        bought = sources.history.days[np.where(known, rows, 0)].toarray() > 0
        bought[~known] = False
        return np.where(bought, -np.inf, scores)

    def _blocks(self, rows: np.ndarray, n_items: int) -> list[np.ndarray]:
        """Customers in blocks of about ``block_cells`` (customer, item) cells."""
        size = max(1, self.block_cells // max(n_items, 1))
        return [rows[i : i + size] for i in range(0, rows.size, size)] or [rows[:0]]

    # -- scoring --------------------------------------------------------------------------
    def recommend(
        self,
        customer_ids: Iterable[Any],
        k: int | None = None,
        groups: Iterable[Any] | None = None,
        *,
        reasons: bool = True,
    ) -> pd.DataFrame:
        """Top-``k`` products per customer: customer_id, rank, product_id, score, source, reason.

        Unknown customers (no purchases before ``as_of``) get the popular items of their
        ``groups`` entry (aligned with ``customer_ids``) or of their fitted group, else overall.
        """
        import pandas as pd

        from crmine.models import _recommend_rank as rank
        from crmine.models import _recommend_reasons as why

        self._check_fitted()
        k = self.k if k is None else int(k)
        ids = pd.Index(pd.Series(list(customer_ids), dtype="string"))
        group_values = None if groups is None else np.asarray(list(groups), dtype=object)
        first = ~ids.duplicated()  # one list per customer, whatever the input repeats
        ids = ids[first]
        group_values = None if group_values is None else group_values[first]
        rows_all = self.history_.users.get_indexer(ids)
        sources = self.sources_
        n_cand = max(self.n_candidates, k)
        rates = None
        if self.ranker_ is not None:
            fit_items, fit_y = self.item_rate_data_
            rates = rank.item_rates(fit_items, fit_y, np.asarray(self.history_.items, dtype=object))
        frames = []
        start = 0
        for rows in self._blocks(rows_all, self.history_.n_items):
            g = None if group_values is None else group_values[start : start + rows.size]
            blocks = sources.block(rows, g)
            norm = rank.normalise(blocks)
            pre = self._mask(sources, rows, rank.weighted(norm, self.weights_))
            cols = rank.top_columns(pre, n_cand)
            lin = np.take_along_axis(pre, cols, axis=1)
            if self.ranker_ is not None:
                x = rank.features(sources, rows, blocks, norm, cols)
                x = np.column_stack([x, rates[cols.ravel()]]).astype(np.float32)
                score = rank.ranker_scores(self.ranker_, x).reshape(cols.shape)
                score = np.where((rows >= 0)[:, None], score, lin)
            else:
                score = lin
            score = np.where(np.isfinite(lin), score, -np.inf)
            best = rank.top_columns(score, k)
            top_cols = np.take_along_axis(cols, best, axis=1)
            top_score = np.take_along_axis(score, best, axis=1)
            r_idx = np.repeat(np.arange(rows.size), top_cols.shape[1])
            c_idx = top_cols.ravel()
            contrib = np.stack(
                [self.weights_.get(s, 0.0) * norm[s][r_idx, c_idx] for s in sources.enabled]
            )
            winner = contrib.argmax(axis=0)
            frame = pd.DataFrame(
                {
                    "customer_id": np.repeat(
                        ids[start : start + rows.size].to_numpy(), best.shape[1]
                    ),
                    "rank": np.tile(np.arange(1, best.shape[1] + 1), rows.size),
                    "item": top_cols.ravel(),
                    "row": np.repeat(rows, best.shape[1]),
                    "score": top_score.ravel(),
                    "source": np.asarray(sources.enabled, dtype=object)[winner],
                }
            )
            frames.append(frame[np.isfinite(frame["score"].to_numpy())])
            start += rows.size
        out = pd.concat(frames, ignore_index=True)
        out["product_id"] = self.history_.items[out["item"].to_numpy()]
        if reasons:
            out["reason"] = why.reasons(self, out, group_values, ids)
        else:
            out["reason"] = pd.Series(pd.NA, index=out.index, dtype="string")
        return out[list(REC_COLUMNS)].reset_index(drop=True)

    # -- checks ---------------------------------------------------------------------------
    def _check_params(self) -> None:
        from crmine.models._recommend_sources import SOURCES

        if int(self.k) < 1:
            raise ValueError(f"k must be at least 1, got {self.k!r}")
        if self.horizon_days <= 0 or self.half_life_days <= 0:
            raise ValueError("horizon_days and half_life_days must be positive")
        if int(self.train_windows) < 1 or self.window_step_days <= 0:
            raise ValueError("train_windows must be at least 1 and window_step_days positive")
        if self.weights is not None:
            unknown = set(self.weights) - set(SOURCES)
            if unknown:
                raise ValueError(f"unknown sources in weights: {sorted(unknown)}; use {SOURCES}")
            if any(w < 0 for w in self.weights.values()):
                raise ValueError("weights must be >= 0")
            if not any(w > 0 for w in self.weights.values()):
                raise ValueError("at least one weight must be positive")



def _unit_price(lines: pd.DataFrame) -> pd.Series | None:
    import pandas as pd

    if "unit_price" in lines:
        return lines["unit_price"]
    if {"amount", "quantity"} <= set(lines.columns):
        q = pd.to_numeric(lines["quantity"], errors="coerce")
        return pd.to_numeric(lines["amount"], errors="coerce") / q.where(q > 0)
    return None


def _names(lines: pd.DataFrame) -> pd.Series:
    """The most frequent name of each product id (names vary in spelling and spacing)."""
    import pandas as pd

    if "product_name" not in lines or lines.empty:
        return pd.Series(dtype="string")
    pairs = pd.DataFrame(
        {
            "id": lines["product_id"].astype("string"),
            "name": lines["product_name"].astype("string").str.strip(),
        }
    ).dropna()
    counts = pairs.value_counts(["id", "name"]).reset_index()
    return counts.drop_duplicates("id").set_index("id")["name"]
