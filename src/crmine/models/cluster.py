"""Customer clusters: K-Means on scaled behaviour, k chosen from the data, readable labels.

Behaviour (from :func:`crmine.features.customer_features`): log recency, orders, net revenue
and tenure, purchase regularity (spread of the gaps between purchase days relative to their
mean), basket size, range of products or categories bought, return ratio; plus one-hot
customer attributes with few levels (gender, region, …) when the frame has them. Only
customers with a purchase are clustered. A workspace without orders clusters its customers
on what is on file: the one-hot attributes and the numeric ones (tenure, monthly fee, …). Missing values take the median; every column is
clipped to its 1st–99th percentile range so that a few extreme customers do not claim
clusters of their own (profiles show the clipped means).

k is chosen within ``[k_min, k_max]``: for each k, K-Means is fitted with ``n_seeds`` seeds;
its *stability* is the mean adjusted Rand index between the seeds' labellings and its
*separation* the silhouette on a sample. The k with the best silhouette among the stable ones
(ARI ≥ ``min_stability``) wins; when none is stable, the best silhouette × stability.
Clusters are numbered by size (0 = largest), so reruns give the same numbers.

A label names what sets a cluster apart: the features whose cluster mean lies furthest from
the overall mean in standard deviations (z-scores), e.g. "frequent buyers, large baskets,
many returns"; labels are made unique by adding further features.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

import numpy as np

from crmine.models.base import Estimator

if TYPE_CHECKING:
    import pandas as pd

# feature -> (source column, transform, words when high, words when low)
BEHAVIOUR: dict[str, tuple[str, str, str, str]] = {
    "recency": ("recency_days", "log", "lapsed", "recently active"),
    "frequency": ("orders_count", "log", "frequent buyers", "occasional buyers"),
    "spend": ("revenue_total", "slog", "high spend", "low spend"),
    "tenure": ("tenure_days", "log", "long-standing", "new customers"),
    "irregularity": ("gap_cv", "raw", "irregular buyers", "regular buyers"),
    "basket_size": ("units_per_order", "log", "large baskets", "small baskets"),
    "breadth": ("breadth", "log", "broad range", "narrow range"),
    "returns": ("return_ratio", "raw", "many returns", "few returns"),
}
# Attributes shape clusters less than behaviour: a one-hot column counts this much of a
# behavioural one (otherwise a two-level attribute such as gender splits every cluster).
ATTRIBUTE_WEIGHT = 0.35
_ATTRIBUTE_MAX_LEVELS = 12
_ATTRIBUTE_SKIP = {"customer_id", "name", "email", "phone", "birth_date", "signup_date", "city",
                   "churned"}  # the churn label is an outcome, not a trait  # fmt: skip
# Numbers on file (tenure, monthly fee, …) enter only when there is no behaviour to cluster:
# a customers-only workspace, e.g. a subscription export.
_NUMERIC = "number"


class CustomerClusterer(Estimator):
    """K-Means customer segments (scikit-learn style).

    Learned: ``k_`` (chosen k), ``selection_`` (silhouette and stability per k),
    ``feature_names_``, ``labels_`` (Series customer_id → cluster), ``cluster_labels_``
    (cluster → label), ``profiles_`` (cluster, size, label, mean of each feature),
    ``projection_`` (customer_id, cluster, pc1, pc2 for a sample: a 2-D PCA for a chart).
    """

    def __init__(
        self,
        k_min: int = 3,
        k_max: int = 8,
        random_state: int = 0,
        *,
        n_seeds: int = 3,
        min_stability: float = 0.8,
        sample_size: int = 3000,
    ) -> None:
        self.k_min = k_min
        self.k_max = k_max
        self.random_state = random_state
        self.n_seeds = n_seeds
        self.min_stability = min_stability
        self.sample_size = sample_size

    def fit(self, features: pd.DataFrame) -> Self:
        import sklearn.cluster  # noqa: F401  (loads OpenMP, so that the limit below applies)
        from threadpoolctl import threadpool_limits

        # K-Means on a few thousand rows is fastest on one thread; more only contend.
        with threadpool_limits(1):
            return self._fit(features)

    def _fit(self, features: pd.DataFrame) -> Self:
        import pandas as pd
        from sklearn.preprocessing import StandardScaler

        if not 2 <= self.k_min <= self.k_max:
            raise ValueError(f"need 2 <= k_min <= k_max, got {self.k_min}, {self.k_max}")
        # a fixed row order (by customer): the sample and K-Means' seeding must not depend
        # on the order the customers arrived in
        given = _buyers(features)
        frame = given.sort_values("customer_id", kind="stable", ignore_index=True)
        if len(frame) <= self.k_min:
            raise ValueError(
                f"need more than k_min={self.k_min} customers with purchases, got {len(frame)}"
            )
        raw, self._attributes = _design(frame, None)
        raw = _drop_repeated_levels(raw)
        self._medians = raw.median()
        raw = raw.fillna(self._medians).fillna(0.0)
        # Winsorise behaviour at the 1st / 99th percentiles: one customer who returned 57
        # times what they bought must not get a cluster of their own.
        self._bounds = raw.quantile([0.01, 0.99])
        raw = raw.clip(self._bounds.iloc[0], self._bounds.iloc[1], axis=1)
        self.feature_names_ = list(raw.columns)
        self._scaler = StandardScaler().fit(raw.to_numpy())
        numeric = {c for c, levels in self._attributes.items() if levels == [_NUMERIC]}
        self._column_weight = np.array(
            [1.0 if c in BEHAVIOUR or c in numeric else ATTRIBUTE_WEIGHT for c in raw.columns]
        )
        x = self._scaler.transform(raw.to_numpy()) * self._column_weight
        rng = np.random.default_rng(self.random_state)
        sample = np.sort(rng.choice(len(x), min(len(x), self.sample_size), replace=False))
        self.k_, self.selection_ = self._choose_k(x, sample)
        model = _kmeans(self.k_, self.random_state, n_init=10).fit(x)
        order = np.argsort(-np.bincount(model.labels_, minlength=self.k_), kind="stable")
        rename = np.empty(self.k_, dtype=np.int64)
        rename[order] = np.arange(self.k_)
        self._centers = model.cluster_centers_[order]
        labels = rename[model.labels_]
        ids = frame["customer_id"].astype("string").to_numpy()
        self.labels_ = pd.Series(labels, index=pd.Index(ids, name="customer_id"), name="cluster")
        self.labels_ = self.labels_.reindex(
            pd.Index(given["customer_id"].astype("string").to_numpy(), name="customer_id")
        )  # in the caller's order
        z = self._scaler.transform(raw.to_numpy())
        self.cluster_labels_ = _name_clusters(z, labels, self.k_, self.feature_names_, numeric)
        self.profiles_ = self._profiles(raw, labels)
        self.projection_ = _projection(x[sample], labels[sample], ids[sample], self.random_state)
        return self

    def predict(self, features: pd.DataFrame) -> pd.Series:
        """Nearest cluster of each customer with purchases (Series indexed by customer_id)."""
        import pandas as pd

        self._check_fitted()
        frame = _buyers(features)
        raw, _ = _design(frame, self._attributes)
        raw = raw.reindex(columns=self.feature_names_).fillna(self._medians).fillna(0.0)
        raw = raw.clip(self._bounds.iloc[0], self._bounds.iloc[1], axis=1)
        x = self._scaler.transform(raw.to_numpy()) * self._column_weight
        dist = ((x[:, None, :] - self._centers[None, :, :]) ** 2).sum(axis=2)
        ids = pd.Index(frame["customer_id"].astype("string").to_numpy(), name="customer_id")
        return pd.Series(dist.argmin(axis=1), index=ids, name="cluster")

    def _choose_k(self, x: np.ndarray, sample: np.ndarray) -> tuple[int, pd.DataFrame]:
        import pandas as pd
        from sklearn.metrics import adjusted_rand_score, silhouette_score

        rows = []
        k_max = min(self.k_max, len(x) - 1)
        for k in range(self.k_min, max(k_max, self.k_min) + 1):
            runs = [
                _kmeans(k, self.random_state + s, n_init=1).fit_predict(x)
                for s in range(self.n_seeds)
            ]
            pairs = [
                adjusted_rand_score(runs[a], runs[b])
                for a in range(len(runs))
                for b in range(a + 1, len(runs))
            ]
            labels = runs[0][sample]
            sil = silhouette_score(x[sample], labels) if len(np.unique(labels)) > 1 else -1.0
            rows.append({"k": k, "silhouette": float(sil),
                         "stability": float(np.mean(pairs)) if pairs else 1.0})
        table = pd.DataFrame(rows)
        stable = table[table["stability"] >= self.min_stability]
        if len(stable):
            best = stable.loc[stable["silhouette"].idxmax(), "k"]
        else:
            best = table.loc[(table["silhouette"] * table["stability"]).idxmax(), "k"]
        return int(best), table

    def _profiles(self, raw: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
        means = raw.groupby(labels).mean()
        means.index.name = "cluster"
        out = means.reset_index()
        out.insert(1, "size", np.bincount(labels, minlength=self.k_)[out["cluster"]])
        out.insert(2, "label", [self.cluster_labels_[c] for c in out["cluster"]])
        return out


def _kmeans(k: int, seed: int, n_init: int):
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=k, n_init=n_init, random_state=seed)


def _buyers(features: pd.DataFrame) -> pd.DataFrame:
    if "orders_count" in features:
        return features[features["orders_count"].fillna(0) > 0].reset_index(drop=True)
    return features.reset_index(drop=True)


def _design(frame: pd.DataFrame, attributes: dict[str, list[str]] | None):
    """Behaviour columns (transformed) plus one-hot attributes; the attribute levels used."""
    import pandas as pd

    cols: dict[str, Any] = {}
    extra = pd.DataFrame(index=frame.index)
    if {"gap_std_days", "gap_mean_days"} <= set(frame.columns):
        mean = pd.to_numeric(frame["gap_mean_days"], errors="coerce")
        extra["gap_cv"] = pd.to_numeric(frame["gap_std_days"], errors="coerce") / mean.where(
            mean > 0
        )
    breadth = next(
        (c for c in ("distinct_categories", "distinct_products") if c in frame
         and frame[c].notna().any()), None,
    )
    if breadth:
        extra["breadth"] = frame[breadth]
    for name, (col, how, _, _) in BEHAVIOUR.items():
        source = extra[col] if col in extra else frame.get(col)
        if source is None or pd.to_numeric(source, errors="coerce").notna().sum() == 0:
            continue
        v = pd.to_numeric(source, errors="coerce").astype("float64")
        if how == "log":
            v = np.log1p(v.clip(lower=0))
        elif how == "slog":
            v = np.sign(v) * np.log1p(v.abs())
        cols[name] = v
    out = pd.DataFrame(cols, index=frame.index)
    if attributes is None:
        attributes = _attribute_levels(frame, set(out), with_numbers=out.empty)
    for col, levels in attributes.items():
        if levels == [_NUMERIC]:
            v = pd.to_numeric(frame[col], errors="coerce") if col in frame else np.nan
            out[col] = pd.Series(v, index=frame.index, dtype="float64")
            continue
        levels = levels if len(levels) > 2 else levels[:1]  # two levels: one column says all
        s = frame[col].astype("string") if col in frame else pd.Series(pd.NA, index=frame.index)
        for level in levels:
            out[f"{col}={level}"] = (s == level).fillna(False).astype("float64")
    return out, attributes


def _drop_repeated_levels(raw: pd.DataFrame) -> pd.DataFrame:
    """One-hot columns that equal an earlier one, or its opposite, left out.

    Survey-style exports repeat one fact across columns (Telco's six add-on services each say
    "No internet service" for the same customers, "No phone service" is "phone service: no"):
    kept, it would weigh several times in the distances and fill the profiles and labels with
    the same split.
    """
    import pandas as pd

    levels = [c for c in raw.columns if "=" in c]
    if len(levels) < 2:
        return raw
    onehot = raw[levels].to_numpy()
    # One orientation per column (first row 0), so a column and its opposite look alike.
    facing = np.where(onehot[0] == 0, onehot, 1.0 - onehot)
    repeated = pd.DataFrame(facing.T, index=levels).duplicated(keep="first")
    return raw.drop(columns=repeated[repeated].index)


def _attribute_levels(frame: pd.DataFrame, taken: set[str], *, with_numbers: bool
                      ) -> dict[str, list[str]]:
    """Attributes to one-hot (column → levels, most common first) and, ``with_numbers``,
    numeric ones (column → [_NUMERIC])."""
    import pandas as pd

    attributes: dict[str, list[str]] = {}
    for col in frame.columns:
        if col in _ATTRIBUTE_SKIP or col in taken or col.endswith(("_ts", "_date")):
            continue
        s = frame[col]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            if not (pd.api.types.is_string_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype)
                    or pd.api.types.is_bool_dtype(s)):
                continue
            counts = s.dropna().astype("string").value_counts()
            if 2 <= len(counts) <= _ATTRIBUTE_MAX_LEVELS:
                attributes[col] = sorted(counts.index, key=lambda v: (-counts[v], v))
        elif with_numbers and s.nunique(dropna=True) > 2:
            attributes[col] = [_NUMERIC]
    return attributes


def _name_clusters(
    x: np.ndarray, labels: np.ndarray, k: int, names: list[str], numeric: set[str] = frozenset()
) -> dict[int, str]:
    """Unique readable label per cluster from the z-scores of its means."""
    z = np.vstack([x[labels == c].mean(axis=0) for c in range(k)])  # x is standardised
    words = []
    for name in names:
        if name in numeric:
            words.append((f"high {name}", f"low {name}"))
        elif name in BEHAVIOUR:
            words.append((BEHAVIOUR[name][2], BEHAVIOUR[name][3]))
        else:
            col, _, level = name.partition("=")
            words.append((f"mostly {col} {level}", ""))  # "not X" says little; skipped
    order = np.argsort(-np.abs(z), axis=1, kind="stable")
    taken: set[str] = set()
    out = {}
    for c in range(k):  # k ≤ k_max clusters: a loop over clusters, not customers
        parts: list[str] = []
        for j in order[c]:
            word = words[j][0] if z[c, j] > 0 else words[j][1]
            if not word:
                continue
            if len(parts) >= 3 and ", ".join(parts) not in taken:
                break
            if abs(z[c, j]) < 0.25 and len(parts) >= 1 and ", ".join(parts) not in taken:
                break
            parts.append(word)
        label = ", ".join(parts) or "typical customers"
        base, n = label, 2
        while label in taken:
            label, n = f"{base} ({n})", n + 1
        taken.add(label)
        out[c] = label
    return out


def _projection(x: np.ndarray, labels: np.ndarray, ids: np.ndarray, seed: int) -> pd.DataFrame:
    import pandas as pd
    from sklearn.decomposition import PCA

    n = min(2, x.shape[1], x.shape[0])
    pcs = PCA(n_components=n, random_state=seed).fit_transform(x) if n else np.zeros((len(x), 0))
    pcs = np.pad(pcs, ((0, 0), (0, 2 - pcs.shape[1])))
    return pd.DataFrame({"customer_id": ids, "cluster": labels, "pc1": pcs[:, 0],
                         "pc2": pcs[:, 1]})
