"""Step: demand forecasts (``demand_forecast``): how much will sell, per period and level.

Reads every order line before as_of, with or without a customer (aggregated sales such as
one line per store and week are valid input), builds the levels of ``[forecast] levels``
(:mod:`crmine.features.demand`), and fits :class:`crmine.models.demand.DemandForecaster`:
a model per level chosen by rolling-origin validation before as_of, forecasts reconciled so
the levels add up, 80 % conformal bands. ``demand_history`` holds the series the forecasts
were fitted on (for the report's charts). The ``models`` table gets one row per level (its
model and validation errors) and one for the whole (the reconciliation chosen).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from crmine.config import ForecastSettings
from crmine.pipeline.step import StepContext, StepResult, step

if TYPE_CHECKING:
    import ibis

    from crmine.features.demand import DemandSeries
    from crmine.models.demand import DemandForecaster


@dataclass
class DemandRun:
    """What :func:`forecast_demand` made: the series, the fitted forecaster, the notes."""

    series: DemandSeries
    forecaster: DemandForecaster
    freq_reason: str


def demand_series(
    orders: ibis.Table, as_of: date, settings: ForecastSettings
) -> tuple[DemandSeries, str] | str:
    """The series of every configured level before ``as_of`` and how the period was decided;
    a reason when there are none."""
    from crmine.features.demand import (
        UNKNOWN_KEY,
        as_keys,
        build_series,
        daily_sales,
        decide_freq,
        pick_measure,
        resolve_levels,
    )

    measure = pick_measure(orders, settings.measure)
    levels, notes = resolve_levels(settings.levels, list(orders.columns))
    daily = {
        cols: as_keys(daily_sales(orders, as_of, cols, measure).to_pandas(), cols)
        for cols in dict.fromkeys([(), *(level.columns for level in levels)])
    }
    empty = {c for cols, frame in daily.items() for c in cols
             if (frame[c] == UNKNOWN_KEY).all()}  # fmt: skip
    if empty:
        notes += [f"level {lv.name!r} skipped: the orders' {', '.join(sorted(set(lv.columns) & empty))} "
                  f"column holds no value" for lv in levels if set(lv.columns) & empty]  # fmt: skip
        levels = [lv for lv in levels if not set(lv.columns) & empty]
    totals = daily[()]
    sold = totals.loc[totals["value"] != 0, "day"].to_numpy()
    if len(sold) == 0:
        return "no sales before the as-of date"
    if settings.freq:
        freq, reason = settings.freq, f"{settings.freq} (set in [forecast] freq)"
    else:
        freq, reason = decide_freq(sold)
    series = build_series(daily, levels, freq, as_of, settings.top_products, measure, notes)
    if series is None:
        return f"no complete {reason.split(' ')[0]} period of sales before the as-of date"
    return series, reason


def forecast_demand(
    orders: ibis.Table, as_of: date, settings: ForecastSettings, horizon: int = 0
) -> DemandRun | str:
    """Series and forecasts from order lines before ``as_of``; a reason when there are none.

    ``horizon`` (periods) overrides ``settings.horizon_periods`` (the benchmark and
    ``crmine evaluate`` score the periods they hold out).
    """
    from crmine.features.demand import DEFAULT_HORIZON
    from crmine.models.demand import DemandForecaster

    made = demand_series(orders, as_of, settings)
    if isinstance(made, str):
        return made
    series, reason = made
    h = horizon or settings.horizon_periods or DEFAULT_HORIZON[series.freq]
    model = DemandForecaster(freq=series.freq, horizon=h,
                             validation_windows=settings.validation_windows)  # fmt: skip
    return DemandRun(series, model.fit(series.frame, series.parents), reason)


@step(
    "demand forecast",
    needs=(("orders",),),
    writes=("demand_forecast", "demand_history"),
    settings=(ForecastSettings,),
)
def demand_forecast_step(ctx: StepContext) -> StepResult:
    settings = ctx.settings(ForecastSettings)
    run = forecast_demand(ctx.inputs.before("orders", "order_ts"), ctx.as_of, settings)
    if isinstance(run, str):
        return StepResult.skipped(run)
    model = run.forecaster
    table = model.predict()
    levels = ", ".join(f"{lv} {c['model']}" for lv, c in model.choices_.items())
    notes = "; ".join(run.series.notes)
    detail = (
        f"{len(model.ids_):,} series × {model.horizon} periods by {run.freq_reason}, "
        f"{run.series.measure}; {levels}; {model.reconciliation_.replace('_', ' ')} "
        f"reconciliation" + (f"; {notes}" if notes else "")
    )
    history = run.series.frame.rename(columns={"y": "actual"})
    history.insert(3, "freq", run.series.freq)
    whole = model.describe()
    whole = replace(whole, parameters={**whole.parameters, "measure": run.series.measure})
    return StepResult.done(
        detail,
        {"demand_forecast": table, "demand_history": history},
        [*model.level_records(), whole],
    )
