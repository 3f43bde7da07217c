"""Demand forecasts per level, chosen by rolling-origin validation, with 80 % bands that add up.

Data in: a long frame ``level, key, period_start, y`` on one calendar (every period present,
zeros where nothing sold), and optionally what adds up into what (``level, key,
parent_level, parent_key``; without it every level adds up to the total).

How it forecasts, and why:

1. **Choose per level by rolling origin.** Origins ``T − h − j·step`` (``step = ⌈h/2⌉``,
   ``j < validation_windows``) leave ``h`` known periods after each; every rung of the ladder
   (:mod:`._demand_ladder`) forecasts the level's biggest series from each origin and the
   rung with the lowest WAPE (sum of absolute errors over sum of sales) is the level's model.
   Only history before the last origin's horizon is used, so nothing after as_of is seen,
   and the choice is honest about the horizon the planner asked for. A level holding both
   steady and intermittent series (sales in under 70 % of periods: a small country, a slow
   product) chooses once for each kind, the intermittent models competing only for the
   intermittent ones, so a few sparse series do not pick the model of a level's big ones.
2. **Reconcile.** The chosen models' forecasts do not add up by themselves; bottom-up and
   MinTrace (WLS) are tried on the same windows and the one with the lower mean WAPE over
   the levels wins (:mod:`._demand_reconcile`); negatives are pinned at zero.
3. **Bands by conformal prediction.** The reconciled validation errors, scaled by each
   series' recent level, give per level and step the 80 % quantile of the absolute error
   (split conformal, Vovk et al. 2005; the finite-sample rank ⌈(n+1)·0.8⌉); the band is the
   forecast ± that quantile × the series' level, cut at zero. Step h pools the errors of
   steps 1…h (a late step has few); bands never narrow with the horizon.

Series shorter than two seasons use their models' non-seasonal forms; a history too short
for any validation window gets the window average and a band from one-step changes.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from crmine.models._demand_ladder import (
    BY_KIND,
    LADDER,
    MSTL_MAX_SERIES,
    Pool,
    Rung,
    forecast_one,
    is_intermittent,
)
from crmine.models._demand_reconcile import METHODS, constraint_matrix, reconcile, weights
from crmine.models.base import Estimator, ModelRecord

if TYPE_CHECKING:
    import pandas as pd

_SEASON = {"D": 7, "W": 52, "M": 12}
_MIN_TRAIN = 8


class DemandForecaster(Estimator):
    """Per-level model choice, coherent reconciled forecasts and conformal 80 % bands.

    Parameters: ``freq`` (D / W / M: the calendar step and the default season),
    ``horizon`` (periods ahead), ``season_length`` (0: 52 weeks, 7 days, 12 months),
    ``validation_windows`` (rolling origins), ``coverage`` (the band's share, 0.8),
    ``max_validation_series`` (series per level the ladder is validated on, the biggest by
    sales: bounds the time), ``candidates`` (ladder kinds; empty = all).
    """

    record_name = "demand_forecast"

    def __init__(
        self,
        freq: str = "W",
        horizon: int = 13,
        season_length: int = 0,
        validation_windows: int = 3,
        coverage: float = 0.8,
        max_validation_series: int = 20,
        candidates: tuple[str, ...] = (),
    ) -> None:
        self.freq = freq
        self.horizon = horizon
        self.season_length = season_length
        self.validation_windows = validation_windows
        self.coverage = coverage
        self.max_validation_series = max_validation_series
        self.candidates = candidates

    # ------------------------------------------------------------------ fit

    def fit(self, series: pd.DataFrame, parents: pd.DataFrame | None = None) -> DemandForecaster:
        """Choose, forecast, reconcile and band every series of ``series``."""
        import pandas as pd

        if self.freq not in _SEASON or self.horizon < 1:
            raise ValueError(f"freq must be D, W or M and horizon >= 1, not {self.freq!r}, "
                             f"{self.horizon}")  # fmt: skip
        wide = series.pivot_table(index=["level", "key"], columns="period_start", values="y",
                                  aggfunc="sum", fill_value=0.0).sort_index()  # fmt: skip
        Y = wide.to_numpy(dtype=np.float64)
        ids = list(wide.index)
        levels = np.array([lv for lv, _ in ids])
        h, season = int(self.horizon), int(self.season_length or _SEASON[self.freq])
        T = Y.shape[1]
        windows = validation_windows(T, h, self.validation_windows, season)
        self.windows_ = windows

        index = {key: i for i, key in enumerate(ids)}
        parent_rows = _parent_rows(parents, ids)
        A = constraint_matrix(index, parent_rows)
        parent_ids = {(pl, pk) for _, _, pl, pk in parent_rows}
        is_leaf = np.array([key not in parent_ids for key in ids])

        choice: dict[str, dict[str, Any]] = {}
        base_val = [np.zeros((len(ids), n)) for _, n in windows]
        actual = [Y[:, o:o + n] for o, n in windows]
        base_now = np.zeros((len(ids), h))
        row_model = np.empty(len(ids), dtype=object)
        for level in dict.fromkeys(levels):
            rows = np.flatnonzero(levels == level)
            sparse = np.array([is_intermittent(Y[r]) for r in rows], dtype=bool)
            groups = [(rows[~sparse], False), (rows[sparse], True)] if sparse.any() and \
                (~sparse).any() else [(rows, bool(sparse.any()))]
            picked = []
            for group, intermittent in groups:
                rung, scores, known = self._choose(Y[group], windows, season, intermittent,
                                                   few=len(rows) <= MSTL_MAX_SERIES)
                picked.append((rung, scores, intermittent, len(group)))
                for i, r in enumerate(group):
                    for j, (o, n) in enumerate(windows):
                        done = known.get((i, j))
                        base_val[j][r] = done if done is not None else \
                            forecast_one(rung, Y[r, :o], n, season)[0]
                    base_now[r] = forecast_one(rung, Y[r], h, season)[0]
                row_model[group] = rung.label(season, T)
            choice[level] = {"picked": picked, "rows": rows}
        if windows:
            sq = sum(((b - a) ** 2).sum(axis=1) for b, a in zip(base_val, actual, strict=True))
            mse = sq / sum(n for _, n in windows)
        else:
            mse = np.ones(len(ids))

        best, rec_scores, rec_val = None, {}, {}
        for method in METHODS:
            w = weights(method, mse, is_leaf)
            rec_val[method] = [reconcile(b, A, w) for b in base_val]
            rec_scores[method] = float(np.mean([
                _wape(np.concatenate([a[c["rows"]] for a in actual], axis=1),
                      np.concatenate([v[c["rows"]] for v in rec_val[method]], axis=1))
                for c in choice.values()
            ])) if windows else float("nan")  # fmt: skip
            if best is None or rec_scores[method] < rec_scores[best]:
                best = method
        assert best is not None
        final = reconcile(base_now, A, weights(best, mse, is_leaf))

        unit = max(season, h)
        scale_now = _recent_level(Y, unit)
        lo, hi = np.zeros_like(final), np.zeros_like(final)
        for c in choice.values():
            rows = c["rows"]
            if windows:
                err = np.full((len(rows), len(windows), h), np.nan)
                for j, (o, n) in enumerate(windows):
                    scale = _recent_level(Y[rows, :o], unit)[:, None]
                    gap = np.abs(rec_val[best][j][rows] - actual[j][rows])
                    err[:, j, :n] = np.where(scale > 0, gap / np.where(scale > 0, scale, 1), np.nan)
            else:
                err = _one_step_changes(Y[rows], h)
            q = _conformal(err, self.coverage)
            half = q[None, :] * scale_now[rows, None]
            lo[rows], hi[rows] = np.maximum(final[rows] - half, 0.0), final[rows] + half
            c["metrics"] = _level_metrics(
                Y[rows], [a[rows] for a in actual], [v[rows] for v in rec_val[best]],
                windows, season, _scores(c["picked"]),
            )
        starts = pd.DatetimeIndex(wide.columns)
        self.ids_ = ids
        self.history_ = (starts[0], starts[-1], T)
        self.reconciliation_ = best
        self.reconciliation_scores_ = rec_scores
        self.choices_ = {lv: {"model": _label(c["picked"], season, T), **c["metrics"]}
                         for lv, c in choice.items()}  # fmt: skip
        self.forecast_ = _frame(ids, starts[-1], self.freq, final, lo, hi, row_model)
        return self

    def _choose(self, Y: np.ndarray, windows: list[tuple[int, int]], season: int,
                sparse: bool, few: bool = True):  # fmt: skip
        """The rung with the lowest validation WAPE on the level's biggest series, its
        scores, and its validation forecasts by (row, window) (not made twice). ``few``:
        the level has few enough series for MSTL."""
        default = BY_KIND["WindowAverage"] if Y.shape[1] >= 4 else BY_KIND["Naive"]
        if not windows:
            return default, {}, {}
        order = np.argsort(-Y.sum(axis=1), kind="stable")[: self.max_validation_series]
        sample = Y[order]
        kinds = set(self.candidates) or set(BY_KIND)
        longest = max(o for o, _ in windows)
        tried: list[tuple[float, Rung | Pool, dict]] = []
        truth = [sample[:, o:o + n] for o, n in windows]
        sales = sum(float(np.abs(t).sum()) for t in truth)

        def score(made: dict) -> float:
            errors = sum(float(np.abs(np.maximum(np.stack([made[(int(i), j)] for i in order]), 0)
                                      - truth[j]).sum()) for j in range(len(windows)))
            return errors / sales if sales > 0 else errors

        for rung in LADDER:
            if rung.kind not in kinds or (rung.intermittent and not sparse):
                continue
            if rung.kind in ("SeasonalNaive", "SeasonalWindowAverage", "MSTL") and (
                longest < rung.min_length(season) or season <= 1
            ):
                continue  # their short forms (Naive, WindowAverage, ETS) are on the ladder
            if rung.kind == "MSTL" and (not few or sparse):
                continue  # its cost is for a level's few big series (MSTL_MAX_SERIES)
            made = {}
            for j, (o, n) in enumerate(windows):
                for i in order:
                    made[(int(i), j)] = forecast_one(rung, Y[i, :o], n, season)[0]
            tried.append((score(made), rung, made))
        tried.sort(key=lambda t: t[0])  # stable: ties keep the ladder's order (simplest first)
        pools = []
        for k in (2, 3):
            if len(tried) >= k:
                top = tried[:k]
                made = {key: np.mean([t[2][key] for t in top], axis=0) for key in top[0][2]}
                pools.append((score(made), Pool(tuple(t[1] for t in top)), made))
        scores = {rung.label(season, longest): round(value, 6) for value, rung, _ in tried + pools}
        if not tried:
            return default, scores, {}
        best = min(tried + pools, key=lambda t: t[0])
        return best[1], scores, best[2]

    # ------------------------------------------------------------------ use

    def predict(self) -> pd.DataFrame:
        """level, key, period_start, forecast, lo_80, hi_80, model: the next ``horizon``
        periods after the history."""
        self._check_fitted()
        return self.forecast_.copy()

    def level_records(self) -> list[ModelRecord]:
        """One ``models`` row per level: the chosen model and its validation errors."""
        self._check_fitted()
        first, last, T = self.history_
        window = f"{T} periods ({self.freq}) from {first.date()} to {last.date()}"
        return [
            ModelRecord(f"demand_forecast:{level}", {"model": c["model"], **self.get_params(),
                        "candidates": list(self.candidates)}, window, c["series"] * T,
                        {k: v for k, v in c.items() if k not in ("model",)}
                        | {"reconciliation": self.reconciliation_})
            for level, c in self.choices_.items()
        ]  # fmt: skip

    def describe(self) -> ModelRecord:
        """The whole forecast's row of ``models``: reconciliation and its validation."""
        self._check_fitted()
        first, last, T = self.history_
        params = {**self.get_params(), "candidates": list(self.candidates)}
        metrics = {"reconciliation": self.reconciliation_,
                   "reconciliation_wape": self.reconciliation_scores_,
                   "levels": {lv: c["model"] for lv, c in self.choices_.items()}}  # fmt: skip
        return ModelRecord(self.record_name, params,
                           f"{T} periods ({self.freq}) from {first.date()} to {last.date()}",
                           len(self.ids_) * T, metrics)  # fmt: skip


# ---------------------------------------------------------------------- kernels


def validation_windows(T: int, h: int, count: int, season: int) -> list[tuple[int, int]]:
    """(origin, length) of the rolling-origin windows over a history of ``T`` periods.

    By default ``count`` windows of ``h`` periods ending ``⌈h/2⌉`` apart, the newest ending
    at the history's end. When the whole history holds two seasons but those windows would
    train on fewer, the seasonal models would be judged on forms they will not have at
    as_of (ETS and Theta drop a season they cannot estimate); then the windows start after
    two seasons and are shorter (at least ``⌈h/2⌉`` periods, the others spaced after it).
    """
    step = max(1, math.ceil(h / 2))
    default = [(T - h - j * step, h) for j in range(count) if T - h - j * step >= _MIN_TRAIN]
    two = 2 * season
    if season <= 1 or T - two < step or (default and min(o for o, _ in default) >= two):
        return default
    room = T - two
    shortest = max(1, min(step, room))
    spacing = (room - shortest) // (count - 1) if count > 1 else 0
    origins = sorted({two + j * spacing for j in range(count)}) if spacing else [two]
    return [(o, min(h, T - o)) for o in origins]


def _parent_rows(parents: pd.DataFrame | None, ids: list[tuple[str, str]]) -> list[tuple]:
    """(level, key, parent_level, parent_key) rows; default: every level into the total."""
    if parents is not None and len(parents):
        cols = ["level", "key", "parent_level", "parent_key"]
        return list(parents[cols].astype(str).itertuples(index=False, name=None))
    totals = [k for k in ids if k[1] == "all"]
    if len(totals) != 1:
        return []
    total = totals[0]
    return [(lv, key, *total) for lv, key in ids if (lv, key) != total and lv != total[0]]


def _wape(actual: np.ndarray, pred: np.ndarray) -> float:
    """Sum of absolute errors over the sum of sales (0 when nothing sold and nothing forecast)."""
    sales = float(np.abs(actual).sum())
    errors = float(np.abs(pred - actual).sum())
    return errors / sales if sales > 0 else errors


def _recent_level(Y: np.ndarray, window: int) -> np.ndarray:
    """Each series' mean absolute sales over its last ``window`` periods (a band's unit)."""
    return np.abs(Y[:, -window:]).mean(axis=1)


def _one_step_changes(Y: np.ndarray, h: int) -> np.ndarray:
    """Scaled |y_t − y_{t−1}|·√step, for histories too short to validate (series, 1, step)."""
    scale = np.abs(Y).mean(axis=1, keepdims=True)
    change = np.abs(np.diff(Y, axis=1)) / np.where(scale > 0, scale, np.nan)
    per = np.nanmean(change, axis=1) if change.size else np.full(len(Y), np.nan)
    return per[:, None, None] * np.sqrt(np.arange(1, h + 1))[None, None, :]


def _conformal(err: np.ndarray, coverage: float) -> np.ndarray:
    """Per step h, the split-conformal quantile of the scaled errors at steps 1…h pooled
    (series, windows, step in; one value per step out).

    Pooling the steps up to h smooths the few errors a late step has (a single Easter in
    one window would otherwise set every later band), and the band never narrows with the
    horizon; steps past the validated ones keep the widest pool.
    """
    h = err.shape[-1]
    flat = err.reshape(-1, h)
    q = np.zeros(h)
    for s in range(h):  # steps: a handful
        values = flat[:, : s + 1].ravel()
        values = np.sort(values[np.isfinite(values)])
        if len(values) == 0:
            q[s] = q[s - 1] if s else 0.0
            continue
        rank = min(len(values), math.ceil((len(values) + 1) * coverage))
        q[s] = float(values[rank - 1])
    return np.maximum.accumulate(q)


def _level_metrics(Y, actual, pred, windows, season, scores) -> dict[str, Any]:
    """WAPE, MASE and bias of the level's reconciled validation forecasts."""
    out: dict[str, Any] = {"series": len(Y), "validation_windows": len(windows),
                           "validation_periods": [n for _, n in windows],
                           "candidates_wape": scores}  # fmt: skip
    if not windows:
        return out | {"wape": None, "mase": None, "bias": None}
    flat_actual, flat_pred = np.concatenate(actual, axis=1), np.concatenate(pred, axis=1)
    sales = float(np.abs(flat_actual).sum())
    out["wape"] = round(_wape(flat_actual, flat_pred), 6)
    out["bias"] = round(float((flat_pred - flat_actual).sum()) / sales, 6) if sales > 0 else None
    m = season if min(o for o, _ in windows) > season else 1
    mases = []
    for (o, _), a, p in zip(windows, actual, pred, strict=True):
        naive = np.abs(Y[:, m:o] - Y[:, :o - m]).mean(axis=1)
        mae = np.abs(p - a).mean(axis=1)
        ok = naive > 0
        mases.append(mae[ok] / naive[ok])
    flat = np.concatenate(mases) if mases else np.array([])
    out["mase"] = round(float(flat.mean()), 6) if flat.size else None
    return out


def _label(picked: list, season: int, T: int) -> str:
    """A level's model in words: one model, or one for its steady and one for its
    intermittent series."""
    if len(picked) == 1:
        return picked[0][0].label(season, T)
    named = {intermittent: rung.label(season, T) for rung, _, intermittent, _ in picked}
    return f"{named[False]}; intermittent series: {named[True]}"


def _scores(picked: list) -> dict[str, Any]:
    """The validation WAPE of every candidate, per group when the level was split."""
    if len(picked) == 1:
        return picked[0][1]
    return {("intermittent" if intermittent else "steady"): scores
            for _, scores, intermittent, _ in picked}  # fmt: skip


def _frame(ids, last_start, freq, final, lo, hi, row_model) -> pd.DataFrame:
    """The published long frame: one row per (level, key, future period)."""
    import pandas as pd

    offset = {"D": pd.Timedelta(days=1), "W": pd.Timedelta(days=7),
              "M": pd.offsets.MonthBegin(1)}[freq]  # fmt: skip
    h = final.shape[1]
    starts = pd.DatetimeIndex([last_start + offset * k for k in range(1, h + 1)])
    levels = np.repeat([lv for lv, _ in ids], h)
    return pd.DataFrame({
        "level": levels,
        "key": np.repeat([k for _, k in ids], h),
        "period_start": np.tile(starts.to_numpy(), len(ids)),
        "freq": freq,
        "forecast": final.ravel(),
        "lo_80": lo.ravel(),
        "hi_80": hi.ravel(),
        "model": np.repeat(row_model, h),
    })  # fmt: skip
