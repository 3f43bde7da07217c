"""RFM scoring: recency, frequency and monetary quintile scores and named segments.

Scores (1..bins, higher is better) come from each customer's *mid-rank percentile* in the
fitted population: for a value v among n fitted customers,
``p(v) = (#below v + #equal to v / 2) / n`` and ``score = floor(p * bins) + 1``.
Tied customers therefore always share a score (deterministic, independent of row order),
and a big tie block (e.g. "1 order") lands on the score its middle falls in, instead of
collapsing the quantile edges as ``qcut`` does. A score may be skipped when one tie block
covers more than a whole bin. Recency is scored on its negative (more recent = higher).

``fit`` stores, per measure, the smallest value that reaches each score (``edges_``);
``transform`` counts the edges a value reaches, so training customers get exactly their
mid-rank scores and new customers are scored consistently against the same population.

Customers without a purchase (orders_count 0 or no recency) are not fitted and get empty
scores and an empty segment: RFM says nothing about someone who never bought.

Segments follow the common R x F grid of RFM tutorials (the 5 x 5 recency-by-frequency map
behind Putler's "RFM analysis" segment names, as used in many Online Retail notebooks);
"Lost" is split from "Hibernating" at r = 1 so all eleven names are used. The map is data
(:data:`DEFAULT_SEGMENT_RULES`) and configurable through :meth:`SegmentMap.from_config`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from typing import TYPE_CHECKING, Any

import numpy as np

from crmine.errors import ConfigError
from crmine.models.base import Estimator

if TYPE_CHECKING:
    import pandas as pd

RECENCY, FREQUENCY, MONETARY = "recency_days", "orders_count", "revenue_total"

DEFAULT_SEGMENT_RULES: tuple[dict[str, Any], ...] = (
    {"name": "Champions", "r": [5, 5], "f": [4, 5]},
    {"name": "Loyal", "r": [3, 4], "f": [4, 5]},
    {"name": "Potential loyalist", "r": [4, 5], "f": [2, 3]},
    {"name": "New", "r": [5, 5], "f": [1, 1]},
    {"name": "Promising", "r": [4, 4], "f": [1, 1]},
    {"name": "Need attention", "r": [3, 3], "f": [3, 3]},
    {"name": "About to sleep", "r": [3, 3], "f": [1, 2]},
    {"name": "At risk", "r": [1, 2], "f": [3, 4]},
    {"name": "Can't lose them", "r": [1, 2], "f": [5, 5]},
    {"name": "Hibernating", "r": [2, 2], "f": [1, 2]},
    {"name": "Lost", "r": [1, 1], "f": [1, 2]},
)


@dataclass(frozen=True)
class SegmentRule:
    """A named box of scores, bounds inclusive; ``on`` is "f" or "fm" (mean of f and m)."""

    name: str
    r: tuple[float, float]
    other: tuple[float, float]
    on: str = "f"

    def matches(self, r: np.ndarray, f: np.ndarray, m: np.ndarray) -> np.ndarray:
        second = f if self.on == "f" else (f + m) / 2.0
        return (
            (r >= self.r[0])
            & (r <= self.r[1])
            & (second >= self.other[0])
            & (second <= self.other[1])
        )


def _bounds(value: Any, key: str, name: str) -> tuple[float, float]:
    if isinstance(value, int | float):
        return float(value), float(value)
    if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
        lo, hi = float(value[0]), float(value[1])
        if lo <= hi:
            return lo, hi
    raise ValueError(f"segment {name!r}: {key} must be [low, high] with low <= high, got {value!r}")


class SegmentMap:
    """Ordered segment rules; every (r, f, m) score cell must match exactly one rule."""

    def __init__(self, rules: Iterable[SegmentRule], bins: int = 5) -> None:
        self.rules = tuple(rules)
        self.bins = bins
        self._check_partition()

    @classmethod
    def from_config(cls, rules: Iterable[Mapping[str, Any]], bins: int = 5) -> SegmentMap:
        """Rules as read from ``[rfm.segments]``: ``{name, r: [lo, hi], f | fm: [lo, hi]}``.

        Raises :class:`crmine.errors.ConfigError` with a one-line reason when invalid.
        """
        try:
            return cls._from_config(rules, bins)
        except ValueError as exc:
            raise ConfigError(f"[rfm.segments]: {exc}") from exc

    @classmethod
    def _from_config(cls, rules: Iterable[Mapping[str, Any]], bins: int) -> SegmentMap:
        parsed = []
        for raw in rules:
            name = str(raw.get("name", "")).strip()
            if not name:
                raise ValueError(f"segment rule without a name: {dict(raw)!r}")
            keys = [k for k in ("f", "fm") if k in raw]
            if "r" not in raw or len(keys) != 1:
                raise ValueError(f"segment {name!r} needs 'r' and exactly one of 'f' or 'fm'")
            on = keys[0]
            parsed.append(
                SegmentRule(name, _bounds(raw["r"], "r", name), _bounds(raw[on], on, name), on)
            )
        return cls(parsed, bins=bins)

    @classmethod
    def default(cls, bins: int = 5) -> SegmentMap:
        return cls._from_config(DEFAULT_SEGMENT_RULES, bins)

    def to_config(self) -> list[dict[str, Any]]:
        return [{"name": s.name, "r": list(s.r), s.on: list(s.other)} for s in self.rules]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.name for s in self.rules))

    def _check_partition(self) -> None:
        cells = np.array(list(product(range(1, self.bins + 1), repeat=3)), dtype=float)
        r, f, m = cells.T
        hits = np.stack([rule.matches(r, f, m) for rule in self.rules]) if self.rules else None
        counts = hits.sum(axis=0) if hits is not None else np.zeros(len(cells), dtype=int)
        bad = cells[counts != 1].astype(int)
        if len(bad):
            r0, f0, m0 = bad[0]
            n = int(counts[counts != 1][0])
            raise ValueError(
                f"segment map must cover each (r, f, m) score cell exactly once; "
                f"cell r={r0} f={f0} m={m0} matches {n} rules ({len(bad)} bad cells)"
            )

    def assign(self, r: np.ndarray, f: np.ndarray, m: np.ndarray) -> np.ndarray:
        """Segment name per row; None where any score is missing."""
        r, f, m = (np.asarray(a, dtype=float) for a in (r, f, m))
        conds = [rule.matches(r, f, m) for rule in self.rules]
        names = np.array([rule.name for rule in self.rules], dtype=object)
        return np.select(conds, list(names), default=None)


def _midrank_edges(values: np.ndarray, bins: int) -> np.ndarray:
    """Smallest value reaching each score 2..bins (+inf when no value does)."""
    uniq, counts = np.unique(values, return_counts=True)
    below = np.cumsum(counts) - counts
    pct = (below + counts / 2.0) / values.size
    scores = np.minimum(np.floor(pct * bins).astype(int) + 1, bins)
    edges = np.full(bins - 1, np.inf)
    for k in range(2, bins + 1):
        reached = uniq[scores >= k]
        if reached.size:
            edges[k - 2] = reached[0]
    return edges


def _score(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    return 1 + np.searchsorted(edges, values, side="right")


class RFMScorer(Estimator):
    """Recency / frequency / monetary scores 1..bins and a named segment per customer.

    Reads ``recency_days``, ``orders_count`` and ``revenue_total`` (the output of
    :func:`crmine.features.customer_features` or ``rfm_features``).

    Learned state: ``edges_`` (measure -> the bins - 1 thresholds a value must reach for
    scores 2..bins; recency's are on -recency_days), ``segment_map_``, ``n_fitted_``.
    """

    def __init__(self, bins: int = 5, segment_map: SegmentMap | None = None) -> None:
        self.bins = bins
        self.segment_map = segment_map

    def _validate(self, frame: pd.DataFrame) -> None:
        missing = [c for c in (RECENCY, FREQUENCY, MONETARY) if c not in frame.columns]
        if missing:
            raise ValueError(f"RFM needs columns {missing} in the frame")

    @staticmethod
    def _scorable(frame: pd.DataFrame) -> np.ndarray:
        """Customers with a purchase. Spend may be unknown (orders without prices): they get
        no m_score, and F stands in for M in segment rules that use it."""
        cols = [frame[c].astype("float64").to_numpy(na_value=np.nan) for c in (RECENCY, FREQUENCY)]
        return ~np.isnan(np.stack(cols)).any(axis=0) & (cols[1] > 0)

    @staticmethod
    def _monetary(frame: pd.DataFrame) -> np.ndarray:
        return frame[MONETARY].astype("float64").to_numpy(na_value=np.nan)

    def fit(self, frame: pd.DataFrame) -> RFMScorer:
        """Learn the score edges from the customers who purchased."""
        if not isinstance(self.bins, int) or self.bins < 2:
            raise ValueError(f"bins must be an integer >= 2, got {self.bins!r}")
        self._validate(frame)
        ok = self._scorable(frame)
        if not ok.any():
            raise ValueError("RFM needs at least one customer with a purchase to fit")
        data = frame.loc[ok]
        self.segment_map_ = self.segment_map or SegmentMap.default(self.bins)
        if self.segment_map_.bins != self.bins:
            raise ValueError("segment_map was built for a different number of bins")
        self.edges_ = {
            # Recency edges are on -recency_days (higher score = more recent).
            RECENCY: _midrank_edges(-data[RECENCY].to_numpy(dtype=float), self.bins),
            FREQUENCY: _midrank_edges(data[FREQUENCY].to_numpy(dtype=float), self.bins),
        }
        spend = self._monetary(data)
        known = spend[~np.isnan(spend)]
        self.edges_[MONETARY] = (
            _midrank_edges(known, self.bins) if known.size else np.empty(0)
        )
        self.n_fitted_ = int(ok.sum())
        return self

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A copy of ``frame`` with r_score, f_score, m_score (Int64) and rfm_segment."""
        import pandas as pd

        self._check_fitted()
        self._validate(frame)
        ok = self._scorable(frame)
        out = frame.copy()
        values = {
            "r_score": -frame[RECENCY].astype("float64").to_numpy(na_value=np.nan),
            "f_score": frame[FREQUENCY].astype("float64").to_numpy(na_value=np.nan),
            "m_score": frame[MONETARY].astype("float64").to_numpy(na_value=np.nan),
        }
        scores = {}
        for (col, vals), measure in zip(
            values.items(), (RECENCY, FREQUENCY, MONETARY), strict=True
        ):
            present = ok & ~np.isnan(vals)
            s = _score(np.where(present, vals, 0.0), self.edges_[measure])
            scores[col] = np.where(present, s, np.nan)
            arr = pd.array(s, dtype="Int64")
            arr[~present] = pd.NA
            out[col] = arr
        m = np.where(np.isnan(scores["m_score"]), scores["f_score"], scores["m_score"])
        seg = self.segment_map_.assign(scores["r_score"], scores["f_score"], m)
        seg = np.where(ok, seg, None)
        out["rfm_segment"] = pd.array(seg, dtype="string")
        return out

    def fit_transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        return self.fit(frame).transform(frame)
