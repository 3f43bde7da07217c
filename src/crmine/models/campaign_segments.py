"""Response by segment: which groups answered a campaign, and which were moved by it.

A marketer's first question of a campaign is not a model's score but "who answered, and
who answered *because* we wrote?". For every categorical attribute of the campaign's
customers with a few levels (channel, region, gender, a history band…), each level's
response rate among the contacted and, with a control group, among the held-out, their
difference (the level's observed uplift) and its 90 % interval. They are facts of the
campaign itself, measured on the customers it reached, so they also serve as plain-words
reasons beside each customer of the contact list: the levels they belong to that
responded best (or were moved most).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["response_by_segment", "segment_reasons"]

Z90 = 1.645


def _categorical(frame: pd.DataFrame, max_levels: int) -> list[str]:
    """Columns read as segments: text, category or boolean with 2..max_levels levels."""
    import pandas as pd

    out = []
    for col in frame.columns:
        s = frame[col]
        if not (pd.api.types.is_object_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype)
                or pd.api.types.is_bool_dtype(s) or pd.api.types.is_string_dtype(s)):
            continue
        if 2 <= s.nunique(dropna=True) <= max_levels:
            out.append(col)
    return out


def response_by_segment(
    frame: pd.DataFrame,
    responded: Any,
    treated: Any,
    *,
    max_levels: int = 12,
    min_customers: int = 30,
) -> list[dict[str, Any]]:
    """One row per (attribute, level) with at least ``min_customers`` contacted customers:
    contacted, response_contacted, held_out, response_held_out, uplift, uplift_90 (None
    without enough held-out customers). Ordered by attribute, then uplift (else response)
    from highest."""
    import pandas as pd

    y = np.asarray(responded, bool)
    t = np.asarray(treated, bool)
    rows: list[dict[str, Any]] = []
    for col in _categorical(frame, max_levels):
        level = frame[col].astype("string").fillna("(empty)").to_numpy()
        stats = pd.DataFrame({"level": level, "contacted": t, "hit_c": y & t, "held_out": ~t,
                              "hit_h": y & ~t}).groupby("level").sum()  # fmt: skip
        part = []
        for name, s in stats.iterrows():
            if s["contacted"] < min_customers:
                continue
            rate_c = s["hit_c"] / s["contacted"]
            entry: dict[str, Any] = {"attribute": str(col), "level": str(name),
                                     "contacted": int(s["contacted"]),
                                     "response_contacted": round(float(rate_c), 6),
                                     "held_out": int(s["held_out"]), "response_held_out": None,
                                     "uplift": None, "uplift_90": None}  # fmt: skip
            if s["held_out"] >= min_customers:
                rate_h = s["hit_h"] / s["held_out"]
                se = np.sqrt(rate_c * (1 - rate_c) / s["contacted"]
                             + rate_h * (1 - rate_h) / s["held_out"])  # fmt: skip
                diff = rate_c - rate_h
                entry |= {"response_held_out": round(float(rate_h), 6),
                          "uplift": round(float(diff), 6),
                          "uplift_90": [round(float(diff - Z90 * se), 6),
                                        round(float(diff + Z90 * se), 6)]}  # fmt: skip
            part.append(entry)
        key = "uplift" if part and all(p["uplift"] is not None for p in part) else \
            "response_contacted"
        rows.extend(sorted(part, key=lambda p: -(p[key] if p[key] is not None else -1)))
    return rows


def segment_reasons(frame: pd.DataFrame, segments: list[dict[str, Any]], overall: float,
                    k: int = 2) -> list[list[str]]:  # fmt: skip
    """Per row of ``frame``: up to ``k`` levels it belongs to that were moved most by the
    campaign (those whose uplift interval lies above 0), or without a control group that
    responded best above ``overall`` (the contacted customers' response rate), in words."""
    n = len(frame)
    if not segments or n == 0:
        return [[] for _ in range(n)]
    with_control = any(s["uplift"] is not None for s in segments)
    strength = []  # (n,) strength per attribute, and its sentence
    sentences = []
    for col in dict.fromkeys(s["attribute"] for s in segments):
        if col not in frame.columns:
            continue
        level = frame[col].astype("string").fillna("(empty)").to_numpy()
        value = np.full(n, -np.inf)
        text = np.full(n, "", dtype=object)
        for s in (s for s in segments if s["attribute"] == col):
            hit = level == s["level"]
            if with_control:
                lo = (s["uplift_90"] or [-np.inf])[0]
                if s["uplift"] is None or lo <= 0:
                    continue
                value[hit] = s["uplift"]
                text[hit] = (f"{_named(col, s['level'])}: {s['response_contacted']:.1%} responded when "
                             f"contacted vs {s['response_held_out']:.1%} held out")
            else:
                lift = s["response_contacted"] - overall
                if lift <= 0:
                    continue
                value[hit] = lift
                text[hit] = (f"{_named(col, s['level'])}: {s['response_contacted']:.1%} responded "
                             f"(all contacted: {overall:.1%})")
        strength.append(value)
        sentences.append(text)
    if not strength:
        return [[] for _ in range(n)]
    V, T = np.column_stack(strength), np.column_stack(sentences)
    order = np.argsort(-V, axis=1, kind="stable")[:, :k]
    best_v = np.take_along_axis(V, order, axis=1)
    best_t = np.take_along_axis(T, order, axis=1)
    return [[t for t, v in zip(ts, vs, strict=True) if np.isfinite(v)]
            for ts, vs in zip(best_t, best_v, strict=True)]


def _named(column: str, level: str) -> str:
    """A segment in words: ``channel Web``; a yes/no attribute as ``newbie: yes``."""
    flag = {"true": "yes", "false": "no"}.get(level.lower())
    return f"{column}: {flag}" if flag else f"{column} {level}"
