"""``crmine evaluate`` for demand: forecast at the cutoff as ``crmine run --as-of`` would, then
score the complete periods after it per level (:mod:`crmine.evaluation.demand`).

The horizon in days becomes whole periods (weeks of 7 days, months of 30); periods the data
do not cover to their end are not scored, and the note says so. Baselines are fitted per
series on the same history: SeasonalNaive where the history holds more than a season, and
the simple ones (Naive, HistoricAverage, WindowAverage(4)). The product level's outcome is
read with the products ranked over the longer window, so its pooled ``other`` can differ.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np

_DAYS = {"D": 1, "W": 7, "M": 30}
_BASELINES = ("SeasonalNaive", "Naive", "HistoricAverage", "WindowAverage")


def _end(cutoff: date, freq: str, periods: int, last_day: date) -> tuple[date, int]:
    """The as-of date that closes the scored periods, and how many there are."""
    if freq == "M":
        first = date(cutoff.year + (cutoff.month == 12), cutoff.month % 12 + 1, 1) \
            if cutoff.day > 1 else cutoff
        months, cur = 0, first
        while months < periods:
            nxt = date(cur.year + (cur.month == 12), cur.month % 12 + 1, 1)
            if nxt > last_day + timedelta(days=1):
                break
            cur, months = nxt, months + 1
        return cur, months
    step = _DAYS[freq]
    n = min(periods, ((last_day + timedelta(days=1)) - cutoff).days // step)
    return cutoff + timedelta(days=n * step), max(n, 0)


def demand_sections(orders, cutoff: date, horizon_days: int, settings, result: dict) -> None:
    """Add one ``demand:LEVEL`` section per level to ``result`` (notes when it cannot)."""
    from crmine.evaluation.demand import level_section, naive_scale
    from crmine.features.demand import SEASON
    from crmine.models._demand_ladder import BY_KIND, forecast_one
    from crmine.pipeline.steps.demand import demand_series, forecast_demand

    last = orders.order_ts.max().execute()
    if last is None or last != last or last.date() < cutoff:
        result["notes"].append("demand: no sales after the cutoff to compare with")
        return
    probe = demand_series(orders, cutoff, settings)
    if isinstance(probe, str):
        result["notes"].append(f"demand: {probe}")
        return
    freq = probe[0].freq
    wanted = max(1, horizon_days // _DAYS[freq])
    end, periods = _end(cutoff, freq, wanted, last.date())
    if periods == 0:
        result["notes"].append(f"demand: no complete {freq} period after the cutoff")
        return
    if periods < wanted:
        result["notes"].append(f"demand: {periods} of {wanted} periods scored (the data end "
                               f"on {last.date()})")  # fmt: skip
    run = forecast_demand(orders, cutoff, settings, horizon=periods)
    truth = demand_series(orders, end, replace(settings, freq=freq))
    assert not isinstance(run, str) and not isinstance(truth, str)
    past, future = run.series.frame, truth[0].frame
    future = future[future["period_start"] >= np.datetime64(cutoff)]
    table = run.forecaster.predict()
    season = SEASON[freq]
    for level, choice in run.forecaster.choices_.items():
        hist = past[past["level"] == level].pivot(index="key", columns="period_start", values="y")
        act = future[future["level"] == level].pivot(index="key", columns="period_start",
                                                     values="y")  # fmt: skip
        act = act.reindex(index=hist.index, fill_value=0.0).fillna(0.0)
        mine = table[table["level"] == level]
        wide = {c: mine.pivot(index="key", columns="period_start", values=c)
                .reindex(index=act.index, columns=act.columns) for c in ("forecast", "lo_80", "hi_80")}  # fmt: skip
        H = hist.to_numpy()
        base = {}
        for kind in _BASELINES:
            rung = BY_KIND[kind]
            if kind == "SeasonalNaive" and H.shape[1] < rung.min_length(season):
                continue
            base[rung.label(season, H.shape[1])] = np.stack(
                [forecast_one(rung, y, periods, season)[0] for y in H])
        result["sections"][f"demand:{level}"] = level_section(
            act.to_numpy(), wide["forecast"].to_numpy(), wide["lo_80"].to_numpy(),
            wide["hi_80"].to_numpy(), base, naive_scale(H, season), choice["model"],
        )
    result["demand"] = {"freq": freq, "periods": periods, "measure": run.series.measure,
                        "reconciliation": run.forecaster.reconciliation_}  # fmt: skip
