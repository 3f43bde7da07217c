"""Any customer frame → a numeric design matrix, learned once and applied the same way later.

Generic on purpose: no column is named here, so a customers table with its own columns works.

* numbers and booleans are kept as they are (NaN stays NaN: LightGBM handles it, the linear
  candidates impute the training median);
* text with few distinct values (``max_levels``) is one-hot encoded, one column per level
  seen in training (unseen levels are all zeros); text with many levels (ids, names) is dropped;
* dates become "days before ``as_of``";
* derived columns: for the few most varied continuous columns, every ratio ``a / b``
  (e.g. total charges / tenure = average charge), and for every text value shared by at
  least three columns, how many of those columns hold it (e.g. how many add-ons say "Yes", column ``count:Yes``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from itertools import permutations
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

_SEP = "="  # one-hot column names read "column=level"


@dataclass
class TabularEncoder:
    """Learns which columns to keep and how; ``transform`` returns a float frame."""

    max_levels: int = 20
    max_ratio_columns: int = 5
    exclude: tuple[str, ...] = ()
    numeric_: list[str] = field(default_factory=list)
    dates_: list[str] = field(default_factory=list)
    levels_: dict[str, list[str]] = field(default_factory=dict)
    ratios_: list[tuple[str, str]] = field(default_factory=list)
    shared_values_: dict[str, list[str]] = field(default_factory=dict)

    def fit(self, frame: pd.DataFrame) -> TabularEncoder:
        import pandas as pd

        self.numeric_, self.dates_, self.levels_ = [], [], {}
        for col in frame.columns:
            if col in self.exclude or col.startswith("_"):
                continue
            s = frame[col]
            if s.isna().all():
                continue
            if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
                self.numeric_.append(col)
            elif pd.api.types.is_datetime64_any_dtype(s) or _is_date_object(s):
                self.dates_.append(col)
            else:
                counts = s.dropna().astype(str).value_counts()
                if 1 < len(counts) <= self.max_levels:
                    self.levels_[col] = [str(v) for v in counts.index]
        continuous = [
            c for c in self.numeric_
            if not pd.api.types.is_bool_dtype(frame[c]) and frame[c].nunique() > 10
        ]
        continuous.sort(key=lambda c: -frame[c].nunique())
        chosen = continuous[: self.max_ratio_columns]
        self.ratios_ = list(permutations(chosen, 2))
        by_value: dict[str, list[str]] = {}
        for col, levels in self.levels_.items():
            for level in levels:
                by_value.setdefault(level, []).append(col)
        self.shared_values_ = {v: cols for v, cols in by_value.items() if len(cols) >= 3}
        return self

    def transform(self, frame: pd.DataFrame, as_of: datetime | None = None) -> pd.DataFrame:
        import pandas as pd

        out: dict[str, np.ndarray] = {}
        for col in self.numeric_:
            out[col] = _numeric(frame, col)
        stamp = pd.Timestamp(as_of or datetime.now())
        for col in self.dates_:
            when = pd.to_datetime(frame[col], errors="coerce") if col in frame else None
            out[f"{col}_days_ago"] = (
                np.full(len(frame), np.nan) if when is None
                else ((stamp - when).dt.total_seconds() / 86_400.0).to_numpy(float, na_value=np.nan)
            )
        # missing text becomes "" (never a level), so comparisons stay plain booleans
        text = {
            c: frame[c].astype("string").to_numpy(dtype=object, na_value="") if c in frame else None
            for c in self.levels_
        }
        for col, levels in self.levels_.items():
            values = text[col]
            for level in levels:
                out[f"{col}{_SEP}{level}"] = (
                    np.zeros(len(frame)) if values is None else (values == level).astype(float)
                )
        for value, cols in self.shared_values_.items():
            out[f"count:{value}"] = sum(out[f"{c}{_SEP}{value}"] for c in cols)
        with np.errstate(divide="ignore", invalid="ignore"):
            for a, b in self.ratios_:
                ratio = out[a] / out[b]
                out[f"{a}_per_{b}"] = np.where(np.isfinite(ratio), ratio, np.nan)
        return pd.DataFrame(out, index=frame.index)

    def fit_transform(self, frame: pd.DataFrame, as_of: datetime | None = None) -> pd.DataFrame:
        return self.fit(frame).transform(frame, as_of)


def _numeric(frame: pd.DataFrame, col: str) -> np.ndarray:
    import pandas as pd

    if col not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[col].astype("Float64"), errors="coerce").to_numpy(
        float, na_value=np.nan
    )


def _is_date_object(s: pd.Series) -> bool:
    from datetime import date

    sample = s.dropna().head(20)
    return len(sample) > 0 and all(isinstance(v, date) for v in sample)


def split_name(column: str) -> tuple[str, str | None]:
    """``"contract=Month-to-month"`` → (``"contract"``, ``"Month-to-month"``)."""
    if _SEP in column:
        base, level = column.split(_SEP, 1)
        return base, level
    return column, None


def canonical_order(X: Any, *more: Any) -> np.ndarray:
    """A row order that depends on the rows' values only, never on their input order.

    Lexicographic over the columns of ``X`` (numeric, as the encoder makes them), then over
    ``more`` (e.g. the labels). Models sort their training rows by it, so a frame that
    arrives shuffled (a warehouse returns rows in any order) gives the same fit: bootstrap
    samples, subsamples and CV folds are drawn from the same sequence of rows.
    """
    a = np.asarray(X, dtype=float)
    if a.ndim == 1:
        a = a[:, None]
    keys = [np.asarray(m, dtype=float) for m in reversed(more)]
    keys += [a[:, j] for j in range(a.shape[1] - 1, -1, -1)]
    if not keys:
        return np.arange(len(a))
    return np.lexsort(keys)
