"""Candidate sources of the next-product recommender, each a dense score block per customer.

Every source is fitted once on a :class:`History` and then scores a block of customers at a
time (rows × all items, float32), so the blend is plain array arithmetic and memory stays at
``block × items`` whatever the number of customers.

- ``again``: the customer's own purchases, purchase days weighted by recency (half-life).
- ``cycle``: the repurchase cycle: chance the customer buys the item again within the horizon,
  from how often its buyers rebuy, the typical gap between purchases (the customer's own
  when they have rebought it) and the time since they last bought it.
- ``als``: implicit-feedback matrix factorisation (``implicit`` ALS) on BM25-weighted
  purchase days: "customers like you bought it".
- ``ease``: EASE (Steck 2019), a closed-form item-item linear model,
  B = I − P / diag(P) with P = (XᵀX + λI)⁻¹, on recency-weighted purchase days; scores
  X·B. Dense in items², so only the ``ease_max_items`` most bought items take part.
- ``items``: item-item similarity (``implicit`` BM25Recommender) summed over the customer's
  items: "bought by the buyers of what you buy".
- ``rules``: association rules (``AssociationRuleMiner``) whose antecedent item is in the
  customer's recent baskets, scored by confidence.
- ``popular``: items most bought recently, within the customer's group (region, segment)
  when groups are given, mixed with the overall list; the only source for new customers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    import scipy.sparse as sp

    from crmine.models._recommend_data import History

SOURCES = ("again", "cycle", "als", "ease", "items", "rules", "popular")
REPURCHASE_SOURCES = ("again", "cycle")


@dataclass
class SourceSettings:
    horizon_days: float = 90.0
    factors: int = 64
    regularization: float = 0.05
    iterations: int = 10
    neighbours: int = 100
    recent_baskets: int = 3
    popular_days: float = 90.0
    min_support: float = 0.005
    min_confidence: float = 0.2
    random_state: int = 0
    ease_lambda: float = 200.0
    ease_max_items: int = 2000


@dataclass
class Sources:
    """Fitted state of every source over one :class:`History`."""

    history: History
    settings: SourceSettings
    enabled: tuple[str, ...]
    item_rebuy: np.ndarray = field(init=False)
    item_gap: np.ndarray = field(init=False)
    cell_gap: sp.csr_matrix = field(init=False)
    cycle: sp.csr_matrix = field(init=False)
    user_factors: np.ndarray | None = None
    item_factors: np.ndarray | None = None
    similarity: sp.csr_matrix | None = None
    ease_items: np.ndarray | None = None
    ease_weights: np.ndarray | None = None
    rule_conf: sp.csr_matrix | None = None
    recent: sp.csr_matrix | None = None
    popular_global: np.ndarray = field(init=False)
    item_facts: dict[str, np.ndarray] = field(init=False)
    user_items: np.ndarray = field(init=False)
    user_first: np.ndarray = field(init=False)
    popular_group: np.ndarray = field(init=False)
    group_names: np.ndarray = field(init=False)
    user_group: np.ndarray = field(init=False)
    recent_days: dict[int, sp.csr_matrix] = field(init=False)
    user_facts: dict[str, np.ndarray] = field(init=False)
    last_basket: sp.csr_matrix = field(init=False)

    def fit(self, user_groups: pd.Series | None = None) -> Sources:
        self._fit_cycle()
        self._fit_popular(user_groups)
        if "als" in self.enabled:
            self._fit_als()
        if "items" in self.enabled:
            self._fit_items()
        if "ease" in self.enabled:
            self._fit_ease()
        if "rules" in self.enabled:
            self._fit_rules()
        self._fit_facts()
        return self

    # -- fitting ------------------------------------------------------------------------
    def _fit_cycle(self) -> None:
        """Per item: share of buyers who rebuy (smoothed) and the median gap between buys."""
        h = self.history
        days = h.days.tocoo()
        buyers = np.bincount(days.col, minlength=h.n_items).astype(np.float64)
        rebuyers = np.bincount(days.col, weights=days.data >= 2, minlength=h.n_items)
        self.item_rebuy = (rebuyers + 1.0) / (buyers + 2.0)
        span = h.first_age.data - h.last_age.data
        repeat = h.days.data >= 2
        own_gap = np.where(repeat, span / np.maximum(h.days.data - 1, 1), np.nan)
        cols = h.days.indices
        item_gap = _group_median(cols[repeat], own_gap[repeat], h.n_items)
        fallback = np.nanmedian(own_gap) if repeat.any() else self.settings.horizon_days * 2
        item_gap = np.where(np.isnan(item_gap), fallback, item_gap)
        self.item_gap = np.maximum(item_gap, 1.0)
        # The customer's own gap, pulled towards the item's typical gap (one pseudo-gap).
        n_gaps = h.days.data - 1
        gap = np.where(repeat, (span + self.item_gap[cols]) / (n_gaps + 1), self.item_gap[cols])
        gap = np.maximum(gap, 1.0)
        self.cell_gap = _like(h.days, gap)
        rebuy = np.where(repeat, n_gaps / (n_gaps + 1.0), self.item_rebuy[cols])
        within = 1.0 - np.exp(-self.settings.horizon_days / gap)
        overdue = np.maximum(h.last_age.data / gap - 2.0, 0.0)
        self.cycle = _like(h.days, rebuy * within * np.exp(-overdue))

    def _fit_facts(self) -> None:
        """Recent activity of customers and customer-item pairs (ranker features)."""
        import scipy.sparse as sp

        h = self.history
        shape = (h.n_users, h.n_items)
        self.recent_days = {}
        for d in (30, 90):
            sel = h.day_age < d
            m = sp.csr_matrix(
                (np.ones(int(sel.sum())), (h.day_user[sel], h.day_item[sel])), shape=shape
            )
            m.sum_duplicates()
            self.recent_days[d] = m
        order_user, order_age = _orders(h)
        tenure = self.user_first
        orders = np.maximum(h.user_orders, 1.0)
        rebought = np.bincount(h.days.tocoo().row, weights=h.days.data >= 2, minlength=h.n_users)
        self.user_facts = {
            f"user_orders_{d}d": np.bincount(order_user[order_age < d], minlength=h.n_users).astype(
                np.float64
            )
            for d in (30, 90)
        }
        user_gap = tenure / np.maximum(orders - 1.0, 1.0)
        self.user_facts["user_gap"] = np.where(orders > 1, user_gap, np.nan)
        self.user_facts["user_due"] = h.user_recency / np.where(orders > 1, user_gap, np.nan)
        self.user_facts["user_rebuy_share"] = rebought / np.maximum(self.user_items, 1.0)
        self.user_facts["user_items_per_order"] = self.user_items / orders
        self.last_basket = _recent_items(h, 1)

    def _fit_text(self) -> None:
        """TF-IDF of product names (rows L2-normalised), for "like what you buy" by name."""
        self.item_text = None
        if self.names is None or self.names.empty:
            return
        from sklearn.feature_extraction.text import TfidfVectorizer

        text = self.names.reindex(self.history.items).fillna("").astype(str).str.lower()
        if not text.str.strip().any():
            return
        vec = TfidfVectorizer(token_pattern=r"(?u)\b[^\W\d_]{2,}\b", sublinear_tf=True, min_df=2)
        try:
            self.item_text = vec.fit_transform(text.to_numpy()).tocsr().astype(np.float64)
        except ValueError:  # no word occurs twice
            self.item_text = None

    def _fit_popular(self, user_groups: pd.Series | None) -> None:
        import pandas as pd

        h = self.history
        self.item_facts = {
            f"item_buyers_{d}d": np.bincount(h.day_item[h.day_age < d], minlength=h.n_items).astype(
                np.float64
            )
            for d in (14, 30, 90, 365)
        }
        first = np.zeros(h.n_items)
        np.maximum.at(first, h.day_item, h.day_age)
        self.item_facts["item_age"] = first
        self.user_items = np.diff(h.days.indptr).astype(np.float64)
        self.user_first = np.zeros(h.n_users)
        np.maximum.at(self.user_first, h.day_user, h.day_age)
        recent = h.day_age < self.settings.popular_days
        if recent.sum() < 10 * max(h.n_items, 1) ** 0.5:
            recent = np.ones_like(recent)
        w = np.exp2(-h.day_age[recent] / self.settings.popular_days)
        self.popular_global = np.bincount(h.day_item[recent], weights=w, minlength=h.n_items)
        if user_groups is None or user_groups.dropna().empty:
            self.group_names = np.array([], dtype=object)
            self.user_group = np.full(h.n_users, -1)
            self.popular_group = np.zeros((0, h.n_items))
            return
        groups = pd.Series(user_groups.to_numpy(), index=user_groups.index.astype("string"))
        codes, names = pd.factorize(groups.astype("string"))
        code_of = pd.Series(codes, index=groups.index)
        code_of = code_of[~code_of.index.duplicated()]
        self.group_names = np.asarray(names, dtype=object)
        self.user_group = code_of.reindex(h.users).fillna(-1).to_numpy(np.int64)
        g = self.user_group[h.day_user[recent]]
        ok = g >= 0
        flat = np.bincount(
            g[ok] * h.n_items + h.day_item[recent][ok],
            weights=w[ok],
            minlength=len(names) * h.n_items,
        )
        self.popular_group = flat.reshape(len(names), h.n_items)

    def _fit_als(self) -> None:
        import implicit
        from implicit.nearest_neighbours import bm25_weight

        h = self.history
        if h.n_users < 2 or h.n_items < 2:
            return
        s = self.settings
        factors = int(min(s.factors, max(2, min(h.n_users, h.n_items) // 2)))
        with _one_blas_thread():
            model = implicit.cpu.als.AlternatingLeastSquares(
                factors=factors,
                regularization=s.regularization,
                iterations=s.iterations,
                random_state=s.random_state,
                num_threads=1,
            )
            weighted = bm25_weight(h.days, K1=100, B=0.8).tocsr().astype(np.float32)
            model.fit(weighted, show_progress=False)
        self.user_factors = np.asarray(model.user_factors)
        self.item_factors = np.asarray(model.item_factors)

    def _fit_items(self) -> None:
        from implicit.nearest_neighbours import ItemItemRecommender, bm25_weight

        h = self.history
        if h.n_items < 2:
            return
        binary = h.days.astype(np.float32)
        binary.data[:] = 1.0
        # BM25Recommender's weighting (K1 = 1.2, B = 0.75), handed over as CSR: implicit's own
        # BM25Recommender passes a COO matrix on and warns about it.
        weighted = bm25_weight(binary.T, K1=1.2, B=0.75).T.tocsr()
        model = ItemItemRecommender(K=min(self.settings.neighbours, h.n_items), num_threads=1)
        model.fit(weighted, show_progress=False)
        sim = model.similarity.tocsr().astype(np.float32)
        sim.setdiag(0.0)
        sim.eliminate_zeros()
        self.similarity = sim

    def _fit_ease(self) -> None:
        h = self.history
        if h.n_items < 2:
            return
        buyers = np.diff(h.days.tocsc().indptr)
        keep = np.sort(np.argsort(-buyers, kind="stable")[: self.settings.ease_max_items])
        x = h.decayed[:, keep]
        gram = (x.T @ x).toarray()
        gram[np.diag_indices_from(gram)] += self.settings.ease_lambda
        with _one_blas_thread():
            p = np.linalg.inv(gram)
        b = -p / np.diag(p)
        b[np.diag_indices_from(b)] = 0.0
        self.ease_items = keep
        self.ease_weights = b.astype(np.float32)

    def _fit_rules(self) -> None:
        import scipy.sparse as sp

        from crmine.models.basket import AssociationRuleMiner

        h = self.history
        miner = AssociationRuleMiner(
            min_support=self.settings.min_support,
            min_confidence=self.settings.min_confidence,
            max_len=2,
        ).fit(h.basket_code, h.basket_item)
        rules = miner.rules_
        shape = (h.n_items, h.n_items)
        if len(rules):
            a = np.array([x[0] for x in rules["antecedents"]], dtype=np.int64)
            c = np.array([x[0] for x in rules["consequents"]], dtype=np.int64)
            conf = rules["confidence"].to_numpy(np.float64)
            self.rule_conf = sp.csr_matrix((conf, (a, c)), shape=shape)
        else:
            self.rule_conf = sp.csr_matrix(shape)
        self.recent = _recent_items(h, self.settings.recent_baskets)

    # -- scoring ------------------------------------------------------------------------
    def block(self, rows: np.ndarray, groups: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Raw scores of every enabled source for users ``rows`` (−1 = unknown customer)."""
        h = self.history
        known = rows >= 0
        r = np.where(known, rows, 0)
        out: dict[str, np.ndarray] = {}
        n = rows.size

        def sparse_rows(m: sp.csr_matrix) -> np.ndarray:
            dense = m[r].toarray().astype(np.float32)
            dense[~known] = 0.0
            return dense

        if "again" in self.enabled:
            out["again"] = sparse_rows(self.history.decayed)
        if "cycle" in self.enabled:
            out["cycle"] = sparse_rows(self.cycle)
        if "als" in self.enabled:
            if self.user_factors is None:
                out["als"] = np.zeros((n, h.n_items), np.float32)
            else:
                s = self.user_factors[r] @ self.item_factors.T
                s[~known] = 0.0
                out["als"] = np.maximum(s, 0.0).astype(np.float32)
        if "ease" in self.enabled:
            out["ease"] = np.zeros((n, h.n_items), np.float32)
            if self.ease_weights is not None:
                x = self.history.decayed[r][:, self.ease_items]
                scores = np.maximum(x @ self.ease_weights, 0.0)
                scores[~known] = 0.0
                out["ease"][:, self.ease_items] = scores
        if "items" in self.enabled:
            if self.similarity is None:
                out["items"] = np.zeros((n, h.n_items), np.float32)
            else:
                binary = self.history.days[r].copy()
                binary.data[:] = 1.0
                out["items"] = (binary @ self.similarity).toarray().astype(np.float32)
                out["items"][~known] = 0.0
        if "rules" in self.enabled:
            if self.rule_conf is None or self.rule_conf.nnz == 0:
                out["rules"] = np.zeros((n, h.n_items), np.float32)
            else:
                out["rules"] = (self.recent[r] @ self.rule_conf).toarray().astype(np.float32)
                out["rules"][~known] = 0.0
        if "popular" in self.enabled:
            out["popular"] = self.popular(rows, groups)
        return out

    def popular(self, rows: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
        base = self.popular_global / max(self.popular_global.max(), 1e-12)
        if self.popular_group.shape[0] == 0:
            return np.broadcast_to(base.astype(np.float32), (rows.size, base.size)).copy()
        g = self.group_of(rows, groups)
        top = self.popular_group.max(axis=1, keepdims=True)
        by_group = self.popular_group / np.where(top > 0, top, 1.0)
        scores = np.where(g[:, None] >= 0, by_group[np.maximum(g, 0)] + 0.25 * base, base)
        return scores.astype(np.float32)

    def group_of(self, rows: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
        """Group code per requested customer: given groups first, then the fitted ones."""
        g = np.where(rows >= 0, self.user_group[np.maximum(rows, 0)], -1)
        if groups is not None and self.group_names.size:
            import pandas as pd

            given = pd.Index(self.group_names).get_indexer(pd.Series(groups).astype("string"))
            g = np.where(given >= 0, given, g)
        return g

    def context(self, rows: np.ndarray, cols: np.ndarray) -> dict[str, np.ndarray]:
        """Customer and item facts at (row, col) cells: the ranker's non-score features."""
        h = self.history
        known = rows >= 0
        r = np.where(known, rows, 0)
        days = _cells(h.days, r, cols) * known
        last = _cells(h.last_age, r, cols)
        gap = _cells(self.cell_gap, r, cols)
        gap = np.where(days > 0, gap, self.item_gap[cols])
        last = np.where(days > 0, last, np.nan)
        return {
            "bought_days": days,
            "last_age": last,
            "gap": gap,
            "due": last / gap,
            "item_rebuy": self.item_rebuy[cols],
            "item_gap": self.item_gap[cols],
            "item_popular": self.popular_global[cols],
            "user_orders": np.where(known, h.user_orders[r], 0.0),
            "user_recency": np.where(known, h.user_recency[r], np.nan),
            "user_items": np.where(known, self.user_items[r], 0.0),
            "user_tenure": np.where(known, self.user_first[r], np.nan),
            "bought_share": days / np.maximum(np.where(known, h.user_orders[r], 1.0), 1.0),
            **{name: v[cols] for name, v in self.item_facts.items()},
            **{
                f"bought_days_{d}d": _cells(m, r, cols) * known for d, m in self.recent_days.items()
            },
            **{name: np.where(known, v[r], np.nan) for name, v in self.user_facts.items()},
            "item_trend_14_90": self.item_facts["item_buyers_14d"][cols]
            / (self.item_facts["item_buyers_90d"][cols] + 1.0),
            "item_trend_30_365": self.item_facts["item_buyers_30d"][cols]
            / (self.item_facts["item_buyers_365d"][cols] + 1.0),
        }

    def basket_affinity(self, rows: np.ndarray, cols: np.ndarray) -> dict[str, np.ndarray]:
        """Per (row, candidate) cell: the item's affinity to what the customer bought lately.

        Item-item similarity and rule confidence summed over the customer's last basket, and
        EASE and item-item scores of the items they bought in the last 90 days. ``cols``
        (rows × m) item indices; returns flat arrays of rows × m values.
        """
        known = (rows >= 0)[:, None]
        r = np.where(rows >= 0, rows, 0)
        local = np.repeat(np.arange(rows.size), cols.shape[1])
        out = {}
        recent = self.recent_days[90][r].tocsr()
        recent.data[:] = 1.0
        pairs = (
            ("last_basket_items", self.last_basket[r], self.similarity),
            ("last_basket_rules", self.last_basket[r], self.rule_conf),
            ("recent_items", recent, self.similarity),
        )
        for name, basket, pair in pairs:
            if pair is None or pair.nnz == 0:
                out[name] = np.zeros(cols.size)
                continue
            scores = (basket @ pair).tocsr()
            out[name] = (_cells(scores, local, cols.ravel()).reshape(cols.shape) * known).ravel()
        out["recent_ease"] = np.zeros(cols.size)
        if self.ease_weights is not None:
            pos = np.full(self.history.n_items, -1)
            pos[self.ease_items] = np.arange(self.ease_items.size)
            dense = np.asarray(recent[:, self.ease_items] @ self.ease_weights)
            p = pos[cols]
            vals = np.take_along_axis(dense, np.maximum(p, 0), axis=1)
            out["recent_ease"] = np.where((p >= 0) & known, vals, 0.0).ravel()
        return out


def _cells(m: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Values of a sparse matrix at (rows[j], cols[j]) without densifying it."""
    if rows.size == 0:
        return np.zeros(0)
    return np.asarray(m[rows, cols]).ravel().astype(np.float64)


def _like(pattern: sp.csr_matrix, data: np.ndarray) -> sp.csr_matrix:
    import scipy.sparse as sp

    return sp.csr_matrix((data, pattern.indices.copy(), pattern.indptr.copy()), pattern.shape)


def _group_median(groups: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Median of ``values`` per integer group in ``range(n)``; NaN for empty groups."""
    out = np.full(n, np.nan)
    if groups.size == 0:
        return out
    order = np.lexsort((values, groups))
    g, v = groups[order], values[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    ends = np.r_[starts[1:], g.size]
    lo = v[starts + (ends - starts - 1) // 2]
    hi = v[starts + (ends - starts) // 2]
    out[g[starts]] = (lo + hi) / 2.0
    return out


def _orders(h: History) -> tuple[np.ndarray, np.ndarray]:
    """Customer code and age (days before as_of) of every order."""
    import pandas as pd

    first = ~pd.Series(h.basket_code).duplicated().to_numpy()
    return h.basket_user[first], h.basket_age[first]


def _recent_items(h: History, n_baskets: int) -> sp.csr_matrix:
    """Binary customer × item matrix of the items in each customer's last ``n_baskets``."""
    import pandas as pd
    import scipy.sparse as sp

    baskets = pd.DataFrame({"u": h.basket_user, "b": h.basket_code, "age": h.basket_age})
    order_age = baskets.groupby(["u", "b"], sort=False)["age"].min().reset_index()
    order_age["rank"] = order_age.groupby("u")["age"].rank(method="first")
    keep = set(order_age.loc[order_age["rank"] <= n_baskets, "b"])
    sel = np.isin(h.basket_code, np.fromiter(keep, dtype=np.int64, count=len(keep)))
    m = sp.csr_matrix(
        (np.ones(sel.sum()), (h.basket_user[sel], h.basket_item[sel])),
        shape=(h.n_users, h.n_items),
    )
    m.data[:] = 1.0
    return m


class _one_blas_thread:
    """implicit's ALS is slow with a multi-threaded BLAS; limit it while fitting."""

    def __enter__(self) -> Any:
        from threadpoolctl import threadpool_limits

        self._limits = threadpool_limits(1, "blas")
        return self

    def __exit__(self, *exc: object) -> None:
        self._limits.restore_original_limits()
