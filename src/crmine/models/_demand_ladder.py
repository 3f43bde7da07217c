"""The ladder of demand models: statsforecast's baselines, ETS, Theta, MSTL and intermittent models.

Each rung is a :class:`Rung` that forecasts one series (a numpy array) ``h`` periods ahead.
A rung that needs more history than a series has steps down to its non-seasonal form
(SeasonalNaive → Naive, seasonal ETS / Theta → their season-1 forms), the way statsforecast
users are told to guard short series by hand; a fit that fails numerically falls back to
the window average, counted so the record can say so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: numerical failures of a fit (statsforecast raises NotImplementedError for "tiny datasets"),
#: answered with the window average (anything else is a bug)
_FIT_ERRORS = (
    ValueError, ZeroDivisionError, FloatingPointError, NotImplementedError, np.linalg.LinAlgError
)
WINDOW = 4
#: ETS carries a season of at most this many periods, as in R's forecast::ets (Hyndman &
#: Khandakar 2008): 52 weekly seasonal states cost ~15x the fit time and are poorly
#: identified on two years; weekly seasons are left to SeasonalNaive, the seasonal window
#: average and Theta's classical decomposition.
MAX_ETS_SEASON = 24
#: MSTL (STL decomposition per season, then a non-seasonal ETS on what is left) takes a few
#: tens of milliseconds per weekly series and about a second per daily series with a yearly
#: season: it competes only at levels of at most this many series (totals, categories,
#: regions, stores), never over hundreds of products.
MSTL_MAX_SERIES = 60
#: days of history (two full years) before a daily MSTL also carries the yearly season
YEAR = 365


@dataclass(frozen=True)
class Rung:
    """One model of the ladder: its statsforecast name, and whether it is seasonal."""

    kind: str
    seasonal: bool = False
    intermittent: bool = False

    def label(self, season: int, length: int | None = None) -> str:
        """The name published in ``demand_forecast.model`` and ``models`` (with the season
        when a history of ``length`` periods carries it)."""
        if self.kind in ("WindowAverage", "SeasonalWindowAverage") and (
            self.kind == "WindowAverage" or season <= 1
            or (length is not None and length < self.min_length(season))
        ):
            return f"WindowAverage({WINDOW})"
        if self.kind == "SeasonalNaive" and (
            season <= 1 or (length is not None and length < self.min_length(season))
        ):
            return "Naive"
        m = self.season_of(season)
        if self.kind == "MSTL":
            if m <= 1 or (length is not None and length < self.min_length(season)):
                return "AutoETS"  # too short for a season: the trend model alone
            return f"MSTL({', '.join(map(str, mstl_seasons(m, length)))})"
        if m > 1 and (length is None or length >= self.min_length(season)):
            return f"{self.kind}({m})"
        return self.kind

    def season_of(self, season: int) -> int:
        """The season this rung fits (1 = none)."""
        if not self.seasonal or (self.kind == "AutoETS" and season > MAX_ETS_SEASON):
            return 1
        return season

    def min_length(self, season: int) -> int:
        """Fewest periods the seasonal form needs: more than a season (two for the seasonal
        window average, which averages two past seasons). ETS and Theta test the season
        themselves and drop it when the history cannot carry it."""
        if self.season_of(season) <= 1:
            return 1
        if self.kind in ("MSTL", "SeasonalWindowAverage"):  # two whole seasons
            return 2 * season
        return season + 1

    def model(self, season: int, length: int | None = None):
        """The statsforecast model for a series of this season (1 = none) and length."""
        from statsforecast import models as sf

        m = self.season_of(season)
        if self.kind == "MSTL":
            trend = sf.AutoETS(model="ZZN")
            if m <= 1:
                return trend
            return sf.MSTL(season_length=list(mstl_seasons(m, length)), trend_forecaster=trend)
        if self.kind == "Naive" or (self.kind == "SeasonalNaive" and m == 1):
            return sf.Naive()
        if self.kind == "SeasonalNaive":
            return sf.SeasonalNaive(season_length=m)
        if self.kind == "HistoricAverage":
            return sf.HistoricAverage()
        if self.kind == "WindowAverage" or (self.kind == "SeasonalWindowAverage" and m == 1):
            return sf.WindowAverage(window_size=WINDOW)
        if self.kind == "SeasonalWindowAverage":
            return sf.SeasonalWindowAverage(season_length=m, window_size=2)
        if self.kind == "AutoETS":
            return sf.AutoETS(season_length=m)
        if self.kind == "AutoTheta":
            return sf.AutoTheta(season_length=m)
        if self.kind == "TSB":
            return sf.TSB(alpha_d=0.1, alpha_p=0.1)
        return getattr(sf, self.kind)()


LADDER = (
    Rung("Naive"),
    Rung("SeasonalNaive", seasonal=True),
    Rung("HistoricAverage"),
    Rung("WindowAverage"),
    Rung("SeasonalWindowAverage", seasonal=True),
    Rung("AutoETS", seasonal=True),
    Rung("AutoTheta", seasonal=True),
    Rung("MSTL", seasonal=True),
    Rung("CrostonOptimized", intermittent=True),
    Rung("ADIDA", intermittent=True),
    Rung("IMAPA", intermittent=True),
    Rung("TSB", intermittent=True),
)
BY_KIND = {r.kind: r for r in LADDER}


def mstl_seasons(season: int, length: int | None) -> tuple[int, ...]:
    """MSTL's seasons: the frequency's own, and for daily data with two years of history
    the year as well (sales follow the weekday and the time of year at once)."""
    if season == 7 and length is not None and length >= 2 * YEAR:
        return (7, YEAR)
    return (season,)


@dataclass(frozen=True)
class Pool:
    """The mean of a few rungs' forecasts: the best two or three on validation, pooled.

    Selecting the single best model on a few windows is noisy; averaging the top few is at
    least as accurate on average and rarely much worse (Kourentzes, Barrow & Petropoulos
    2019, "Another look at forecast selection and combination: evidence from forecast
    pooling"). It competes with the single rungs on the same windows.
    """

    members: tuple[Rung, ...]

    def label(self, season: int, length: int | None = None) -> str:
        return "mean(" + ", ".join(r.label(season, length) for r in self.members) + ")"


def forecast_one(
    rung: Rung | Pool, y: np.ndarray, h: int, season: int
) -> tuple[np.ndarray, bool]:
    """``h`` forecasts of one series and whether the rung had to fall back.

    Leading zeros (before a product's first sale) are not history and are cut; a series
    with no sale at all forecasts zeros.
    """
    if isinstance(rung, Pool):
        made = [forecast_one(member, y, h, season) for member in rung.members]
        return np.mean([f for f, _ in made], axis=0), any(fell for _, fell in made)
    nonzero = np.flatnonzero(y != 0)
    if len(nonzero) == 0:
        return np.zeros(h), False
    y = np.ascontiguousarray(y[nonzero[0]:], dtype=np.float64)
    m = season if len(y) >= rung.min_length(season) else 1
    if len(y) < 3 and rung.kind not in ("Naive", "HistoricAverage"):
        return np.full(h, y.mean()), True
    try:
        out = np.asarray(rung.model(m, len(y)).forecast(y=y, h=h)["mean"], dtype=np.float64)
    except _FIT_ERRORS:
        out = np.full(h, np.nan)
    if not np.all(np.isfinite(out)):
        return np.full(h, y[-WINDOW:].mean()), True
    return out, False


def is_intermittent(y: np.ndarray) -> bool:
    """Sales in fewer than 70 % of the periods since the first one: an intermittent series."""
    nonzero = np.flatnonzero(y != 0)
    if len(nonzero) == 0:
        return False
    return float(np.mean(y[nonzero[0]:] != 0)) < 0.7
