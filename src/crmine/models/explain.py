"""Per-customer reasons in plain words, from a model's own attributions.

Input: a contribution matrix (customers × encoded features, in log-odds toward the outcome
being explained — e.g. LightGBM ``pred_contrib=True`` SHAP values), the encoded feature
names and the values the customer had. One-hot columns of the same attribute
(``contract=Month-to-month``, ``contract=Two year``) are summed into one attribution for
the attribute. The ``k`` attributes with the largest absolute push are turned into a
sentence with the customer's own value ("no purchase for 120 days; usually buys every 30",
"spend down 60 % on the previous 90 days", "contract: Month-to-month") followed by the
direction ("raises churn risk" / "lowers churn risk").

The ranking is one ``argsort`` over the matrix; only the final k strings per customer are
formatted in Python.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np

from crmine.models._tabular import split_name

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SHORT_LABELS", "feature_label", "top_reasons"]


SHORT_LABELS: dict[str, str] = {
    "recency_days": "days since the last purchase",
    "tenure_days": "days since the first purchase",
    "purchase_days": "days with a purchase",
    "orders_count": "orders so far",
    "gap_mean_days": "usual days between purchases",
    "gap_median_days": "median days between purchases",
    "gap_std_days": "spread of the days between purchases",
    "gap_ratio": "time since the last purchase relative to the usual gap",
    "return_value": "value returned",
    "gross_revenue": "spend before returns",
    "revenue_total": "net spend so far",
    "lines_per_order": "lines per order",
    "units_per_order": "units per order",
    "avg_order_value": "average order value",
    "distinct_products": "different products bought",
    "distinct_categories": "different categories bought",
    "btyd_clv": "BG/NBD lifetime value",
    "btyd_expected_revenue": "BG/NBD expected spend",
    "contacts_total": "service contacts so far",
    "contacts_30d": "service contacts in the last 30 days",
    "contacts_90d": "service contacts in the last 90 days",
    "days_since_last_contact": "days since the last service contact",
    "unresolved_tickets": "unresolved service contacts",
    "complaints_total": "complaints so far",
    "complaints_90d": "complaints in the last 90 days",
    "feedback_count": "feedback answers so far",
    "mean_score_01": "average feedback score (0-1)",
    "sentiment_mean": "average sentiment of the feedback",
    "sentiment_trend": "change of sentiment in the last 90 days",
    "last_nps_score": "latest NPS answer",
    "days_since_last_nps": "days since the latest NPS answer",
}


def feature_label(name: str) -> str:
    """Short plain words for a feature name (the registry's meaning, up to its first aside)."""
    from crmine.schema.features import describe

    if name in SHORT_LABELS:
        return SHORT_LABELS[name]
    if name.startswith("decayed_"):
        what = "purchase days" if name.startswith("decayed_days") else "spend"
        return f"recent {what} (weighted, half-life {name.rsplit('_', 1)[1][:-1]} days)"
    try:
        return describe(name).split(" (")[0].split(", ")[0].split(": ")[0]
    except KeyError:
        if "_per_" in name:
            a, b = name.split("_per_", 1)
            return f"{feature_label(a)} per {feature_label(b)}"
        return name.removeprefix("btyd_").replace("_", " ")


def top_reasons(
    contributions: np.ndarray,
    names: list[str],
    values: pd.DataFrame,
    *,
    k: int = 3,
    outcome: str = "churn risk",
    trend_days: int = 90,
) -> list[list[str]]:
    """The k strongest reasons per row of ``contributions`` (see the module docstring).

    ``values`` holds, per row, the encoded columns ``names`` (one-hot as 0/1) and may hold
    more columns used for wording (``gap_mean_days`` next to ``recency_days``).
    """
    contrib = np.nan_to_num(np.asarray(contributions, float))
    if contrib.ndim != 2 or contrib.shape[1] != len(names) or len(values) != contrib.shape[0]:
        raise ValueError("contributions must be (rows of values) × (len(names))")
    bases = list(dict.fromkeys(split_name(n)[0] for n in names))
    index = {b: i for i, b in enumerate(bases)}
    member = np.zeros((len(names), len(bases)))
    member[np.arange(len(names)), [index[split_name(n)[0]] for n in names]] = 1.0
    grouped = contrib @ member
    k = min(k, len(bases))
    top = np.argsort(-np.abs(grouped), axis=1, kind="stable")[:, :k]
    strength = np.take_along_axis(grouped, top, axis=1)
    words = _Words(names, values, trend_days)
    raise_, lower = f"raises {outcome}", f"lowers {outcome}"
    return [
        [
            f"{words.phrase(bases[g], i)} ({raise_ if s > 0 else lower})"
            for g, s in zip(top[i], strength[i], strict=True)
            if abs(s) > 1e-9
        ]
        for i in range(len(top))
    ]


class _Words:
    """Turns (feature, row) into a phrase with the row's value."""

    def __init__(self, names: list[str], values: pd.DataFrame, trend_days: int) -> None:
        self.trend_days = trend_days
        self.columns: dict[str, np.ndarray] = {}
        for col in values.columns:
            series = values[col]
            try:
                self.columns[col] = series.to_numpy(float, na_value=np.nan)
            except (TypeError, ValueError):
                self.columns[col] = series.to_numpy(object)
        self.binary = {
            c
            for c, v in self.columns.items()
            if v.dtype == float and np.isin(v[np.isfinite(v)], (0.0, 1.0)).all()
        }
        self.levels: dict[str, list[tuple[str, str]]] = {}
        for name in names:
            base, level = split_name(name)
            if level is not None:
                self.levels.setdefault(base, []).append((name, level))

    def value(self, name: str, i: int) -> float:
        col = self.columns.get(name)
        return float("nan") if col is None else col[i]

    def phrase(self, base: str, i: int) -> str:
        if base in self.levels:
            chosen = [lvl for col, lvl in self.levels[base] if self.value(col, i) > 0.5]
            label = feature_label(base)
            return f"{label}: {chosen[0]}" if chosen else f"{label}: other"
        v = self.value(base, i)
        days = self.value("purchase_days", i)
        if base in _GAPS and not np.isfinite(v) and np.isfinite(days) and days <= 2:
            return "only one purchase day so far" if days <= 1 else "only two purchase days so far"
        if "_per_" in base:  # a ratio: say both sides
            a, b = base.split("_per_", 1)
            if np.isfinite(self.value(a, i)) and np.isfinite(self.value(b, i)):
                return f"{self.phrase(a, i)}, {self.phrase(b, i)}"
        special = getattr(self, f"_{base}", None)
        if special is not None and np.isfinite(v):
            return special(v, i)
        if (m := _WINDOWED.fullmatch(base)) and np.isfinite(v):
            return self._windowed(m.group(1), m.group(2), int(m.group(3)), v)
        if base.startswith("count:"):
            return f"“{base[6:]}” in {v:.0f} attributes"
        if base in self.binary and np.isfinite(v):
            return f"{feature_label(base)}: {'yes' if v > 0.5 else 'no'}"
        return f"{feature_label(base)}: {_fmt(v)}"

    def _recency_days(self, v: float, i: int) -> str:
        gap = self.value("gap_mean_days", i)
        usual = f"; usually buys every {gap:.0f}" if np.isfinite(gap) else ""
        return f"no purchase for {v:.0f} days{usual}"

    def _gap_ratio(self, v: float, i: int) -> str:
        r = self.value("recency_days", i)
        if np.isfinite(r):
            return self._recency_days(r, i)
        return f"{v:.1f}× the usual gap since the last purchase"

    def _spend_change_ratio(self, v: float, i: int) -> str:
        way = "down" if v < 0 else "up"
        return f"spend {way} {abs(v):.0%} on the previous {self.trend_days} days"

    def _btyd_p_alive(self, v: float, i: int) -> str:
        return f"purchase rhythm (BG/NBD): {v:.0%} chance still active"

    def _btyd_p_purchase(self, v: float, i: int) -> str:
        return f"purchase rhythm (BG/NBD): {v:.0%} chance to buy in the horizon"

    def _btyd_expected_orders(self, v: float, i: int) -> str:
        return f"purchase rhythm (BG/NBD): {v:.1f} purchase days expected in the horizon"

    def _tenure_days(self, v: float, i: int) -> str:
        return f"customer for {v:.0f} days"

    def _orders_count(self, v: float, i: int) -> str:
        return f"{v:.0f} orders so far"

    def _return_ratio(self, v: float, i: int) -> str:
        return f"{v:.0%} of spend returned"

    def _return_value(self, v: float, i: int) -> str:
        return "nothing returned" if v <= 0 else f"returned goods worth {_fmt(v)}"

    def _purchase_days(self, v: float, i: int) -> str:
        return f"bought on {v:.0f} different day{'' if round(v) == 1 else 's'}"

    def _gap_std_days(self, v: float, i: int) -> str:
        mean = self.value("gap_mean_days", i)
        if not np.isfinite(mean) or mean <= 0:
            return f"gaps between purchases vary by {v:.0f} days"
        how = "regularly" if v < 0.5 * mean else "irregularly"
        return f"buys {how}: every {mean:.0f} days, give or take {v:.0f}"

    def _windowed(self, decayed: str | None, what: str, days: int, v: float) -> str:
        if decayed:  # exponentially weighted: recent days count most
            unit = "purchase days" if what == "days" else "spend"
            amount = f"{v:.1f}" if what == "days" else _fmt(v)
            return f"recent buying: {amount} {unit}, weighing the last {days} days most"
        if what == "orders":
            return (f"no orders in the last {days} days" if v <= 0
                    else f"{v:.0f} order{'' if round(v) == 1 else 's'} in the last {days} days")
        return f"no spend in the last {days} days" if v <= 0 else (
            f"spent {_fmt(v)} in the last {days} days")


_GAPS = frozenset({"gap_mean_days", "gap_median_days", "gap_std_days", "gap_ratio"})
# orders_90d, revenue_180d (net, in a trailing window) and decayed_days_30d, decayed_spend_90d.
_WINDOWED = re.compile(r"(decayed_)?(orders|revenue|days|spend)_(\d+)d")


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        if not np.isfinite(v):
            return "unknown"
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"
    return str(v)
